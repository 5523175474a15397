-- The event log, the audit log and its payloads, and steps name their project by a small integer
-- of this store's (project_keys) instead of its 16 bytes: the project leads every row and every
-- index of those tables, about nine copies an event, and a key up to 127 takes one byte. Every
-- project id found in the store gets a key: the system chain 0 (so it sorts before every project
-- and a store of one project appends at the right edge of each index), then the projects by
-- creation, then any other id the tables hold, each read as stored-id.ts reads it (a value it
-- never writes, such as a UUID as text, is its own project `'<uuid>'`, as it read before, so an
-- edit to the store stays an edit). Keys are never changed or removed. The column is
-- renamed project_key, so a statement still binding a project id fails instead of matching
-- nothing. Same rows, same order, same seqs; the event log's sequence is carried over.
CREATE TABLE `project_keys` (
	`project_key` integer PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL
);--> statement-breakpoint
CREATE UNIQUE INDEX `project_keys_project_idx` ON `project_keys` (`project_id`);--> statement-breakpoint
CREATE TRIGGER project_keys_no_update BEFORE UPDATE ON project_keys
BEGIN SELECT RAISE(ABORT, 'project_keys are permanent: a key cannot be changed'); END;--> statement-breakpoint
CREATE TRIGGER project_keys_no_delete BEFORE DELETE ON project_keys
BEGIN SELECT RAISE(ABORT, 'project_keys are permanent: a key cannot be removed'); END;--> statement-breakpoint
INSERT INTO `project_keys` (`project_key`, `project_id`) VALUES (0, '_system');--> statement-breakpoint
INSERT INTO `project_keys` (`project_id`) SELECT `id` FROM `projects` WHERE `id` <> '_system' ORDER BY `created_at`, `id`;--> statement-breakpoint
INSERT INTO `project_keys` (`project_id`) SELECT DISTINCT `p` FROM (SELECT (CASE WHEN typeof(`project_id`) = 'blob' THEN (CASE WHEN length(`project_id`) = 16 THEN lower(substr(hex(`project_id`), 1, 8) || '-' || substr(hex(`project_id`), 9, 4) || '-' || substr(hex(`project_id`), 13, 4) || '-' || substr(hex(`project_id`), 17, 4) || '-' || substr(hex(`project_id`), 21)) ELSE 'x''' || lower(hex(`project_id`)) || '''' END) WHEN length(CAST(`project_id` AS BLOB)) = 36 AND `project_id` GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN '''' || `project_id` || '''' ELSE `project_id` END) AS `p` FROM `events` UNION SELECT (CASE WHEN typeof(`project_id`) = 'blob' THEN (CASE WHEN length(`project_id`) = 16 THEN lower(substr(hex(`project_id`), 1, 8) || '-' || substr(hex(`project_id`), 9, 4) || '-' || substr(hex(`project_id`), 13, 4) || '-' || substr(hex(`project_id`), 17, 4) || '-' || substr(hex(`project_id`), 21)) ELSE 'x''' || lower(hex(`project_id`)) || '''' END) WHEN length(CAST(`project_id` AS BLOB)) = 36 AND `project_id` GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN '''' || `project_id` || '''' ELSE `project_id` END) AS `p` FROM `audit_log` UNION SELECT (CASE WHEN typeof(`project_id`) = 'blob' THEN (CASE WHEN length(`project_id`) = 16 THEN lower(substr(hex(`project_id`), 1, 8) || '-' || substr(hex(`project_id`), 9, 4) || '-' || substr(hex(`project_id`), 13, 4) || '-' || substr(hex(`project_id`), 17, 4) || '-' || substr(hex(`project_id`), 21)) ELSE 'x''' || lower(hex(`project_id`)) || '''' END) WHEN length(CAST(`project_id` AS BLOB)) = 36 AND `project_id` GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN '''' || `project_id` || '''' ELSE `project_id` END) AS `p` FROM `audit_payloads` UNION SELECT (CASE WHEN typeof(`project_id`) = 'blob' THEN (CASE WHEN length(`project_id`) = 16 THEN lower(substr(hex(`project_id`), 1, 8) || '-' || substr(hex(`project_id`), 9, 4) || '-' || substr(hex(`project_id`), 13, 4) || '-' || substr(hex(`project_id`), 17, 4) || '-' || substr(hex(`project_id`), 21)) ELSE 'x''' || lower(hex(`project_id`)) || '''' END) WHEN length(CAST(`project_id` AS BLOB)) = 36 AND `project_id` GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN '''' || `project_id` || '''' ELSE `project_id` END) AS `p` FROM `steps`) WHERE `p` NOT IN (SELECT `project_id` FROM `project_keys`) ORDER BY `p`;--> statement-breakpoint
CREATE TABLE `__new_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_key` integer NOT NULL,
	`id` blob NOT NULL,
	`type` text NOT NULL,
	`run_id` blob,
	`time` integer NOT NULL,
	`received_at` integer NOT NULL,
	`body` text NOT NULL
);--> statement-breakpoint
INSERT INTO `__new_events` (`seq`, `project_key`, `id`, `type`, `run_id`, `time`, `received_at`, `body`)
SELECT `seq`, (SELECT `k`.`project_key` FROM `project_keys` `k` WHERE `k`.`project_id` = (CASE WHEN typeof(`events`.`project_id`) = 'blob' THEN (CASE WHEN length(`events`.`project_id`) = 16 THEN lower(substr(hex(`events`.`project_id`), 1, 8) || '-' || substr(hex(`events`.`project_id`), 9, 4) || '-' || substr(hex(`events`.`project_id`), 13, 4) || '-' || substr(hex(`events`.`project_id`), 17, 4) || '-' || substr(hex(`events`.`project_id`), 21)) ELSE 'x''' || lower(hex(`events`.`project_id`)) || '''' END) WHEN length(CAST(`events`.`project_id` AS BLOB)) = 36 AND `events`.`project_id` GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN '''' || `events`.`project_id` || '''' ELSE `events`.`project_id` END)), `id`, `type`, `run_id`, `time`, `received_at`, `body` FROM `events` ORDER BY `seq`;--> statement-breakpoint
DELETE FROM sqlite_sequence WHERE name = '__new_events';--> statement-breakpoint
INSERT INTO sqlite_sequence (name, seq) SELECT '__new_events', seq FROM sqlite_sequence WHERE name = 'events';--> statement-breakpoint
DROP TABLE `events`;--> statement-breakpoint
ALTER TABLE `__new_events` RENAME TO `events`;--> statement-breakpoint
CREATE UNIQUE INDEX `events_project_id_idx` ON `events` (`project_key`,`id`);--> statement-breakpoint
DROP TRIGGER IF EXISTS `audit_log_no_update`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `audit_log_no_delete`;--> statement-breakpoint
CREATE TABLE `__new_audit_log` (
	`project_key` integer NOT NULL,
	`seq` integer NOT NULL,
	`time` integer NOT NULL,
	`actor` blob NOT NULL,
	`action` text NOT NULL,
	`subject` blob NOT NULL,
	`run_id` blob,
	`payload_hash` blob NOT NULL,
	`hash` blob NOT NULL,
	PRIMARY KEY(`project_key`, `seq`)
) WITHOUT ROWID;--> statement-breakpoint
INSERT INTO `__new_audit_log` (`project_key`, `seq`, `time`, `actor`, `action`, `subject`, `run_id`, `payload_hash`, `hash`)
SELECT (SELECT `k`.`project_key` FROM `project_keys` `k` WHERE `k`.`project_id` = (CASE WHEN typeof(`audit_log`.`project_id`) = 'blob' THEN (CASE WHEN length(`audit_log`.`project_id`) = 16 THEN lower(substr(hex(`audit_log`.`project_id`), 1, 8) || '-' || substr(hex(`audit_log`.`project_id`), 9, 4) || '-' || substr(hex(`audit_log`.`project_id`), 13, 4) || '-' || substr(hex(`audit_log`.`project_id`), 17, 4) || '-' || substr(hex(`audit_log`.`project_id`), 21)) ELSE 'x''' || lower(hex(`audit_log`.`project_id`)) || '''' END) WHEN length(CAST(`audit_log`.`project_id` AS BLOB)) = 36 AND `audit_log`.`project_id` GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN '''' || `audit_log`.`project_id` || '''' ELSE `audit_log`.`project_id` END)), `seq`, `time`, `actor`, `action`, `subject`, `run_id`, `payload_hash`, `hash` FROM `audit_log`;--> statement-breakpoint
DROP TABLE `audit_log`;--> statement-breakpoint
ALTER TABLE `__new_audit_log` RENAME TO `audit_log`;--> statement-breakpoint
CREATE INDEX `audit_log_run_idx` ON `audit_log` (`project_key`,`run_id`) WHERE run_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `audit_log_time_seq_idx` ON `audit_log` (`project_key`,`time`,`seq`);--> statement-breakpoint
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: entries cannot be changed'); END;--> statement-breakpoint
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: entries cannot be deleted'); END;--> statement-breakpoint
CREATE TABLE `__new_audit_payloads` (
	`project_key` integer NOT NULL,
	`seq` integer NOT NULL,
	`body` text NOT NULL,
	PRIMARY KEY(`project_key`, `seq`)
);--> statement-breakpoint
INSERT INTO `__new_audit_payloads` (`project_key`, `seq`, `body`)
SELECT (SELECT `k`.`project_key` FROM `project_keys` `k` WHERE `k`.`project_id` = (CASE WHEN typeof(`audit_payloads`.`project_id`) = 'blob' THEN (CASE WHEN length(`audit_payloads`.`project_id`) = 16 THEN lower(substr(hex(`audit_payloads`.`project_id`), 1, 8) || '-' || substr(hex(`audit_payloads`.`project_id`), 9, 4) || '-' || substr(hex(`audit_payloads`.`project_id`), 13, 4) || '-' || substr(hex(`audit_payloads`.`project_id`), 17, 4) || '-' || substr(hex(`audit_payloads`.`project_id`), 21)) ELSE 'x''' || lower(hex(`audit_payloads`.`project_id`)) || '''' END) WHEN length(CAST(`audit_payloads`.`project_id` AS BLOB)) = 36 AND `audit_payloads`.`project_id` GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN '''' || `audit_payloads`.`project_id` || '''' ELSE `audit_payloads`.`project_id` END)), `seq`, `body` FROM `audit_payloads`;--> statement-breakpoint
DROP TABLE `audit_payloads`;--> statement-breakpoint
ALTER TABLE `__new_audit_payloads` RENAME TO `audit_payloads`;--> statement-breakpoint
CREATE TABLE `__new_steps` (
	`project_key` integer NOT NULL,
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
	PRIMARY KEY(`project_key`, `id`)
);--> statement-breakpoint
INSERT INTO `__new_steps` (`project_key`, `id`, `run_id`, `name`, `call`, `epoch`, `status`, `confidence`, `cumulative`, `source`, `observed_at`, `max_age_ms`, `stale`, `flagged`, `attempts`, `escalation_id`, `duration_ms`, `started_at`, `ended_at`, `event_seq`)
SELECT (SELECT `k`.`project_key` FROM `project_keys` `k` WHERE `k`.`project_id` = (CASE WHEN typeof(`steps`.`project_id`) = 'blob' THEN (CASE WHEN length(`steps`.`project_id`) = 16 THEN lower(substr(hex(`steps`.`project_id`), 1, 8) || '-' || substr(hex(`steps`.`project_id`), 9, 4) || '-' || substr(hex(`steps`.`project_id`), 13, 4) || '-' || substr(hex(`steps`.`project_id`), 17, 4) || '-' || substr(hex(`steps`.`project_id`), 21)) ELSE 'x''' || lower(hex(`steps`.`project_id`)) || '''' END) WHEN length(CAST(`steps`.`project_id` AS BLOB)) = 36 AND `steps`.`project_id` GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN '''' || `steps`.`project_id` || '''' ELSE `steps`.`project_id` END)), `id`, `run_id`, `name`, `call`, `epoch`, `status`, `confidence`, `cumulative`, `source`, `observed_at`, `max_age_ms`, `stale`, `flagged`, `attempts`, `escalation_id`, `duration_ms`, `started_at`, `ended_at`, `event_seq` FROM `steps`;--> statement-breakpoint
DROP TABLE `steps`;--> statement-breakpoint
ALTER TABLE `__new_steps` RENAME TO `steps`;--> statement-breakpoint
CREATE INDEX `steps_run_idx` ON `steps` (`project_key`,`run_id`,`started_at`);
