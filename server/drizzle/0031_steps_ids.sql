-- The steps table keeps its ids (project, step, run) as the 16 bytes a UUID spells instead of 36
-- characters of text, in its rows, its primary key and its run index: the rule of stored-id.ts,
-- as 0029 and 0030 applied it to the event and audit logs. An id that is not a canonical UUID
-- stays text, so the mapping is one to one. Same rows, same values.
CREATE TABLE `__new_steps` (
	`project_id` blob NOT NULL,
	`id` blob NOT NULL,
	`run_id` blob NOT NULL,
	`name` text NOT NULL,
	`call` integer DEFAULT 0 NOT NULL,
	`epoch` integer DEFAULT 0 NOT NULL,
	`status` text NOT NULL,
	`confidence` real,
	`cumulative` real,
	`source` text NOT NULL,
	`observed_at` integer,
	`max_age_ms` integer,
	`stale` integer NOT NULL,
	`flagged` integer DEFAULT false NOT NULL,
	`attempts` integer NOT NULL,
	`escalation_id` text,
	`duration_ms` integer NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer NOT NULL,
	`event_seq` integer,
	PRIMARY KEY(`project_id`, `id`)
);--> statement-breakpoint
INSERT INTO `__new_steps` (`project_id`, `id`, `run_id`, `name`, `call`, `epoch`, `status`, `confidence`, `cumulative`, `source`, `observed_at`, `max_age_ms`, `stale`, `flagged`, `attempts`, `escalation_id`, `duration_ms`, `started_at`, `ended_at`, `event_seq`)
SELECT (CASE WHEN length(CAST(`project_id` AS BLOB)) = 36 AND `project_id` GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN unhex(`project_id`, '-') ELSE `project_id` END),
  (CASE WHEN length(CAST(`id` AS BLOB)) = 36 AND `id` GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN unhex(`id`, '-') ELSE `id` END),
  (CASE WHEN length(CAST(`run_id` AS BLOB)) = 36 AND `run_id` GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN unhex(`run_id`, '-') ELSE `run_id` END),
  `name`,
  `call`,
  `epoch`,
  `status`,
  `confidence`,
  `cumulative`,
  `source`,
  `observed_at`,
  `max_age_ms`,
  `stale`,
  `flagged`,
  `attempts`,
  `escalation_id`,
  `duration_ms`,
  `started_at`,
  `ended_at`,
  `event_seq`
FROM `steps`;--> statement-breakpoint
DROP TABLE `steps`;--> statement-breakpoint
ALTER TABLE `__new_steps` RENAME TO `steps`;--> statement-breakpoint
CREATE INDEX `steps_run_idx` ON `steps` (`project_id`,`run_id`,`started_at`);
