DROP INDEX `escalations_risk_idx`;--> statement-breakpoint
ALTER TABLE `escalations` ADD `risk` real GENERATED ALWAYS AS (coalesce(cumulative, 2)) VIRTUAL;--> statement-breakpoint
CREATE INDEX `escalations_risk_order_idx` ON `escalations` (`project_id`,`status`,`risk`,`created_at`,`id`);