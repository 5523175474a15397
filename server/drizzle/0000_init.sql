CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_idx` ON `api_keys` (`hash`);--> statement-breakpoint
CREATE INDEX `api_keys_project_idx` ON `api_keys` (`project_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` text NOT NULL,
	`id` text NOT NULL,
	`type` text NOT NULL,
	`run_id` text,
	`time` integer NOT NULL,
	`received_at` integer NOT NULL,
	`key_id` text NOT NULL,
	`body` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_project_id_idx` ON `events` (`project_id`,`id`);--> statement-breakpoint
CREATE TABLE `projections` (
	`name` text PRIMARY KEY NOT NULL,
	`position` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `projects` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `projects_name_unique` ON `projects` (`name`);--> statement-breakpoint
CREATE TABLE `runs` (
	`project_id` text NOT NULL,
	`id` text NOT NULL,
	`workflow_id` text NOT NULL,
	`workflow` text NOT NULL,
	`version` text NOT NULL,
	`key` text,
	`status` text NOT NULL,
	`status_at` integer,
	`input` text,
	`output` text,
	`error` text,
	`stop_step_id` text,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`duration_ms` integer,
	`step_count` integer DEFAULT 0 NOT NULL,
	`min_cumulative` real,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `runs_project_started_idx` ON `runs` (`project_id`,`started_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_workflow_started_idx` ON `runs` (`project_id`,`workflow_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `runs_status_started_idx` ON `runs` (`project_id`,`status`,`started_at`);--> statement-breakpoint
CREATE INDEX `runs_key_idx` ON `runs` (`project_id`,`workflow_id`,`key`) WHERE "runs"."key" IS NOT NULL;--> statement-breakpoint
CREATE TABLE `steps` (
	`project_id` text NOT NULL,
	`id` text NOT NULL,
	`run_id` text NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`parents` text NOT NULL,
	`input` text,
	`output` text,
	`confidence` real,
	`cumulative` real,
	`source` text NOT NULL,
	`observed_at` integer,
	`max_age_ms` integer,
	`stale` integer NOT NULL,
	`flagged` integer DEFAULT false NOT NULL,
	`reasoning` text,
	`alternatives` text,
	`features` text,
	`attempts` integer NOT NULL,
	`attempt_errors` text,
	`error` text,
	`gate` text,
	`duration_ms` integer NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `steps_run_idx` ON `steps` (`project_id`,`run_id`,`started_at`);--> statement-breakpoint
CREATE TABLE `workflows` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `workflows_project_name_idx` ON `workflows` (`project_id`,`name`);