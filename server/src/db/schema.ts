import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Times are integer Unix milliseconds: compact, sortable, and cheap to compare in range scans.
// JSON payloads are stored as text written by the store layer (one JSON.stringify per value).

/** A tenant. Nothing crosses projects: every other table carries `project_id` in its key. */
export const projects = sqliteTable("projects", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  createdAt: integer("created_at").notNull(),
});

/**
 * Project API keys. Only a keyed hash (HMAC-SHA256 under the server secret) is stored, so a
 * copy of the database does not yield usable keys; `prefix` is the displayable start.
 */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    hash: text("hash").notNull(),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [
    // Authentication looks a presented key up by its hash on every request.
    uniqueIndex("api_keys_hash_idx").on(t.hash),
    index("api_keys_project_idx").on(t.projectId, t.createdAt),
  ],
);

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
    projectId: text("project_id").notNull(),
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
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.id] }),
    // The runs list pages newest first within a time window; (started_at, id) is the cursor.
    index("runs_project_started_idx").on(t.projectId, t.startedAt, t.id),
    index("runs_workflow_started_idx").on(t.projectId, t.workflowId, t.startedAt),
    index("runs_status_started_idx").on(t.projectId, t.status, t.startedAt),
    // Resume finds a run by the caller's idempotency key. Not unique: two workers racing on
    // one message must not make the collector drop a run; resume picks the newest.
    index("runs_key_idx")
      .on(t.projectId, t.workflowId, t.key)
      .where(sql`${t.key} IS NOT NULL`),
  ],
);

/** Steps, projected from step events: one row per step (its last attempt). */
export const steps = sqliteTable(
  "steps",
  {
    projectId: text("project_id").notNull(),
    id: text("id").notNull(),
    runId: text("run_id").notNull(),
    name: text("name").notNull(),
    status: text("status", { enum: ["completed", "failed"] }).notNull(),
    /** JSON array of parent step ids: the DAG edges. */
    parents: text("parents").notNull(),
    input: text("input"),
    output: text("output"),
    confidence: real("confidence"),
    cumulative: real("cumulative"),
    source: text("source").notNull(),
    observedAt: integer("observed_at"),
    maxAgeMs: integer("max_age_ms"),
    stale: integer("stale", { mode: "boolean" }).notNull(),
    flagged: integer("flagged", { mode: "boolean" }).notNull().default(false),
    reasoning: text("reasoning"),
    alternatives: text("alternatives"),
    features: text("features"),
    attempts: integer("attempts").notNull(),
    attemptErrors: text("attempt_errors"),
    error: text("error"),
    gate: text("gate"),
    durationMs: integer("duration_ms").notNull(),
    startedAt: integer("started_at").notNull(),
    endedAt: integer("ended_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.id] }),
    // Run detail reads all steps of one run in execution order.
    index("steps_run_idx").on(t.projectId, t.runId, t.startedAt),
  ],
);

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
    projectId: text("project_id").notNull(),
    id: text("id").notNull(),
    type: text("type").notNull(),
    runId: text("run_id"),
    time: integer("time").notNull(),
    receivedAt: integer("received_at").notNull(),
    /** The API key that sent it: the audit actor `sdk:<key id>`. */
    keyId: text("key_id").notNull(),
    body: text("body").notNull(),
  },
  (t) => [uniqueIndex("events_project_id_idx").on(t.projectId, t.id)],
);

/** How far each projection has folded the event log, by `events.seq`. */
export const projections = sqliteTable("projections", {
  name: text("name").primaryKey(),
  position: integer("position").notNull(),
  updatedAt: integer("updated_at").notNull(),
});
