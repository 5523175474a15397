DROP INDEX `audit_log_time_idx`;--> statement-breakpoint
CREATE INDEX `audit_log_time_seq_idx` ON `audit_log` (`project_id`,`time`,`seq`);