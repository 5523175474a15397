ALTER TABLE `rollup_days` ADD `unscored` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_hours` ADD `unscored` integer DEFAULT 0 NOT NULL;