import type { Row, Transaction } from "@libsql/client";

/**
 * An escalation as the write paths (decisions, adjudication, judges, deadlines) read it inside
 * their write transaction: everything but the packet, whose model output comes separately.
 */
export interface EscalationRow {
  projectId: string;
  id: string;
  runId: string;
  stepId: string;
  workflow: string;
  version: string;
  step: string;
  kind: string;
  blocking: boolean;
  status: "open" | "in_review" | "disputed" | "resolved" | "expired";
  claimedBy: string | null;
  claimExpiresAt: number | null;
  reviewersRequired: number;
  consensus: "unanimous" | "majority";
  reviewGroup: string | null;
  reviewBy: number | null;
  dueAt: number | null;
  onExpiry: "reject" | "accept-flagged" | "reassign" | null;
  knownAnswerOf: string | null;
  /** JSON `{ decision, output }` of a known-answer item. */
  expected: string | null;
  judge: string | null;
  judgePending: boolean;
  confidence: number | null;
  cumulative: number | null;
  createdAt: number;
}

export const ESCALATION_ROW_COLUMNS = `project_id, id, run_id, step_id, workflow, version, step, kind, blocking, status, claimed_by, claim_expires_at,
  reviewers_required, consensus, review_group, review_by_ms, due_at, on_expiry, known_answer_of, expected, judge, judge_pending, confidence, cumulative, created_at`;

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function escalationRow(r: Row): EscalationRow {
  return {
    projectId: String(r.project_id),
    id: String(r.id),
    runId: String(r.run_id),
    stepId: String(r.step_id),
    workflow: String(r.workflow),
    version: String(r.version),
    step: String(r.step),
    kind: String(r.kind),
    blocking: Number(r.blocking) === 1,
    status: String(r.status) as EscalationRow["status"],
    claimedBy: text(r.claimed_by),
    claimExpiresAt: num(r.claim_expires_at),
    reviewersRequired: Number(r.reviewers_required),
    consensus: String(r.consensus) as EscalationRow["consensus"],
    reviewGroup: text(r.review_group),
    reviewBy: num(r.review_by_ms),
    dueAt: num(r.due_at),
    onExpiry: text(r.on_expiry) as EscalationRow["onExpiry"],
    knownAnswerOf: text(r.known_answer_of),
    expected: text(r.expected),
    judge: text(r.judge),
    judgePending: Number(r.judge_pending) === 1,
    confidence: num(r.confidence),
    cumulative: num(r.cumulative),
    createdAt: Number(r.created_at),
  };
}

export async function readEscalationRow(tx: Pick<Transaction, "execute">, projectId: string, id: string): Promise<EscalationRow | null> {
  const rs = await tx.execute({ sql: `SELECT ${ESCALATION_ROW_COLUMNS} FROM escalations WHERE project_id = ? AND id = ?`, args: [projectId, id] });
  return rs.rows[0] ? escalationRow(rs.rows[0]) : null;
}
