CREATE TABLE `job_cursors` (
	`name` text PRIMARY KEY NOT NULL,
	`position` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `job_leases` (
	`job` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`acquired_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `job_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`job` text NOT NULL,
	`trigger` text NOT NULL,
	`holder` text NOT NULL,
	`actor` text NOT NULL,
	`project_id` text,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`outcome` text NOT NULL,
	`rows_read` integer,
	`rows_written` integer,
	`error` text,
	`details` text
);
--> statement-breakpoint
CREATE INDEX `job_runs_job_idx` ON `job_runs` (`job`,`started_at`);--> statement-breakpoint
CREATE INDEX `job_runs_started_idx` ON `job_runs` (`started_at`);--> statement-breakpoint
CREATE TABLE `alert_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`metric` text NOT NULL,
	`workflow` text,
	`step` text,
	`op` text NOT NULL,
	`threshold` real NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`disabled_at` integer
);
--> statement-breakpoint
CREATE INDEX `alert_rules_project_idx` ON `alert_rules` (`project_id`);--> statement-breakpoint
CREATE TABLE `alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`rule_id` text NOT NULL,
	`metric` text NOT NULL,
	`workflow` text NOT NULL,
	`version` text NOT NULL,
	`step` text NOT NULL,
	`status` text NOT NULL,
	`value` real,
	`last_value` real,
	`threshold` real,
	`fired_at` integer NOT NULL,
	`resolved_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `alerts_project_idx` ON `alerts` (`project_id`,`fired_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `alerts_open_idx` ON `alerts` (`project_id`,`rule_id`,`metric`,`workflow`,`version`,`step`) WHERE "alerts"."status" = 'firing';--> statement-breakpoint
CREATE TABLE `calibration_maps` (
	`project_id` text NOT NULL,
	`workflow` text NOT NULL,
	`step` text NOT NULL,
	`version` text NOT NULL,
	`map` text NOT NULL,
	`labels` integer NOT NULL,
	`effective_n` real NOT NULL,
	`fitted_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `workflow`, `step`)
);
--> statement-breakpoint
CREATE TABLE `metrics` (
	`project_id` text NOT NULL,
	`metric` text NOT NULL,
	`workflow` text NOT NULL,
	`version` text NOT NULL,
	`step` text NOT NULL,
	`at` integer NOT NULL,
	`value` real,
	`details` text,
	PRIMARY KEY(`project_id`, `metric`, `workflow`, `version`, `step`, `at`)
);
--> statement-breakpoint
CREATE INDEX `metrics_at_idx` ON `metrics` (`at`);--> statement-breakpoint
CREATE INDEX `metrics_metric_idx` ON `metrics` (`project_id`,`metric`,`at`);--> statement-breakpoint
CREATE TABLE `rollup_hours` (
	`project_id` text NOT NULL,
	`workflow` text NOT NULL,
	`version` text NOT NULL,
	`step` text NOT NULL,
	`hour` integer NOT NULL,
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
	`samples` text NOT NULL,
	`categories` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `workflow`, `version`, `step`, `hour`)
);
--> statement-breakpoint
CREATE INDEX `rollup_hours_hour_idx` ON `rollup_hours` (`hour`);--> statement-breakpoint
CREATE INDEX `rollup_hours_project_idx` ON `rollup_hours` (`project_id`,`hour`);--> statement-breakpoint
CREATE TABLE `rollup_labels` (
	`project_id` text NOT NULL,
	`step_id` text NOT NULL,
	`label_seq` integer NOT NULL,
	`workflow` text NOT NULL,
	`version` text NOT NULL,
	`step` text NOT NULL,
	`hour` integer NOT NULL,
	`grp` text NOT NULL,
	`confidence` real NOT NULL,
	`cumulative` real,
	`correct` integer NOT NULL,
	`weight` real NOT NULL,
	PRIMARY KEY(`project_id`, `step_id`)
);
--> statement-breakpoint
CREATE TABLE `threshold_changes` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`workflow` text NOT NULL,
	`step` text NOT NULL,
	`version` text NOT NULL,
	`before` real,
	`after` real NOT NULL,
	`evidence` text NOT NULL,
	`policy_revision` integer NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`reverted_at` integer,
	`reverted_by` text
);
--> statement-breakpoint
CREATE INDEX `threshold_changes_idx` ON `threshold_changes` (`project_id`,`workflow`,`step`,`created_at`);