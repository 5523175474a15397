CREATE TABLE `run_hours` (
	`project_id` text NOT NULL,
	`workflow_id` text NOT NULL,
	`version` text NOT NULL,
	`hour` integer NOT NULL,
	`runs` integer NOT NULL,
	`last_run_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `workflow_id`, `version`, `hour`)
);
--> statement-breakpoint
CREATE INDEX `run_hours_project_hour_idx` ON `run_hours` (`project_id`,`hour`);--> statement-breakpoint
DROP INDEX `escalations_risk_idx`;--> statement-breakpoint
ALTER TABLE `escalations` ADD `risk` real GENERATED ALWAYS AS (coalesce(cumulative, 2)) VIRTUAL;--> statement-breakpoint
CREATE INDEX `escalations_risk_order_idx` ON `escalations` (`project_id`,`status`,`risk`,`created_at`,`id`);