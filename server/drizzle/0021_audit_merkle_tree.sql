CREATE TABLE `audit_tree_nodes` (
	`project_id` text NOT NULL,
	`level` integer NOT NULL,
	`idx` integer NOT NULL,
	`hash` text NOT NULL,
	PRIMARY KEY(`project_id`, `level`, `idx`)
);
--> statement-breakpoint
CREATE TABLE `audit_trees` (
	`project_id` text PRIMARY KEY NOT NULL,
	`size` integer NOT NULL,
	`head_hash` text NOT NULL,
	`frontier` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `audit_checkpoints` ADD `root_hash` text;