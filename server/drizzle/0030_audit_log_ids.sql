-- The audit log and its payloads keep project and run ids as the 16 bytes a UUID spells instead of
-- 36 characters of text, in the rows and in both of the log's indexes: the rule of stored-id.ts,
-- as 0029 applied it to the event log. The chain hashes the ids as text; readers turn the bytes
-- back into that text, so every entry hashes as it did. Same entries, same order, same payloads.
DROP TRIGGER IF EXISTS `audit_log_no_update`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `audit_log_no_delete`;--> statement-breakpoint
CREATE TABLE `__new_audit_log` (
	`project_id` blob NOT NULL,
	`seq` integer NOT NULL,
	`time` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`subject` text NOT NULL,
	`run_id` blob,
	`payload_hash` blob NOT NULL,
	`hash` blob NOT NULL,
	PRIMARY KEY(`project_id`, `seq`)
) WITHOUT ROWID;--> statement-breakpoint
INSERT INTO `__new_audit_log` (`project_id`, `seq`, `time`, `actor`, `action`, `subject`, `run_id`, `payload_hash`, `hash`)
SELECT (CASE WHEN length(CAST(`project_id` AS BLOB)) = 36 AND `project_id` GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN unhex(`project_id`, '-') ELSE `project_id` END),
  `seq`, `time`, `actor`, `action`, `subject`,
  (CASE WHEN length(CAST(`run_id` AS BLOB)) = 36 AND `run_id` GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN unhex(`run_id`, '-') ELSE `run_id` END),
  `payload_hash`, `hash`
FROM `audit_log`;--> statement-breakpoint
DROP TABLE `audit_log`;--> statement-breakpoint
ALTER TABLE `__new_audit_log` RENAME TO `audit_log`;--> statement-breakpoint
CREATE INDEX `audit_log_run_idx` ON `audit_log` (`project_id`,`run_id`) WHERE run_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `audit_log_time_seq_idx` ON `audit_log` (`project_id`,`time`,`seq`);--> statement-breakpoint
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: entries cannot be changed'); END;--> statement-breakpoint
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: entries cannot be deleted'); END;--> statement-breakpoint
CREATE TABLE `__new_audit_payloads` (
	`project_id` blob NOT NULL,
	`seq` integer NOT NULL,
	`body` text NOT NULL,
	PRIMARY KEY(`project_id`, `seq`)
);--> statement-breakpoint
INSERT INTO `__new_audit_payloads` (`project_id`, `seq`, `body`)
SELECT (CASE WHEN length(CAST(`project_id` AS BLOB)) = 36 AND `project_id` GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN unhex(`project_id`, '-') ELSE `project_id` END), `seq`, `body` FROM `audit_payloads`;--> statement-breakpoint
DROP TABLE `audit_payloads`;--> statement-breakpoint
ALTER TABLE `__new_audit_payloads` RENAME TO `audit_payloads`;
