ALTER TABLE `rollup_days` ADD `unscored` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_hours` ADD `unscored` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `job_runs` ADD `tick` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `job_runs_tick_idx` ON `job_runs` (`job`,`tick`);--> statement-breakpoint
ALTER TABLE `policies` ADD `require_confidence` integer;