CREATE TABLE `contracts` (
	`project_id` text NOT NULL,
	`workflow` text NOT NULL,
	`version` text NOT NULL,
	`step` text NOT NULL,
	`json_schema` text NOT NULL,
	`vendor` text,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `workflow`, `version`, `step`)
);
--> statement-breakpoint
CREATE TABLE `escalations` (
	`project_id` text NOT NULL,
	`id` text NOT NULL,
	`run_id` text NOT NULL,
	`step_id` text NOT NULL,
	`workflow` text NOT NULL,
	`version` text NOT NULL,
	`step` text NOT NULL,
	`kind` text NOT NULL,
	`gate_kinds` text NOT NULL,
	`blocking` integer NOT NULL,
	`sampling_rate` real,
	`confidence` real,
	`cumulative` real,
	`packet` text NOT NULL,
	`status` text NOT NULL,
	`claimed_by` text,
	`claim_expires_at` integer,
	`decision` text,
	`corrected_output` text,
	`reason` text,
	`reviewer_id` text,
	`resolved_at` integer,
	`resumed_at` integer,
	`resumed_by` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `escalations_queue_idx` ON `escalations` (`project_id`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `escalations_risk_idx` ON `escalations` (`project_id`,`status`,`cumulative`);--> statement-breakpoint
CREATE INDEX `escalations_run_idx` ON `escalations` (`project_id`,`run_id`);--> statement-breakpoint
CREATE INDEX `escalations_resolved_idx` ON `escalations` (`project_id`,`resolved_at`);--> statement-breakpoint
CREATE TABLE `labels` (
	`project_id` text NOT NULL,
	`id` text NOT NULL,
	`run_id` text NOT NULL,
	`step_id` text NOT NULL,
	`workflow` text NOT NULL,
	`version` text NOT NULL,
	`step` text NOT NULL,
	`source` text NOT NULL,
	`correct` integer,
	`value` text,
	`confidence` real,
	`sampling_rate` real,
	`escalation_id` text,
	`actor` text NOT NULL,
	`reason` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `labels_step_idx` ON `labels` (`project_id`,`workflow`,`step`,`created_at`);--> statement-breakpoint
CREATE INDEX `labels_run_idx` ON `labels` (`project_id`,`run_id`);--> statement-breakpoint
CREATE TABLE `policies` (
	`project_id` text NOT NULL,
	`workflow` text NOT NULL,
	`step` text NOT NULL,
	`min_confidence` real,
	`min_cumulative` real,
	`on_low` text,
	`spot_check_rate` real,
	`target_accuracy` real,
	`tighten_min` real,
	`tighten_max` real,
	`revision` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	PRIMARY KEY(`project_id`, `workflow`, `step`)
);
--> statement-breakpoint
CREATE TABLE `policy_history` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`workflow` text NOT NULL,
	`step` text NOT NULL,
	`before` text,
	`after` text,
	`actor` text NOT NULL,
	`reason` text,
	`evidence` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `policy_history_idx` ON `policy_history` (`project_id`,`workflow`,`at`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`project_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`password_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`disabled_at` integer,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_idx` ON `users` (`email`);--> statement-breakpoint
CREATE INDEX `users_project_idx` ON `users` (`project_id`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`webhook_id` text NOT NULL,
	`event` text NOT NULL,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer NOT NULL,
	`last_status_code` integer,
	`last_error` text,
	`next_attempt_at` integer,
	`created_at` integer NOT NULL,
	`delivered_at` integer
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_due_idx` ON `webhook_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_hook_idx` ON `webhook_deliveries` (`webhook_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`url` text NOT NULL,
	`secret` text NOT NULL,
	`events` text NOT NULL,
	`created_at` integer NOT NULL,
	`disabled_at` integer
);
--> statement-breakpoint
CREATE INDEX `webhooks_project_idx` ON `webhooks` (`project_id`);--> statement-breakpoint
ALTER TABLE `steps` ADD `escalation_id` text;