CREATE TABLE `audit_checkpoint_exports` (
	`project_id` text NOT NULL,
	`seq` integer NOT NULL,
	`target` text NOT NULL,
	`exported_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `seq`, `target`)
);
--> statement-breakpoint
CREATE TABLE `audit_checkpoints` (
	`project_id` text NOT NULL,
	`seq` integer NOT NULL,
	`head_hash` text NOT NULL,
	`time` integer NOT NULL,
	`prev_signature` text NOT NULL,
	`key_id` text NOT NULL,
	`signature` text NOT NULL,
	PRIMARY KEY(`project_id`, `seq`)
);
--> statement-breakpoint
CREATE TABLE `audit_log` (
	`project_id` text NOT NULL,
	`seq` integer NOT NULL,
	`time` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`subject` text NOT NULL,
	`run_id` text,
	`payload_hash` text NOT NULL,
	`hash` text NOT NULL,
	PRIMARY KEY(`project_id`, `seq`)
);
--> statement-breakpoint
CREATE INDEX `audit_log_run_idx` ON `audit_log` (`project_id`,`run_id`) WHERE run_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `audit_log_time_idx` ON `audit_log` (`project_id`,`time`);--> statement-breakpoint
CREATE TABLE `audit_payloads` (
	`project_id` text NOT NULL,
	`seq` integer NOT NULL,
	`body` text NOT NULL,
	PRIMARY KEY(`project_id`, `seq`)
);
