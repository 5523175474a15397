-- The event log keeps its ids (project, event, run) as the 16 bytes a UUID spells instead of 36
-- characters of text, and drops key_id, which nothing read (an event's audit entry names the key
-- as its actor). An id that is not a UUID in canonical form (lower-case hex, dashes at 8, 13, 18
-- and 23; 36 bytes, so nothing after a NUL) stays text, so the mapping is one to one: the same
-- rule as stored-id.ts. Same rows, same seqs, same bodies; the sequence is carried over, so no
-- seq is ever handed out twice.
CREATE TABLE `__new_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` blob NOT NULL,
	`id` blob NOT NULL,
	`type` text NOT NULL,
	`run_id` blob,
	`time` integer NOT NULL,
	`received_at` integer NOT NULL,
	`body` text NOT NULL
);--> statement-breakpoint
INSERT INTO `__new_events` (`seq`, `project_id`, `id`, `type`, `run_id`, `time`, `received_at`, `body`)
SELECT `seq`,
  (CASE WHEN length(CAST(`project_id` AS BLOB)) = 36 AND `project_id` GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN unhex(`project_id`, '-') ELSE `project_id` END),
  (CASE WHEN length(CAST(`id` AS BLOB)) = 36 AND `id` GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN unhex(`id`, '-') ELSE `id` END),
  `type`,
  (CASE WHEN length(CAST(`run_id` AS BLOB)) = 36 AND `run_id` GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN unhex(`run_id`, '-') ELSE `run_id` END),
  `time`, `received_at`, `body`
FROM `events` ORDER BY `seq`;--> statement-breakpoint
DELETE FROM sqlite_sequence WHERE name = '__new_events';--> statement-breakpoint
INSERT INTO sqlite_sequence (name, seq) SELECT '__new_events', seq FROM sqlite_sequence WHERE name = 'events';--> statement-breakpoint
DROP TABLE `events`;--> statement-breakpoint
ALTER TABLE `__new_events` RENAME TO `events`;--> statement-breakpoint
CREATE UNIQUE INDEX `events_project_id_idx` ON `events` (`project_id`,`id`);
