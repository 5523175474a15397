DROP INDEX `rollup_hours_project_idx`;--> statement-breakpoint
CREATE INDEX `rollup_hours_project_idx` ON `rollup_hours` (`project_id`,`hour`,`workflow`,`version`,`step`);