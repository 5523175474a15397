-- Runs name their project by its key in the store (project_keys, 0032) instead of its id, as the
-- event and audit logs and steps do since 0032: the project leads the runs' key and each of their
-- seven indexes, 36 characters of text every time, one byte as a key. A project id only runs hold
-- gets the next key. The column is renamed project_key, so a statement still binding a project id
-- fails instead of matching nothing. Same rows, same values.
INSERT INTO `project_keys` (`project_id`) SELECT DISTINCT `project_id` FROM `runs` WHERE `project_id` NOT IN (SELECT `project_id` FROM `project_keys`) ORDER BY 1;--> statement-breakpoint
CREATE TABLE `__new_runs` (
	`project_key` integer NOT NULL,
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
	`payloads_purged_at` integer,
	`status_epoch` integer DEFAULT 0 NOT NULL,
	`status_seq` integer,
	`golden_result` text,
	`golden_set` text,
	`golden_case` text,
	`golden_outcome` text,
	PRIMARY KEY(`project_key`, `id`)
);--> statement-breakpoint
INSERT INTO `__new_runs` (`project_key`, `id`, `workflow_id`, `workflow`, `version`, `key`, `status`, `status_at`, `input`, `output`, `error`, `stop_step_id`, `started_at`, `ended_at`, `duration_ms`, `step_count`, `min_cumulative`, `updated_at`, `payloads_purged_at`, `status_epoch`, `status_seq`, `golden_result`, `golden_set`, `golden_case`, `golden_outcome`)
SELECT (SELECT `k`.`project_key` FROM `project_keys` `k` WHERE `k`.`project_id` = `runs`.`project_id`), `id`, `workflow_id`, `workflow`, `version`, `key`, `status`, `status_at`, `input`, `output`, `error`, `stop_step_id`, `started_at`, `ended_at`, `duration_ms`, `step_count`, `min_cumulative`, `updated_at`, `payloads_purged_at`, `status_epoch`, `status_seq`, `golden_result`, `golden_set`, `golden_case`, `golden_outcome` FROM `runs` ORDER BY `runs`.`rowid`;--> statement-breakpoint
DROP TABLE `runs`;--> statement-breakpoint
ALTER TABLE `__new_runs` RENAME TO `runs`;--> statement-breakpoint
CREATE INDEX `runs_ended_idx` ON `runs` (`project_key`,`workflow_id`,`ended_at`);--> statement-breakpoint
CREATE INDEX `runs_golden_idx` ON `runs` (`project_key`,`golden_result`,`golden_case`) WHERE "runs"."golden_result" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `runs_key_idx` ON `runs` (`project_key`,`workflow_id`,`key`) WHERE "runs"."key" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `runs_project_started_idx` ON `runs` (`project_key`,`started_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_status_started_idx` ON `runs` (`project_key`,`status`,`started_at`);--> statement-breakpoint
CREATE INDEX `runs_unpurged_idx` ON `runs` (`project_key`,`workflow_id`,`ended_at`) WHERE "runs"."payloads_purged_at" IS NULL AND "runs"."status" IN ('completed', 'failed');--> statement-breakpoint
CREATE INDEX `runs_workflow_started_idx` ON `runs` (`project_key`,`workflow_id`,`started_at`);
