-- The audit log keeps its two hashes as 32-byte BLOBs instead of 64 characters of hex, and its rows
-- in the B-tree of its primary key (WITHOUT ROWID) instead of a rowid table with the key indexed
-- a second time. Same entries, same chain: the hex the chain hashes is lower(hex(blob)).
-- A stored hash that is not 64 lowercase hex characters (an edited row) is kept as its bytes, so
-- verification still reports it.
DROP TRIGGER IF EXISTS `audit_log_no_update`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `audit_log_no_delete`;--> statement-breakpoint
CREATE TABLE `__new_audit_log` (
	`project_id` text NOT NULL,
	`seq` integer NOT NULL,
	`time` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`subject` text NOT NULL,
	`run_id` text,
	`payload_hash` blob NOT NULL,
	`hash` blob NOT NULL,
	PRIMARY KEY(`project_id`, `seq`)
) WITHOUT ROWID;--> statement-breakpoint
INSERT INTO `__new_audit_log` (`project_id`, `seq`, `time`, `actor`, `action`, `subject`, `run_id`, `payload_hash`, `hash`)
SELECT `project_id`, `seq`, `time`, `actor`, `action`, `subject`, `run_id`,
  CASE WHEN typeof(`payload_hash`) = 'text' AND length(`payload_hash`) = 64 AND `payload_hash` = lower(`payload_hash`) AND unhex(`payload_hash`) IS NOT NULL
    THEN unhex(`payload_hash`) ELSE CAST(`payload_hash` AS BLOB) END,
  CASE WHEN typeof(`hash`) = 'text' AND length(`hash`) = 64 AND `hash` = lower(`hash`) AND unhex(`hash`) IS NOT NULL
    THEN unhex(`hash`) ELSE CAST(`hash` AS BLOB) END
FROM `audit_log`;--> statement-breakpoint
DROP TABLE `audit_log`;--> statement-breakpoint
ALTER TABLE `__new_audit_log` RENAME TO `audit_log`;--> statement-breakpoint
CREATE INDEX `audit_log_run_idx` ON `audit_log` (`project_id`,`run_id`) WHERE run_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `audit_log_time_seq_idx` ON `audit_log` (`project_id`,`time`,`seq`);--> statement-breakpoint
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: entries cannot be changed'); END;--> statement-breakpoint
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: entries cannot be deleted'); END;
