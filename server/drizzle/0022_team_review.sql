CREATE TABLE `review_group_members` (
	`project_id` text NOT NULL,
	`group_name` text NOT NULL,
	`user_id` text NOT NULL,
	`added_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `group_name`, `user_id`)
);
--> statement-breakpoint
CREATE INDEX `review_group_members_user_idx` ON `review_group_members` (`project_id`,`user_id`);--> statement-breakpoint
CREATE TABLE `review_groups` (
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`known_answer_rate` real DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `name`)
);
--> statement-breakpoint
CREATE TABLE `review_judges` (
	`project_id` text NOT NULL,
	`workflow` text NOT NULL,
	`step` text NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`url` text,
	`min_confidence` real NOT NULL,
	`sample_rate` real NOT NULL,
	`timeout_ms` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	PRIMARY KEY(`project_id`, `workflow`, `step`)
);
--> statement-breakpoint
CREATE TABLE `reviews` (
	`project_id` text NOT NULL,
	`id` text NOT NULL,
	`escalation_id` text NOT NULL,
	`run_id` text NOT NULL,
	`workflow` text NOT NULL,
	`version` text NOT NULL,
	`step` text NOT NULL,
	`role` text NOT NULL,
	`actor` text NOT NULL,
	`decision` text NOT NULL,
	`corrected_output` text,
	`reason` text,
	`alternative` integer,
	`confidence` real,
	`overrode` text,
	`known_answer` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `reviews_escalation_idx` ON `reviews` (`project_id`,`escalation_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `reviews_step_time_idx` ON `reviews` (`project_id`,`workflow`,`step`,`created_at`);--> statement-breakpoint
CREATE INDEX `reviews_time_idx` ON `reviews` (`project_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `reviews_actor_idx` ON `reviews` (`project_id`,`actor`,`created_at`);--> statement-breakpoint
ALTER TABLE `policies` ADD `reviewers` integer;--> statement-breakpoint
ALTER TABLE `policies` ADD `consensus` text;--> statement-breakpoint
ALTER TABLE `policies` ADD `review_by_ms` integer;--> statement-breakpoint
ALTER TABLE `policies` ADD `on_expiry` text;--> statement-breakpoint
ALTER TABLE `policies` ADD `review_group` text;--> statement-breakpoint
ALTER TABLE `escalations` ADD `reviewers_required` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `escalations` ADD `consensus` text DEFAULT 'unanimous' NOT NULL;--> statement-breakpoint
ALTER TABLE `escalations` ADD `review_group` text;--> statement-breakpoint
ALTER TABLE `escalations` ADD `review_by_ms` integer;--> statement-breakpoint
ALTER TABLE `escalations` ADD `due_at` integer;--> statement-breakpoint
ALTER TABLE `escalations` ADD `on_expiry` text;--> statement-breakpoint
ALTER TABLE `escalations` ADD `due_notified_at` integer;--> statement-breakpoint
ALTER TABLE `escalations` ADD `reassignments` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `escalations` ADD `resolution` text;--> statement-breakpoint
ALTER TABLE `escalations` ADD `known_answer_of` text;--> statement-breakpoint
ALTER TABLE `escalations` ADD `expected` text;--> statement-breakpoint
ALTER TABLE `escalations` ADD `judge` text;--> statement-breakpoint
ALTER TABLE `escalations` ADD `judge_pending` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `escalations_group_queue_idx` ON `escalations` (`project_id`,`review_group`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `escalations_due_idx` ON `escalations` (`due_at`) WHERE due_at IS NOT NULL AND status IN ('open', 'in_review', 'disputed');--> statement-breakpoint
CREATE INDEX `escalations_judge_pending_idx` ON `escalations` (`project_id`,`judge`,`created_at`) WHERE judge_pending = 1;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `format` text DEFAULT 'json' NOT NULL;