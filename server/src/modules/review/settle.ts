import type { Transaction } from "@libsql/client";
import { uuidv7, type Decision } from "@seamtrace/sdk";
import type { Resolution } from "./contract.js";
import type { EscalationRow } from "./escalation-row.js";
import { announce } from "./announcements.js";
import { appendAudit } from "../audit/store.js";

/**
 * Settling an escalation: the one decision that resumes the run and becomes the label, whoever
 * made it (one reviewer, an agreeing team, an adjudicator, a judge, or the deadline). Runs inside
 * the caller's write transaction, with its webhook and audit entry.
 */

export interface Settlement {
  decision: Decision;
  /** JSON text of the corrected output (`correct`); null otherwise. */
  correctedText: string | null;
  reason: string | null;
  alternative: number | null;
  /** The user whose decision it is; null for a judge or the deadline. */
  reviewerId: string | null;
  /** `user:<id>`, `judge:<name>` or `system:<job>`: the audit entry's actor and the label's. */
  actor: string;
  resolution: Resolution;
  /** The individual decisions it rests on. */
  reviewIds: string[];
  now: number;
}

/**
 * Ground truth comes from people: a judge's decision and a deadline's fallback settle the run but
 * write no label, and neither does a known-answer item (its decisions measure reviewers and must
 * never train anything).
 */
export const writesLabel = (e: Pick<EscalationRow, "knownAnswerOf">, resolution: Resolution): boolean =>
  e.knownAnswerOf === null && resolution !== "judge" && resolution !== "expired";

/** Settles `e`; returns the label's id when one was written. */
export async function settle(tx: Transaction, e: EscalationRow, s: Settlement): Promise<string | null> {
  // `expired` is the deadline's own status: the run still resumes with its fallback decision.
  const status = s.resolution === "expired" ? "expired" : "resolved";
  await tx.execute({
    sql: `UPDATE escalations SET status = ?, decision = ?, corrected_output = ?, reason = ?, reviewer_id = ?, resolved_at = ?, resolution = ?,
            judge_pending = 0,
            packet = CASE WHEN ? IS NULL THEN packet ELSE json_set(packet, '$.review', json_object('alternative', ?)) END
          WHERE project_id = ? AND id = ?`,
    args: [status, s.decision, s.correctedText, s.reason, s.reviewerId, s.now, s.resolution, s.alternative, s.alternative, e.projectId, e.id],
  });
  let labelId: string | null = null;
  if (writesLabel(e, s.resolution)) {
    labelId = uuidv7();
    await tx.execute({
      sql: `INSERT INTO labels (project_id, id, run_id, step_id, workflow, version, step, source, correct, value, confidence,
              sampling_rate, escalation_id, actor, reason, created_at)
            SELECT project_id, ?, run_id, step_id, workflow, version, step,
              CASE kind WHEN 'spot_check' THEN 'spot_check' ELSE 'review' END, ?,
              CASE ? WHEN 'accept' THEN packet -> '$.output' WHEN 'correct' THEN ? ELSE NULL END,
              confidence, sampling_rate, id, ?, ?, ?
            FROM escalations WHERE project_id = ? AND id = ?`,
      args: [labelId, s.decision === "accept" ? 1 : 0, s.decision, s.correctedText, s.actor, s.reason, s.now, e.projectId, e.id],
    });
  }
  const corrected = s.correctedText === null ? null : (JSON.parse(s.correctedText) as unknown);
  for (const stmt of announce(
    e,
    "escalation.resolved",
    {
      decision: s.decision,
      reviewerId: s.reviewerId,
      decidedBy: s.actor,
      resolution: s.resolution,
      labelId,
      resolvedAt: new Date(s.now).toISOString(),
    },
    s.now,
  ))
    await tx.execute(stmt);
  // The decision record: what was decided, why, by whom, on which decisions, and the value the run resumes with.
  await appendAudit(tx, e.projectId, [
    {
      time: s.now,
      actor: s.actor,
      action: "escalation.decided",
      subject: `escalation:${e.id}`,
      runId: e.runId,
      payload: {
        escalationId: e.id,
        stepId: e.stepId,
        decision: s.decision,
        reason: s.reason,
        labelId,
        alternative: s.alternative,
        correctedOutput: s.decision === "correct" ? corrected : null,
        resolution: s.resolution,
        reviews: s.reviewIds,
      },
    },
  ]);
  return labelId;
}

/** One individual decision, as recorded in `reviews`. */
export interface ReviewRecord {
  role: "reviewer" | "adjudicator" | "judge";
  actor: string;
  decision: Decision;
  correctedText: string | null;
  reason: string | null;
  alternative: number | null;
  confidence?: number | null;
  overrode?: string[] | null;
  now: number;
}

export async function insertReview(tx: Transaction, e: EscalationRow, r: ReviewRecord): Promise<string> {
  const id = uuidv7();
  await tx.execute({
    sql: `INSERT INTO reviews (project_id, id, escalation_id, run_id, workflow, version, step, role, actor, decision, corrected_output, reason,
            alternative, confidence, overrode, known_answer, created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    args: [
      e.projectId,
      id,
      e.id,
      e.runId,
      e.workflow,
      e.version,
      e.step,
      r.role,
      r.actor,
      r.decision,
      r.correctedText,
      r.reason,
      r.alternative,
      r.confidence ?? null,
      r.overrode ? JSON.stringify(r.overrode) : null,
      e.knownAnswerOf !== null ? 1 : 0,
      r.now,
    ],
  });
  return id;
}

/** The decisions of the required reviewers so far, oldest first. */
export async function reviewerVotes(
  tx: Pick<Transaction, "execute">,
  e: Pick<EscalationRow, "projectId" | "id">,
): Promise<
  Array<{ id: string; actor: string; decision: Decision; correctedText: string | null; output: unknown; reason: string | null; alternative: number | null }>
> {
  const rs = await tx.execute({
    sql: `SELECT id, actor, decision, corrected_output, reason, alternative FROM reviews
          WHERE project_id = ? AND escalation_id = ? AND role = 'reviewer' ORDER BY created_at, id`,
    args: [e.projectId, e.id],
  });
  return rs.rows.map((r) => {
    const correctedText = r.corrected_output === null ? null : String(r.corrected_output);
    return {
      id: String(r.id),
      actor: String(r.actor),
      decision: String(r.decision) as Decision,
      correctedText,
      output: correctedText === null ? undefined : (JSON.parse(correctedText) as unknown),
      reason: r.reason === null ? null : String(r.reason),
      alternative: r.alternative === null ? null : Number(r.alternative),
    };
  });
}
