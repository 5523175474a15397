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
    /** When retention (`final`) dropped the run's intermediate payloads; null while they are kept. */
    payloadsPurgedAt: integer("payloads_purged_at"),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.id] }),
    // Retention finds ended runs by end time: past a workflow's TTL (all of them), or not yet
    // reduced to `final` (the partial index, which shrinks as runs are purged, so the job's
    // cost follows the new runs, not the history).
    index("runs_ended_idx").on(t.projectId, t.workflowId, t.endedAt),
    index("runs_unpurged_idx")
      .on(t.projectId, t.workflowId, t.endedAt)
      .where(sql`${t.payloadsPurgedAt} IS NULL AND ${t.status} IN ('completed', 'failed')`),
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
    /** Earlier calls of this step name in the run: with the name, the step's identity for replay. */
    call: integer("call").notNull().default(0),
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
    /** The escalation (blocking, flag or spot check) this step went to review as. */
    escalationId: text("escalation_id"),
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

// ---------------------------------------------------------------------------------------------
// Review (SPEC §3 policies and gates, §5 review). Written by users through the API, or
// projected from SDK events by the projector.
// ---------------------------------------------------------------------------------------------

/** People who use the UI and review API. A user belongs to one project. */
export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id),
    email: text("email").notNull(),
    name: text("name").notNull(),
    role: text("role", { enum: ["admin", "reviewer", "analyst"] }).notNull(),
    /** scrypt, with its parameters and salt encoded in the string. */
    passwordHash: text("password_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    disabledAt: integer("disabled_at"),
  },
  // Login looks a user up by email; one address is one account across the installation.
  (t) => [uniqueIndex("users_email_idx").on(t.email), index("users_project_idx").on(t.projectId)],
);

/** Login sessions. Only a hash of the cookie's token is stored. */
export const sessions = sqliteTable(
  "sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    projectId: text("project_id").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

/**
 * Policies per workflow (`step` = "" for the workflow-wide default) or per step. The row is the
 * current state; every change is also appended to `policy_history`.
 */
export const policies = sqliteTable(
  "policies",
  {
    projectId: text("project_id").notNull(),
    workflow: text("workflow").notNull(),
    step: text("step").notNull(),
    minConfidence: real("min_confidence"),
    minCumulative: real("min_cumulative"),
    onLow: text("on_low", { enum: ["escalate", "flag"] }),
    spotCheckRate: real("spot_check_rate"),
    targetAccuracy: real("target_accuracy"),
    tightenMin: real("tighten_min"),
    tightenMax: real("tighten_max"),
    revision: integer("revision").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /** `user:<id>`, `system:<job>`. */
    updatedBy: text("updated_by").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.workflow, t.step] })],
);

/** Append-only history of policy changes, with who made them and why. */
export const policyHistory = sqliteTable(
  "policy_history",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    workflow: text("workflow").notNull(),
    step: text("step").notNull(),
    /** JSON of the policy before (null when created) and after (null when deleted). */
    before: text("before"),
    after: text("after"),
    actor: text("actor").notNull(),
    reason: text("reason"),
    /** JSON evidence for automatic changes (auto-tighten). */
    evidence: text("evidence"),
    at: integer("at").notNull(),
  },
  (t) => [index("policy_history_idx").on(t.projectId, t.workflow, t.at)],
);

/** Output contracts (JSON Schema) of steps, as the SDK reported them; corrections are checked against them. */
export const contracts = sqliteTable(
  "contracts",
  {
    projectId: text("project_id").notNull(),
    workflow: text("workflow").notNull(),
    version: text("version").notNull(),
    step: text("step").notNull(),
    jsonSchema: text("json_schema").notNull(),
    vendor: text("vendor"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.workflow, t.version, t.step] })],
);

/**
 * The review queue: escalated steps (blocking: the run is paused), flagged steps and spot
 * checks (non-blocking). `packet` is everything a reviewer needs, fixed when it was created.
 */
export const escalations = sqliteTable(
  "escalations",
  {
    projectId: text("project_id").notNull(),
    id: text("id").notNull(),
    runId: text("run_id").notNull(),
    stepId: text("step_id").notNull(),
    workflow: text("workflow").notNull(),
    version: text("version").notNull(),
    step: text("step").notNull(),
    /** `escalate` (blocking), `flag` or `spot_check` (non-blocking). */
    kind: text("kind", { enum: ["escalate", "flag", "spot_check"] }).notNull(),
    /** JSON array of gate kinds that failed: confidence, cumulative, contract, stale. */
    gateKinds: text("gate_kinds").notNull(),
    blocking: integer("blocking", { mode: "boolean" }).notNull(),
    /** Spot checks: the rate they were sampled at, to weight them by its inverse. */
    samplingRate: real("sampling_rate"),
    confidence: real("confidence"),
    cumulative: real("cumulative"),
    /** The queue's "riskiest first" key: the cumulative confidence, unknown (2) last. Computed, never written. */
    risk: real("risk").generatedAlwaysAs(sql`coalesce(cumulative, 2)`, { mode: "virtual" }),
    /** JSON: input, output, confidence, cumulative, reasoning, alternatives, lineage, run so far. */
    packet: text("packet").notNull(),
    status: text("status", { enum: ["open", "resolved"] }).notNull(),
    claimedBy: text("claimed_by"),
    claimExpiresAt: integer("claim_expires_at"),
    decision: text("decision", { enum: ["accept", "correct", "reject"] }),
    /** JSON of the corrected output (`correct`). */
    correctedOutput: text("corrected_output"),
    reason: text("reason"),
    reviewerId: text("reviewer_id"),
    resolvedAt: integer("resolved_at"),
    /** Set once, atomically, by the worker that resumes the run: at most one resume. */
    resumedAt: integer("resumed_at"),
    resumedBy: text("resumed_by"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.id] }),
    // The queue: open items oldest first, or riskiest (lowest cumulative) first.
    index("escalations_queue_idx").on(t.projectId, t.status, t.createdAt),
    // On the queue's own sort key (`risk`), so
    // "riskiest first" reads one page instead of sorting every open item (linear in the queue:
    // test/reliability/scale.test.ts).
    index("escalations_risk_order_idx").on(t.projectId, t.status, t.risk, t.createdAt, t.id),
    index("escalations_run_idx").on(t.projectId, t.runId),
    // Workers polling for runs to resume read resolved items in resolution order.
    index("escalations_resolved_idx").on(t.projectId, t.resolvedAt),
  ],
);

/** Ground truth for one step output: from a review, a spot check, a golden set or late feedback. */
export const labels = sqliteTable(
  "labels",
  {
    projectId: text("project_id").notNull(),
    id: text("id").notNull(),
    runId: text("run_id").notNull(),
    stepId: text("step_id").notNull(),
    workflow: text("workflow").notNull(),
    version: text("version").notNull(),
    step: text("step").notNull(),
    source: text("source", { enum: ["review", "spot_check", "golden", "feedback"] }).notNull(),
    /** Whether the model's output was right: accept → true, correct/reject → false. */
    correct: integer("correct", { mode: "boolean" }),
    /** JSON of the true output, when known. */
    value: text("value"),
    /** The model's confidence for the labelled output, kept for calibration. */
    confidence: real("confidence"),
    samplingRate: real("sampling_rate"),
    escalationId: text("escalation_id"),
    actor: text("actor").notNull(),
    reason: text("reason"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.id] }),
    index("labels_step_idx").on(t.projectId, t.workflow, t.step, t.createdAt),
    index("labels_run_idx").on(t.projectId, t.runId),
    // The corrections export pages stand-alone labels (no decision made them) by time.
    index("labels_standalone_time_idx")
      .on(t.projectId, t.createdAt)
      .where(sql`escalation_id IS NULL`),
  ],
);

/** Outgoing webhooks (escalation.created, escalation.resolved), signed with their own secret. */
export const webhooks = sqliteTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    url: text("url").notNull(),
    secret: text("secret").notNull(),
    /** JSON array of event names it receives. */
    events: text("events").notNull(),
    createdAt: integer("created_at").notNull(),
    disabledAt: integer("disabled_at"),
  },
  (t) => [index("webhooks_project_idx").on(t.projectId)],
);

/** Every delivery attempt of every webhook event: the delivery log, and the retry queue. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    webhookId: text("webhook_id").notNull(),
    event: text("event").notNull(),
    payload: text("payload").notNull(),
    status: text("status", { enum: ["pending", "delivered", "failed"] }).notNull(),
    attempts: integer("attempts").notNull(),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    nextAttemptAt: integer("next_attempt_at"),
    createdAt: integer("created_at").notNull(),
    deliveredAt: integer("delivered_at"),
  },
  (t) => [index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt), index("webhook_deliveries_hook_idx").on(t.webhookId, t.createdAt)],
);
export * from "./schema/jobs.js";
export * from "./schema/analytics.js";
export * from "./schema/audit.js";
export * from "./schema/retention.js";
export * from "./schema/golden.js";
export * from "./schema/run-hours.js";
export * from "./schema/rollup-days.js";
