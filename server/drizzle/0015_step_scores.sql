CREATE TABLE `step_records` (
	`project_id` text NOT NULL,
	`step_id` text NOT NULL,
	`id` text NOT NULL,
	`name` text NOT NULL,
	`time` integer NOT NULL,
	`body` text NOT NULL,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `step_id`, `id`)
);
--> statement-breakpoint
CREATE TABLE `step_scores` (
	`project_id` text NOT NULL,
	`step_id` text NOT NULL,
	`id` text NOT NULL,
	`name` text,
	`value` real,
	`label` text,
	`explanation` text,
	`origin` text NOT NULL,
	`time` integer NOT NULL,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `step_id`, `id`)
);
--> statement-breakpoint
ALTER TABLE `policies` ADD `confidence_from` text;