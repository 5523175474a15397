CREATE TABLE `golden_cases` (
	`project_id` text NOT NULL,
	`id` text NOT NULL,
	`set` text NOT NULL,
	`case_id` text NOT NULL,
	`escalation_id` text NOT NULL,
	`run_id` text NOT NULL,
	`body` text NOT NULL,
	`actor` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `id`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `golden_cases_escalation_idx` ON `golden_cases` (`project_id`,`set`,`escalation_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `golden_cases_case_idx` ON `golden_cases` (`project_id`,`set`,`case_id`);--> statement-breakpoint
CREATE INDEX `golden_cases_set_time_idx` ON `golden_cases` (`project_id`,`set`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `golden_results` (
	`project_id` text NOT NULL,
	`id` text NOT NULL,
	`set` text NOT NULL,
	`set_version` text NOT NULL,
	`workflow` text NOT NULL,
	`version` text NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer NOT NULL,
	`cases` integer NOT NULL,
	`end_to_end_accuracy` real,
	`escalation_rate` real NOT NULL,
	`regression_count` integer NOT NULL,
	`baseline_version` text,
	`summary` text NOT NULL,
	`regressions` text NOT NULL,
	`actor` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `golden_results_time_idx` ON `golden_results` (`project_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `golden_results_workflow_idx` ON `golden_results` (`project_id`,`workflow`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `golden_results_set_idx` ON `golden_results` (`project_id`,`set`,`created_at`,`id`);