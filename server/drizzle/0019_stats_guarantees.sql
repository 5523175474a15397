ALTER TABLE `alerts` ADD `message` text;--> statement-breakpoint
ALTER TABLE `alerts` ADD `details` text;--> statement-breakpoint
ALTER TABLE `rollup_days` ADD `sources` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_hours` ADD `sources` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `rollup_labels` ADD `inclusion` real;--> statement-breakpoint
CREATE INDEX `rollup_labels_series_idx` ON `rollup_labels` (`project_id`,`workflow`,`version`,`step`,`hour`);--> statement-breakpoint
ALTER TABLE `policies` ADD `spot_check_near_rate` real;--> statement-breakpoint
ALTER TABLE `policies` ADD `delta` real;--> statement-breakpoint
ALTER TABLE `policies` ADD `on_unmet` text;--> statement-breakpoint
ALTER TABLE `threshold_changes` ADD `kind` text DEFAULT 'threshold' NOT NULL;--> statement-breakpoint
ALTER TABLE `threshold_changes` ADD `outcome` text;