import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { projects } from "../auth/schema.js";
import { storedIdColumn } from "../../platform/db/stored-id-column.js";
import { projectKeyColumn } from "../../platform/db/project-key.js";

// Runs, their steps and workflows, projected from the event log; hourly run counts.
// Times are integer Unix milliseconds: compact, sortable, and cheap to compare in range scans.
// JSON payloads are stored as text written by the store layer (one JSON.stringify per value).

/** A named workflow within a project; versions live on runs. */
export const workflows = sqliteTable(
  "workflows",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id),
    name: text("name").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("workflows_project_name_idx").on(t.projectId, t.name)],
);

/**
 * Runs, projected from events. Keyed by (project, id) because run ids are chosen by clients:
 * another project sending the same id must get a run of its own, never touch this one.
 */
export const runs = sqliteTable(
  "runs",
  {
    /** The project's key in this store (platform/db/project-key.ts, since migration 0033). */
    projectKey: projectKeyColumn("project_key").notNull(),
    id: text("id").notNull(),
    workflowId: text("workflow_id").notNull(),
    workflow: text("workflow").notNull(),
    version: text("version").notNull(),
    key: text("key"),
    status: text("status", { enum: ["running", "paused", "completed", "failed"] }).notNull(),
    /**
     * Time of the event that set `status`; null while the row only exists because a step event
     * arrived first. Events arrive out of order across batches, so a status is replaced only by
     * a newer one (and a terminal status never by `running`).
     */
    statusAt: integer("status_at"),
    /**
     * The resume epoch and the position within it of the event that set `status`: a status is
     * replaced by one from a later epoch, or later in the same epoch, never by comparing the
     * clocks of the workers that sent them. Events without them (older SDKs) count as epoch 0
     * with no position, and fall back to `status_at`.
     */
    statusEpoch: integer("status_epoch").notNull().default(0),
    statusSeq: integer("status_seq"),
    /**
     * The `events.seq` of the report whose body holds the run's input (the last `run.started`
     * with one) and of the one that set its status, whose body holds its output
     * (runs/run-payload.ts): the log keeps a payload once. Null when there is none.
     */
    inputSeq: integer("input_seq"),
    outputSeq: integer("output_seq"),
    /**
     * The input and output as JSON text, as rows projected before migration 0034 hold them; the
     * projection writes the seqs above instead, and a seq, once set, is read in their place.
     */
    input: text("input"),
    output: text("output"),
    error: text("error"),
    /** The step that failed or paused the run. */
    stopStepId: text("stop_step_id"),
    startedAt: integer("started_at").notNull(),
    endedAt: integer("ended_at"),
    durationMs: integer("duration_ms"),
    stepCount: integer("step_count").notNull().default(0),
    /** Lowest cumulative confidence reached by any step: the run's weakest link. */
    minCumulative: real("min_cumulative"),
    updatedAt: integer("updated_at").notNull(),
    /** When retention (`final`) dropped the run's intermediate payloads; null while they are kept. */
    payloadsPurgedAt: integer("payloads_purged_at"),
    /**
     * Set for a run a golden-set evaluation made (its events' `golden` tag), null for production
     * traffic: the golden result it belongs to, the set, the case and its outcome. Such runs are
     * listed only on request and never counted in run_hours.
     */
    goldenResult: text("golden_result"),
    goldenSet: text("golden_set"),
    goldenCase: text("golden_case"),
    goldenOutcome: text("golden_outcome", { enum: ["pass", "fail"] }),
  },
  (t) => [
    primaryKey({ columns: [t.projectKey, t.id] }),
    // Retention finds ended runs by end time: past a workflow's TTL (all of them), or not yet
    // reduced to `final` (the partial index, which shrinks as runs are purged, so the job's
    // cost follows the new runs, not the history).
    index("runs_ended_idx").on(t.projectKey, t.workflowId, t.endedAt),
    index("runs_unpurged_idx").on(t.projectKey, t.workflowId, t.endedAt).where(sql`${t.payloadsPurgedAt} IS NULL AND ${t.status} IN ('completed', 'failed')`),
    // The runs list pages newest first within a time window; (started_at, id) is the cursor.
    index("runs_project_started_idx").on(t.projectKey, t.startedAt, t.id),
    index("runs_workflow_started_idx").on(t.projectKey, t.workflowId, t.startedAt),
    index("runs_status_started_idx").on(t.projectKey, t.status, t.startedAt),
    // Resume finds a run by the caller's idempotency key. Not unique: two workers racing on
    // one message must not make the collector drop a run; resume picks the newest.
    // A golden result's runs, by case (the result page links each case to its run); partial,
    // so production runs cost it nothing.
    index("runs_golden_idx").on(t.projectKey, t.goldenResult, t.goldenCase).where(sql`${t.goldenResult} IS NOT NULL`),
    index("runs_key_idx").on(t.projectKey, t.workflowId, t.key).where(sql`${t.key} IS NOT NULL`),
  ],
);

/**
 * Steps, projected from step events: one row per step (its last attempt). The row holds what is
 * queried and sorted on; the payloads stay in the event it came from (`event_seq`), so each is
 * stored once.
 */
export const steps = sqliteTable(
  "steps",
  {
    /** The project's key in this store (platform/db/project-key.ts, since migration 0032). */
    projectKey: projectKeyColumn("project_key").notNull(),
    // Ids as stored-id.ts keeps them (a UUID as its 16 bytes, since migration 0031).
    id: storedIdColumn("id").notNull(),
    runId: storedIdColumn("run_id").notNull(),
    name: text("name").notNull(),
    /** Earlier calls of this step name in the run: with the name, the step's identity for replay. */
    call: integer("call").notNull().default(0),
    /** The resume epoch of the execution that ran this step: a replay takes a later epoch's record of a call over an earlier one's. */
    epoch: integer("epoch").notNull().default(0),
    status: text("status", { enum: ["completed", "failed"] }).notNull(),
    confidence: real("confidence"),
    cumulative: real("cumulative"),
    source: text("source").notNull(),
    observedAt: integer("observed_at"),
    maxAgeMs: integer("max_age_ms"),
    stale: integer("stale", { mode: "boolean" }).notNull(),
    flagged: integer("flagged", { mode: "boolean" }).notNull().default(false),
    attempts: integer("attempts").notNull(),
    /** The escalation (blocking, flag or spot check) this step went to review as. */
    escalationId: text("escalation_id"),
    durationMs: integer("duration_ms").notNull(),
    startedAt: integer("started_at").notNull(),
    endedAt: integer("ended_at").notNull(),
    /**
     * The `events.seq` of the report this row was projected from: the step's payloads (input,
     * output, reasoning, alternatives, features, errors, gate, parents) are read from that
     * event's body, which holds them once (runs/step-payload.ts). Null only for a row migrated
     * from before, whose event the log no longer holds.
     */
    eventSeq: integer("event_seq"),
  },
  (t) => [
    primaryKey({ columns: [t.projectKey, t.id] }),
    // Run detail reads all steps of one run in execution order.
    index("steps_run_idx").on(t.projectKey, t.runId, t.startedAt),
  ],
);

/** How far each projection has folded the event log, by `events.seq`. */
export const projections = sqliteTable("projections", {
  name: text("name").primaryKey(),
  position: integer("position").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * Runs started per project × workflow × version × hour (UTC, the hour's start in ms), kept by the
 * projector in the transaction that writes the runs (store/run-hours.ts), so `GET /v1/workflows`
 * sums at most a window's hours instead of counting every run in it: its cost follows the window
 * length, not how many runs the store holds (test/reliability/scale.test.ts).
 */
export const runHours = sqliteTable(
  "run_hours",
  {
    projectId: text("project_id").notNull(),
    workflowId: text("workflow_id").notNull(),
    version: text("version").notNull(),
    hour: integer("hour").notNull(),
    runs: integer("runs").notNull(),
    /** The latest `runs.started_at` within the hour. */
    lastRunAt: integer("last_run_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.workflowId, t.version, t.hour] }), index("run_hours_project_hour_idx").on(t.projectId, t.hour)],
);
