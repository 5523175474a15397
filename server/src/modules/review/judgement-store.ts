import type { Client, Transaction } from "@libsql/client";
import type { Decision } from "@seamtrace/sdk";
import type { JudgeItem } from "./team-contract.js";
import { appendAudit } from "../audit/store.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { iso, parseJson } from "../../platform/db/json.js";
import { announce, createdData } from "./announcements.js";
import { readEscalationRow, type EscalationRow } from "./escalation-row.js";
import { judgeConfig } from "./judges-store.js";
import { unitHash } from "./known-answers.js";
import { insertReview, settle } from "./settle.js";

/**
 * Staged review: a judge's answer either settles the escalation (it was sure, and the item was
 * not drawn for the sample that measures it) or hands it to people, who then decide it as usual
 * with the judge's decision on record beside theirs.
 */

export interface JudgementInput {
  projectId: string;
  id: string;
  judge: string;
  decision: Decision;
  output?: unknown;
  confidence: number;
  reason: string;
  /** Who delivered it: the API key (`sdk:<id>`) or the judge job (`system:review-judge`). */
  via: string;
  now: number;
}

export type JudgementOutcome =
  | { status: "settled" | "to_people"; reviewId: string; sampled: boolean }
  | { status: "not_found" }
  /** Not waiting on this judge (another judge's, already answered, or handed to people on timeout). */
  | { status: "not_awaiting" };

/** Hands an item to people: it enters their queue, announced as created. */
async function release(tx: Transaction, e: EscalationRow, now: number): Promise<void> {
  await tx.execute({ sql: "UPDATE escalations SET judge_pending = 0 WHERE project_id = ? AND id = ?", args: [e.projectId, e.id] });
  const rs = await tx.execute({ sql: "SELECT gate_kinds, sampling_rate FROM escalations WHERE project_id = ? AND id = ?", args: [e.projectId, e.id] });
  const r = rs.rows[0]!;
  for (const stmt of announce(
    e,
    "escalation.created",
    createdData(e, parseJson(String(r.gate_kinds)), r.sampling_rate === null ? null : Number(r.sampling_rate)),
    now,
  )) {
    await tx.execute(stmt);
  }
}

export async function recordJudgement(client: Client, input: JudgementInput): Promise<JudgementOutcome> {
  const correctedText = input.decision === "correct" ? JSON.stringify(input.output ?? null) : null;
  const actor = `judge:${input.judge}`;
  return withWriteLock<JudgementOutcome>(client, async (tx) => {
    const e = await readEscalationRow(tx, input.projectId, input.id);
    if (!e) return { commit: false, value: { status: "not_found" } };
    if (!e.judgePending || e.judge !== input.judge) return { commit: false, value: { status: "not_awaiting" } };
    const reviewId = await insertReview(tx, e, {
      role: "judge",
      actor,
      decision: input.decision,
      correctedText,
      reason: input.reason,
      alternative: null,
      confidence: input.confidence,
      now: input.now,
    });
    const config = await judgeConfig(tx, input.projectId, e.workflow, e.step);
    const sure = config !== null && input.confidence >= config.minConfidence;
    // The sample is drawn among the sure answers only: they are the ones people would otherwise never check.
    const sampled = sure && unitHash(`judge-sample:${e.id}`) < config.sampleRate;
    await appendAudit(tx, e.projectId, [
      {
        time: input.now,
        actor,
        action: "judge.decided",
        subject: `escalation:${e.id}`,
        runId: e.runId,
        payload: {
          escalationId: e.id,
          reviewId,
          decision: input.decision,
          confidence: input.confidence,
          reason: input.reason,
          correctedOutput: input.decision === "correct" ? (input.output ?? null) : null,
          outcome: sure && !sampled ? "settled" : "to_people",
          sampled,
          minConfidence: config?.minConfidence ?? null,
          via: input.via,
        },
      },
    ]);
    if (sure && !sampled) {
      await settle(tx, e, {
        decision: input.decision,
        correctedText,
        reason: input.reason,
        alternative: null,
        reviewerId: null,
        actor,
        resolution: "judge",
        reviewIds: [reviewId],
        now: input.now,
      });
      return { commit: true, value: { status: "settled", reviewId, sampled } };
    }
    await release(tx, e, input.now);
    return { commit: true, value: { status: "to_people", reviewId, sampled } };
  });
}

/**
 * Items a judge has not answered within its timeout go to people (the judge may be down; the
 * queue must not wait on it forever). Audited as the job's.
 */
export async function releaseTimedOut(client: Client, now: number, actor: string, fence?: (tx: Transaction) => Promise<void>): Promise<number> {
  return withWriteLock(client, async (tx) => {
    const rs = await tx.execute({
      sql: `SELECT e.project_id, e.id FROM escalations e JOIN review_judges j ON j.project_id = e.project_id AND j.workflow = e.workflow AND j.step = e.step
            WHERE e.judge_pending = 1 AND e.created_at + j.timeout_ms <= ?
            UNION ALL
            SELECT e.project_id, e.id FROM escalations e
            WHERE e.judge_pending = 1 AND NOT EXISTS (SELECT 1 FROM review_judges j WHERE j.project_id = e.project_id AND j.workflow = e.workflow AND j.step = e.step)
            LIMIT 500`,
      args: [now],
    });
    for (const r of rs.rows) {
      const e = (await readEscalationRow(tx, String(r[0]), String(r[1])))!;
      await release(tx, e, now);
      await appendAudit(tx, e.projectId, [
        { time: now, actor, action: "judge.timed_out", subject: `escalation:${e.id}`, runId: e.runId, payload: { escalationId: e.id, judge: e.judge } },
      ]);
    }
    if (fence) await fence(tx);
    return { commit: rs.rows.length > 0, value: rs.rows.length };
  });
}

/** The packet's parts a judge needs, from escalations aliased `e`. */
const ITEM_COLUMNS = `e.id, e.run_id, e.step_id, e.workflow, e.version, e.step, e.confidence, e.created_at,
  e.packet -> '$.input' AS input, e.packet -> '$.output' AS output, e.packet ->> '$.reasoning' AS reasoning, e.packet -> '$.alternatives' AS alternatives`;

function item(r: Record<string, unknown>): JudgeItem {
  const json = (v: unknown) => parseJson(v === null || v === undefined ? null : String(v));
  const alternatives = json(r.alternatives);
  return {
    escalationId: String(r.id),
    runId: String(r.run_id),
    stepId: String(r.step_id),
    workflow: String(r.workflow),
    version: String(r.version),
    step: String(r.step),
    input: json(r.input),
    output: json(r.output),
    confidence: r.confidence === null ? null : Number(r.confidence),
    reasoning: r.reasoning === null || r.reasoning === undefined ? null : String(r.reasoning),
    alternatives: Array.isArray(alternatives) ? alternatives : null,
    createdAt: iso(Number(r.created_at)),
  };
}

/** The oldest items waiting on one judge of a project (the worker's poll). */
export async function listJudgeItems(client: Client, projectId: string, judge: string, limit: number): Promise<JudgeItem[]> {
  const rs = await client.execute({
    sql: `SELECT ${ITEM_COLUMNS} FROM escalations e WHERE e.project_id = ? AND e.judge = ? AND e.judge_pending = 1 ORDER BY e.created_at, e.id LIMIT ?`,
    args: [projectId, judge, limit],
  });
  return rs.rows.map((r) => item(r as unknown as Record<string, unknown>));
}

/** Items waiting on HTTP judges, across projects, with where to send them (the judge job). */
export async function pendingHttpItems(
  client: Client,
  limit: number,
): Promise<Array<{ projectId: string; judge: string; url: string; timeoutMs: number; item: JudgeItem }>> {
  const rs = await client.execute({
    sql: `SELECT e.project_id, j.name AS judge, j.url, j.timeout_ms, ${ITEM_COLUMNS}
          FROM escalations e JOIN review_judges j ON j.project_id = e.project_id AND j.workflow = e.workflow AND j.step = e.step
          WHERE e.judge_pending = 1 AND j.kind = 'http' AND j.name = e.judge
          ORDER BY e.created_at LIMIT ?`,
    args: [limit],
  });
  return rs.rows.map((r) => ({
    projectId: String(r.project_id),
    judge: String(r.judge),
    url: String(r.url),
    timeoutMs: Number(r.timeout_ms),
    item: item(r as unknown as Record<string, unknown>),
  }));
}
