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
    /**
     * `open` → `in_review` (some of the required decisions are in) → (`disputed`: they disagree,
     * an adjudicator decides) → `resolved` | `expired` (the deadline applied `onExpiry`).
     */
    status: text("status", { enum: ["open", "in_review", "disputed", "resolved", "expired"] }).notNull(),
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
    // Team review, fixed from the step's policy when the escalation was made, so a policy change
    // never moves the goalposts of an item already in the queue.
    /** Distinct reviewers who must decide before the consensus rule is applied. */
    reviewersRequired: integer("reviewers_required").notNull().default(1),
    consensus: text("consensus", { enum: ["unanimous", "majority"] })
      .notNull()
      .default("unanimous"),
    /** The group whose members see it; null: every reviewer. */
    reviewGroup: text("review_group"),
    /** The policy's `reviewBy` (ms) and the current deadline (creation + reviewBy, restarted by each `reassign`); null: none. */
    reviewBy: integer("review_by_ms"),
    dueAt: integer("due_at"),
    onExpiry: text("on_expiry", { enum: ["reject", "accept-flagged", "reassign"] }),
    /** When `review.due` was sent (past half the deadline): once per deadline. */
    dueNotifiedAt: integer("due_notified_at"),
    /** Times the deadline passed with `reassign` (each one restarts it). */
    reassignments: integer("reassignments").notNull().default(0),
    /** How it was settled: by one reviewer, by consensus, by an adjudicator, by a judge, or by the deadline. */
    resolution: text("resolution", { enum: ["single", "consensus", "adjudicated", "judge", "expired"] }),
    /**
     * Known-answer items: the escalation whose settled answer this copy carries, and that answer
     * (JSON `{ decision, output }`). Never shown to reviewers; their decisions here write no label.
     */
    knownAnswerOf: text("known_answer_of"),
    expected: text("expected"),
    /** Staged review: the judge that decides first, and whether its answer is still awaited (hidden from people meanwhile). */
    judge: text("judge"),
    judgePending: integer("judge_pending", { mode: "boolean" }).notNull().default(false),
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
    // A workflow's waiting items counted per day raised (the Overview's card) from the index
    // alone, without reading any row: linear in that workflow's waiting items, not the project's.
    index("escalations_workflow_queue_idx").on(t.projectId, t.workflow, t.status, t.judgePending, t.createdAt),
    // Workers polling for runs to resume read resolved items in resolution order.
    index("escalations_resolved_idx").on(t.projectId, t.resolvedAt),
    // ... and only the ones not resumed or whose claim is live or lapsed: a short list, whatever
    // the history, since a claim the run moved past is cleared.
    index("escalations_resumable_idx")
      .on(t.projectId, t.resolvedAt, t.id)
      .where(sql`${t.blocking} = 1 AND ${t.resolvedAt} IS NOT NULL AND (${t.resumedAt} IS NULL OR ${t.leaseExpiresAt} IS NOT NULL)`),
    // A group's queue (and its ageing figures) without reading other groups' items.
    index("escalations_group_queue_idx").on(t.projectId, t.reviewGroup, t.status, t.createdAt),
    // The deadline job reads only items still waiting that have a deadline, soonest first.
    index("escalations_due_idx").on(t.dueAt).where(sql`due_at IS NOT NULL AND status IN ('open', 'in_review', 'disputed')`),
    // Items a judge has not answered yet, per project and judge, oldest first.
    index("escalations_judge_pending_idx").on(t.projectId, t.judge, t.createdAt).where(sql`judge_pending = 1`),
  ],
);

/**
 * Every individual decision on an escalation: each reviewer's, the adjudicator's (with the
 * decisions it overrode) and a judge's. Append-only; the escalation row holds the settled one.
 */
export const reviews = sqliteTable(
  "reviews",
  {
    projectId: text("project_id").notNull(),
    id: text("id").notNull(),
    escalationId: text("escalation_id").notNull(),
    runId: text("run_id").notNull(),
    workflow: text("workflow").notNull(),
    version: text("version").notNull(),
    step: text("step").notNull(),
    /** `reviewer` (counts towards consensus), `adjudicator` (settles a dispute), `judge` (decides first). */
    role: text("role", { enum: ["reviewer", "adjudicator", "judge"] }).notNull(),
    /** `user:<id>` or `judge:<name>`: the rater, as agreement and accuracy group them. */
    actor: text("actor").notNull(),
    decision: text("decision", { enum: ["accept", "correct", "reject"] }).notNull(),
    correctedOutput: text("corrected_output"),
    reason: text("reason"),
    alternative: integer("alternative"),
    /** A judge's confidence in its own decision. */
    confidence: real("confidence"),
    /** JSON array of the review ids an adjudication overrode. */
    overrode: text("overrode"),
    /** Copied from the escalation: known-answer decisions measure reviewers and train nothing. */
    knownAnswer: integer("known_answer", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.id] }),
    index("reviews_escalation_idx").on(t.projectId, t.escalationId, t.createdAt),
    // Agreement per step over a window.
    index("reviews_step_time_idx").on(t.projectId, t.workflow, t.step, t.createdAt),
    // The corrections export's `reviews` rows, and per-reviewer figures, by time.
    index("reviews_time_idx").on(t.projectId, t.createdAt, t.id),
    index("reviews_actor_idx").on(t.projectId, t.actor, t.createdAt),
  ],
);

/** Review groups: who sees the escalations a policy routes to the group, and its known-answer rate. */
export const reviewGroups = sqliteTable(
  "review_groups",
  {
    projectId: text("project_id").notNull(),
    name: text("name").notNull(),
    /** Fraction in [0, 1]: known-answer items mixed into the group's queue per escalation routed to it. */
    knownAnswerRate: real("known_answer_rate").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.name] })],
);

export const reviewGroupMembers = sqliteTable(
  "review_group_members",
  {
    projectId: text("project_id").notNull(),
    groupName: text("group_name").notNull(),
    userId: text("user_id").notNull(),
    addedAt: integer("added_at").notNull(),
  },
  // A user's groups are read on every queue request.
  (t) => [primaryKey({ columns: [t.projectId, t.groupName, t.userId] }), index("review_group_members_user_idx").on(t.projectId, t.userId)],
);

/**
 * Staged review per step: a judge decides first; humans see what it is unsure of, and a sample
 * of what it decided. `worker`: a function registered with the SDK's worker; `http`: the server
 * POSTs the packet to `url`.
 */
export const reviewJudges = sqliteTable(
  "review_judges",
  {
    projectId: text("project_id").notNull(),
    workflow: text("workflow").notNull(),
    step: text("step").notNull(),
    name: text("name").notNull(),
    kind: text("kind", { enum: ["worker", "http"] }).notNull(),
    url: text("url"),
    /** A judge decision at or above this confidence settles the escalation (unless sampled). */
    minConfidence: real("min_confidence").notNull(),
    /** Fraction of confident judge decisions still sent to people, to measure the judge. */
    sampleRate: real("sample_rate").notNull(),
    /** Past this long without an answer the item goes to people. */
    timeoutMs: integer("timeout_ms").notNull(),
    updatedAt: integer("updated_at").notNull(),
    updatedBy: text("updated_by").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.workflow, t.step] })],
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
    index("labels_standalone_time_idx").on(t.projectId, t.createdAt).where(sql`escalation_id IS NULL`),
  ],
);
