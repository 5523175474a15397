import type { InStatement, InValue, Transaction } from "@libsql/client";
import { uuidv7 } from "@seamtrace/sdk";
import { createHash } from "node:crypto";
import type { ReviewSettings } from "../policies/review-settings.js";

/**
 * Known-answer items: escalations whose right answer is already settled by people, put back
 * into a group's queue unmarked so each reviewer's accuracy can be measured. Their decisions
 * write no label, are left out of exports and agreement, and announce nothing; the source's
 * settled decision is kept on the copy (`expected`) for the accuracy figures.
 */

/**
 * A number in [0, 1) fixed by `text`: sampling that gives the same answer every time the same
 * item is considered (a replayed projection, a retried judgement), unlike Math.random.
 */
export function unitHash(text: string): number {
  return createHash("sha256").update(text).digest().readUIntBE(0, 6) / 2 ** 48;
}

/** Groups with a known-answer rate above 0, by name. */
export async function knownAnswerRates(tx: Pick<Transaction, "execute">, projectId: string): Promise<Map<string, number>> {
  const rs = await tx.execute({ sql: "SELECT name, known_answer_rate FROM review_groups WHERE project_id = ? AND known_answer_rate > 0", args: [projectId] });
  return new Map(rs.rows.map((r) => [String(r.name), Number(r.known_answer_rate)]));
}

/** Settled items of the step the source is picked among: the most recent ones people decided. */
const SOURCE_POOL = 200;

export interface KnownAnswerTrigger {
  projectId: string;
  /** The new escalation that may bring a known-answer item along. */
  id: string;
  workflow: string;
  step: string;
  createdAt: number;
  dueAt: number | null;
  settings: ReviewSettings;
}

/**
 * With probability `rate` (decided by the trigger's id), the INSERT of a known-answer copy of a
 * settled escalation of the same step, routed like the trigger and created at the same time, so
 * it sits beside it in the queue. Sources are items people settled with `accept` or `correct`
 * (a reject has no right output to compare with); null when none exists yet or not sampled.
 * A blocking source becomes a non-blocking flag: the copy must never hold a run.
 */
export async function knownAnswerStatement(tx: Pick<Transaction, "execute">, t: KnownAnswerTrigger, rate: number): Promise<InStatement | null> {
  if (unitHash(`known-answer:${t.id}`) >= rate) return null;
  const pool = await tx.execute({
    sql: `SELECT DISTINCT escalation_id FROM (
            SELECT escalation_id FROM reviews
            WHERE project_id = ? AND workflow = ? AND step = ? AND known_answer = 0 AND role IN ('reviewer', 'adjudicator')
            ORDER BY created_at DESC LIMIT ?)`,
    args: [t.projectId, t.workflow, t.step, SOURCE_POOL],
  });
  const ids = pool.rows.map((r) => String(r[0])).sort();
  if (ids.length === 0) return null;
  const start = Math.floor(unitHash(`known-answer-source:${t.id}`) * ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[(start + i) % ids.length]!;
    const rs = await tx.execute({
      sql: `SELECT run_id, step_id, workflow, version, step, kind, gate_kinds, sampling_rate, confidence, cumulative, json_remove(packet, '$.review') AS packet,
              decision, corrected_output
            FROM escalations
            WHERE project_id = ? AND id = ? AND status = 'resolved' AND resolution IN ('single', 'consensus', 'adjudicated')
              AND decision IN ('accept', 'correct') AND known_answer_of IS NULL`,
      args: [t.projectId, id],
    });
    const row = rs.rows[0];
    if (!row) continue;
    const v = (k: string): InValue => (row[k] ?? null) as InValue;
    const expected = { decision: String(v("decision")), output: v("decision") === "correct" ? (JSON.parse(String(v("corrected_output"))) as unknown) : null };
    return {
      sql: `INSERT INTO escalations (project_id, id, run_id, step_id, workflow, version, step, kind, gate_kinds, blocking, sampling_rate,
              confidence, cumulative, packet, status, created_at, reviewers_required, consensus, review_group, review_by_ms, due_at, on_expiry,
              known_answer_of, expected, judge_pending)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
      args: [
        t.projectId,
        uuidv7(),
        v("run_id"),
        v("step_id"),
        v("workflow"),
        v("version"),
        v("step"),
        v("kind") === "escalate" ? "flag" : v("kind"),
        v("gate_kinds"),
        v("sampling_rate"),
        v("confidence"),
        v("cumulative"),
        v("packet"),
        t.createdAt,
        t.settings.reviewers,
        t.settings.consensus,
        t.settings.reviewGroup,
        t.settings.reviewBy,
        t.dueAt,
        t.dueAt === null ? null : t.settings.onExpiry,
        id,
        JSON.stringify(expected),
      ],
    };
  }
  return null;
}
