CREATE TABLE `audit_verifications` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`requested_by` text NOT NULL,
	`status` text NOT NULL,
	`started_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer,
	`up_to` integer NOT NULL,
	`checked` integer NOT NULL,
	`report` text,
	`error` text
);
--> statement-breakpoint
CREATE INDEX `audit_verifications_project_idx` ON `audit_verifications` (`project_id`,`started_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `audit_verifications_running_idx` ON `audit_verifications` (`project_id`) WHERE status = 'running';