ALTER TABLE `escalations` ADD `epoch` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `escalations` ADD `resume_epoch` integer;--> statement-breakpoint
ALTER TABLE `runs` ADD `status_epoch` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `runs` ADD `status_seq` integer;--> statement-breakpoint
ALTER TABLE `steps` ADD `epoch` integer DEFAULT 0 NOT NULL;