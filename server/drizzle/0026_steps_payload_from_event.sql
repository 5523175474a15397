ALTER TABLE `steps` DROP COLUMN `parents`;--> statement-breakpoint
ALTER TABLE `steps` DROP COLUMN `input`;--> statement-breakpoint
ALTER TABLE `steps` DROP COLUMN `output`;--> statement-breakpoint
ALTER TABLE `steps` DROP COLUMN `reasoning`;--> statement-breakpoint
ALTER TABLE `steps` DROP COLUMN `alternatives`;--> statement-breakpoint
ALTER TABLE `steps` DROP COLUMN `features`;--> statement-breakpoint
ALTER TABLE `steps` DROP COLUMN `attempt_errors`;--> statement-breakpoint
ALTER TABLE `steps` DROP COLUMN `error`;--> statement-breakpoint
ALTER TABLE `steps` DROP COLUMN `gate`;