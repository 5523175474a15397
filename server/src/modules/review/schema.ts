import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

// The review queue (escalations) and ground truth (labels).
// Times are integer Unix milliseconds: compact, sortable, and cheap to compare in range scans.
// JSON payloads are stored as text written by the store layer (one JSON.stringify per value).

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
    /** Set atomically by the worker that claims the resume of the run (the latest claim). */
    resumedAt: integer("resumed_at"),
    resumedBy: text("resumed_by"),
    /** The resume epoch of the run's execution that opened this item (a run escalates once per epoch). */
    epoch: integer("epoch").notNull().default(0),
    /** The epoch handed to the worker holding the resume claim; its events carry it. */
    resumeEpoch: integer("resume_epoch"),
    /**
     * The resume claim is a lease: it lapses at this time unless the worker renews it, and the
     * run is resumable again. Null when there is no live claim (never claimed, or the run has
     * moved past the claim: it ended or paused again).
     */
    leaseExpiresAt: integer("lease_expires_at"),
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
    // ... and only the ones not resumed or whose claim is live or lapsed: a short list, whatever
    // the history, since a claim the run moved past is cleared.
    index("escalations_resumable_idx")
      .on(t.projectId, t.resolvedAt, t.id)
      .where(sql`${t.blocking} = 1 AND ${t.resolvedAt} IS NOT NULL AND (${t.resumedAt} IS NULL OR ${t.leaseExpiresAt} IS NOT NULL)`),
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
