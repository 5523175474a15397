CREATE TABLE `rollup_days` (
	`project_id` text NOT NULL,
	`workflow` text NOT NULL,
	`version` text NOT NULL,
	`step` text NOT NULL,
	`day` integer NOT NULL,
	`steps` integer NOT NULL,
	`failed` integer NOT NULL,
	`human` integer NOT NULL,
	`escalated` integer NOT NULL,
	`flagged` integer NOT NULL,
	`spot_checks` integer NOT NULL,
	`auto` integer NOT NULL,
	`confidence` text NOT NULL,
	`labels` text NOT NULL,
	`latency` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `workflow`, `version`, `step`, `day`)
);
--> statement-breakpoint
CREATE INDEX `rollup_days_series_idx` ON `rollup_days` (`project_id`,`workflow`,`step`,`day`);--> statement-breakpoint
CREATE INDEX `rollup_hours_series_idx` ON `rollup_hours` (`project_id`,`workflow`,`step`,`hour`);