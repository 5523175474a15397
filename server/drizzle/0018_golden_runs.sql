ALTER TABLE `golden_results` ADD `comparison` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `golden_result` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `golden_set` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `golden_case` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `golden_outcome` text;--> statement-breakpoint
CREATE INDEX `runs_golden_idx` ON `runs` (`project_id`,`golden_result`,`golden_case`) WHERE "runs"."golden_result" IS NOT NULL;