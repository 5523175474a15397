import { sql } from "drizzle-orm";
import { projectKeyColumn } from "../../platform/db/project-key.js";
import { blob, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// The event log: every accepted SDK or OTLP event, as sent.
// Times are integer Unix milliseconds: compact, sortable, and cheap to compare in range scans.
// JSON payloads are stored as text written by the store layer (one JSON.stringify per value).

/**
 * Raw events as received: append-only, the durable record a 2xx acknowledges and the source
 * runs and steps are projected from. (project, event id) is the idempotency check; ids are
 * UUIDv7, so index inserts land at the right edge of the B-tree.
 */
export const events = sqliteTable(
  "events",
  {
    /** Commit order, never reused (AUTOINCREMENT): the projector's cursor. */
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    /** The project's key in this store (platform/db/project-key.ts). */
    projectKey: projectKeyColumn("project_key").notNull(),
    /** Ids as stored-id.ts stores them: a UUID as its 16 bytes (the key that sent it is the audit actor's). */
    id: blob("id").notNull(),
    type: text("type").notNull(),
    runId: blob("run_id"),
    time: integer("time").notNull(),
    receivedAt: integer("received_at").notNull(),
    body: text("body").notNull(),
  },
  (t) => [uniqueIndex("events_project_id_idx").on(t.projectKey, t.id)],
);

/**
 * OTLP spans as they wait for, and after, their place in a run (otlp/settle.ts). A span becomes a
 * step event only once everything its values depend on is stored (its parent chain up to a top
 * span, the spans it links to), so the same spans give the same steps in any split and order.
 * Until then its draft waits here (`state` "pending", `draft` holding the mapped span); once
 * settled, the row keeps what its descendants inherit (run, workflow, own confidence, flag,
 * lineage) and the span's bounded metadata, and the draft is dropped: the event log has it.
 * Spans the SDK's OpenTelemetry helper made (`kind` "reported") are kept so spans started under
 * them find their run and step.
 */
export const otlpSpans = sqliteTable(
  "otlp_spans",
  {
    projectId: text("project_id").notNull(),
    traceId: text("trace_id").notNull(),
    spanId: text("span_id").notNull(),
    /** "span" (a step of its own) or "reported" (made by the SDK helper, whose step came through /v1/events). */
    kind: text("kind", { enum: ["span", "reported"] }).notNull(),
    state: text("state", { enum: ["pending", "settled"] }).notNull(),
    /** The step this span is (or, for a reported span, the SDK step it stands for). */
    stepId: text("step_id"),
    /** The run its step is in; null while pending. */
    runId: text("run_id"),
    /** The API key that sent the span: its events are stored and audited under it. */
    keyId: text("key_id").notNull(),
    receivedAt: integer("received_at").notNull(),
    startedAt: integer("started_at").notNull(),
    endedAt: integer("ended_at").notNull(),
    /** JSON of the mapped span while pending (otlp/span-draft.ts); null once settled. */
    draft: text("draft"),
    /** What descendants inherit once settled: JSON (otlp/settle.ts `Settled`). */
    settled: text("settled"),
    /** Bounded span kind, attributes, resource and links, shown with the step (JSON). */
    meta: text("meta"),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.traceId, t.spanId] }),
    // Run detail reads the metadata of its steps by step id.
    index("otlp_spans_step_idx").on(t.projectId, t.stepId),
    // Each request reads its traces' waiting spans, not every span they have.
    index("otlp_spans_pending_idx").on(t.projectId, t.traceId).where(sql`${t.state} = 'pending'`),
  ],
);

/**
 * One row per trace with spans still waiting: when its last span arrived, so the idle-close job
 * (otlp/close-job.ts) can settle a trace whose root never comes.
 */
export const otlpTraces = sqliteTable(
  "otlp_traces",
  {
    projectId: text("project_id").notNull(),
    traceId: text("trace_id").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    /** Spans of the trace still pending. */
    pending: integer("pending").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.traceId] }),
    // The idle-close job scans every project for traces quiet too long; only waiting ones are indexed.
    index("otlp_traces_idle_idx").on(t.lastSeenAt).where(sql`${t.pending} > 0`),
  ],
);

/**
 * The top span that speaks for each OTLP run (its status, input and output). A run can have several
 * (spans naming one `seamtrace.run.id` from several traces; a root and spans closed without theirs);
 * the best one wins whatever order they settle in (otlp/run-roots.ts).
 */
export const otlpRuns = sqliteTable(
  "otlp_runs",
  {
    projectId: text("project_id").notNull(),
    runId: text("run_id").notNull(),
    /** 2 for a top span, 1 for a span that stands in for a root that never arrived. */
    rootClass: integer("root_class").notNull(),
    rootEndedAt: integer("root_ended_at").notNull(),
    rootTraceId: text("root_trace_id").notNull(),
    rootSpanId: text("root_span_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.runId] })],
);

/**
 * Named scores of steps: every `gen_ai.evaluation.result` of a span, as a span event or as an OTLP
 * log record (which may arrive before its span: the row is keyed by the step id the span will have).
 * Which one is the step's confidence is a policy setting (`confidenceFrom`).
 */
export const stepScores = sqliteTable(
  "step_scores",
  {
    projectId: text("project_id").notNull(),
    stepId: text("step_id").notNull(),
    /** Stable per evaluation (hash of where it came from), so a resent export stores it once. */
    id: text("id").notNull(),
    name: text("name"),
    value: real("value"),
    label: text("label"),
    explanation: text("explanation"),
    /** "span" (a span event) or "log" (a log record). */
    origin: text("origin", { enum: ["span", "log"] }).notNull(),
    time: integer("time").notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.stepId, t.id] })],
);

/**
 * GenAI event records (OTLP log records other than evaluations) attached to their span's step,
 * bounded; shown with the step.
 */
export const stepRecords = sqliteTable(
  "step_records",
  {
    projectId: text("project_id").notNull(),
    stepId: text("step_id").notNull(),
    id: text("id").notNull(),
    name: text("name").notNull(),
    time: integer("time").notNull(),
    /** Bounded attributes and body of the record (JSON). */
    body: text("body").notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.stepId, t.id] })],
);
