import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

// Policies and step contracts, their history, auto-tighten decisions and recalibration maps.
// Times are integer Unix milliseconds: compact, sortable, and cheap to compare in range scans.
// JSON payloads are stored as text written by the store layer (one JSON.stringify per value).

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
    /** 1: a step without a confidence fails its gate (kind `unscored`); null: unset (unscored steps pass). */
    requireConfidence: integer("require_confidence", { mode: "boolean" }),
    spotCheckRate: real("spot_check_rate"),
    spotCheckNearRate: real("spot_check_near_rate"),
    targetAccuracy: real("target_accuracy"),
    tightenMin: real("tighten_min"),
    tightenMax: real("tighten_max"),
    /** Learn-then-Test's δ for auto-tighten (null: 0.05). */
    delta: real("delta"),
    onUnmet: text("on_unmet", { enum: ["escalate", "spot-check", "alert"] }),
    // Team review: how many reviewers decide, how their decisions combine, the deadline, what
    // happens at it, and which group sees the escalations.
    reviewers: integer("reviewers"),
    consensus: text("consensus", { enum: ["unanimous", "majority"] }),
    reviewBy: integer("review_by_ms"),
    onExpiry: text("on_expiry", { enum: ["reject", "accept-flagged", "reassign"] }),
    reviewGroup: text("review_group"),
    /** Steps received over OTLP: the evaluation name whose score is the step's confidence. */
    confidenceFrom: text("confidence_from"),
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
 * Auto-tighten decisions with the evidence they rest on: the labelled accuracy per
 * candidate threshold, the trigger, the window. The policy change itself goes through the
 * policies store (history, revision); this row is what an admin reviews and reverts.
 */
export const thresholdChanges = sqliteTable(
  "threshold_changes",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    workflow: text("workflow").notNull(),
    step: text("step").notNull(),
    /** The version whose labels were the evidence. */
    version: text("version").notNull(),
    /**
     * What changed: `threshold` (minConfidence, chosen by Learn-then-Test), `review-all` (no
     * threshold in bounds met the target: minConfidence 1), `spot-check` (spotCheckRate: raised
     * on drift, or to 1 when no threshold met the target and the policy says so).
     */
    kind: text("kind", { enum: ["threshold", "review-all", "spot-check"] })
      .notNull()
      .default("threshold"),
    before: real("before"),
    after: real("after").notNull(),
    evidence: text("evidence").notNull(),
    /** JSON: the precision measured on labels since the change, refreshed by each auto-tighten run. */
    outcome: text("outcome"),
    policyRevision: integer("policy_revision").notNull(),
    status: text("status", { enum: ["applied", "reverted"] }).notNull(),
    createdAt: integer("created_at").notNull(),
    revertedAt: integer("reverted_at"),
    revertedBy: text("reverted_by"),
  },
  (t) => [index("threshold_changes_idx").on(t.projectId, t.workflow, t.step, t.createdAt)],
);

/** The isotonic map from raw to calibrated confidence per step, served with the policies. */
export const calibrationMaps = sqliteTable(
  "calibration_maps",
  {
    projectId: text("project_id").notNull(),
    workflow: text("workflow").notNull(),
    step: text("step").notNull(),
    /** The version it was fitted on; the SDK applies it to that version only. */
    version: text("version").notNull(),
    /** JSON { x: number[], y: number[] }. */
    map: text("map").notNull(),
    /** Labelled items (and their effective size) it was fitted on. */
    labels: integer("labels").notNull(),
    effectiveN: real("effective_n").notNull(),
    fittedAt: integer("fitted_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.workflow, t.step] })],
);
