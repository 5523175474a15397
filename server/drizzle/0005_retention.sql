CREATE TABLE `retention_policies` (
	`project_id` text NOT NULL,
	`workflow` text NOT NULL,
	`mode` text NOT NULL,
	`ttl_days` integer,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	PRIMARY KEY(`project_id`, `workflow`)
);
--> statement-breakpoint
ALTER TABLE `runs` ADD `payloads_purged_at` integer;--> statement-breakpoint
CREATE INDEX `runs_ended_idx` ON `runs` (`project_id`,`workflow_id`,`ended_at`);--> statement-breakpoint
CREATE INDEX `runs_unpurged_idx` ON `runs` (`project_id`,`workflow_id`,`ended_at`) WHERE "runs"."payloads_purged_at" IS NULL AND "runs"."status" IN ('completed', 'failed');