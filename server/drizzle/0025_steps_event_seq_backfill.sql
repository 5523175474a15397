-- Each step row points at the report it was projected from: among its run's events of the step,
-- the last one with the row's end time and source (the projector keeps the latest report, and a
-- later one with the same time replaces it), else the last one. Step payloads are then read from
-- that event's body, and the columns that repeated them are dropped by the next migration.
CREATE TABLE `__steps_event_seq` (
	`project_id` text NOT NULL,
	`step_id` text,
	`run_id` text,
	`seq` integer NOT NULL,
	`ended_at` integer,
	`source` text
);
--> statement-breakpoint
INSERT INTO `__steps_event_seq`
SELECT project_id, body ->> '$.stepId', run_id, seq,
       CAST((julianday(body ->> '$.time') - 2440587.5) * 86400000 + 0.5 AS INTEGER), body ->> '$.source'
FROM `events` WHERE type IN ('step.completed', 'step.failed') AND json_valid(body);
--> statement-breakpoint
CREATE INDEX `__steps_event_seq_idx` ON `__steps_event_seq` (`project_id`, `step_id`);
--> statement-breakpoint
UPDATE `steps` SET event_seq = coalesce(
  (SELECT max(c.seq) FROM `__steps_event_seq` c WHERE c.project_id = steps.project_id AND c.step_id = steps.id AND c.run_id = steps.run_id
     AND c.ended_at = steps.ended_at AND c.source = steps.source),
  (SELECT max(c.seq) FROM `__steps_event_seq` c WHERE c.project_id = steps.project_id AND c.step_id = steps.id AND c.run_id = steps.run_id));
--> statement-breakpoint
DROP TABLE `__steps_event_seq`;
