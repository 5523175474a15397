-- escalation.rate counted escalations per step output; it is now escalation.rate.steps, beside
-- escalation.rate.runs. Stored rules, their alerts and the stored values follow the new name.
UPDATE `alert_rules` SET `metric` = 'escalation.rate.steps' WHERE `metric` = 'escalation.rate';--> statement-breakpoint
UPDATE `alerts` SET `metric` = 'escalation.rate.steps' WHERE `metric` = 'escalation.rate';--> statement-breakpoint
UPDATE `metrics` SET `metric` = 'escalation.rate.steps' WHERE `metric` = 'escalation.rate';
