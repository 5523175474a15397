CREATE TABLE `otlp_runs` (
	`project_id` text NOT NULL,
	`run_id` text NOT NULL,
	`root_class` integer NOT NULL,
	`root_ended_at` integer NOT NULL,
	`root_trace_id` text NOT NULL,
	`root_span_id` text NOT NULL,
	PRIMARY KEY(`project_id`, `run_id`)
);
--> statement-breakpoint
CREATE TABLE `otlp_spans` (
	`project_id` text NOT NULL,
	`trace_id` text NOT NULL,
	`span_id` text NOT NULL,
	`kind` text NOT NULL,
	`state` text NOT NULL,
	`step_id` text,
	`run_id` text,
	`key_id` text NOT NULL,
	`received_at` integer NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer NOT NULL,
	`draft` text,
	`settled` text,
	`meta` text,
	PRIMARY KEY(`project_id`, `trace_id`, `span_id`)
);
--> statement-breakpoint
CREATE INDEX `otlp_spans_step_idx` ON `otlp_spans` (`project_id`,`step_id`);--> statement-breakpoint
CREATE INDEX `otlp_spans_pending_idx` ON `otlp_spans` (`project_id`,`trace_id`) WHERE "otlp_spans"."state" = 'pending';--> statement-breakpoint
CREATE TABLE `otlp_traces` (
	`project_id` text NOT NULL,
	`trace_id` text NOT NULL,
	`last_seen_at` integer NOT NULL,
	`pending` integer NOT NULL,
	PRIMARY KEY(`project_id`, `trace_id`)
);
--> statement-breakpoint
CREATE INDEX `otlp_traces_idle_idx` ON `otlp_traces` (`last_seen_at`) WHERE "otlp_traces"."pending" > 0;