ALTER TABLE `job_runs` ADD `tick` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `job_runs_tick_idx` ON `job_runs` (`job`,`tick`);