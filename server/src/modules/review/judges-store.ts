import type { Transaction } from "@libsql/client";
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../../platform/db/client.js";
import { reviewJudges } from "./schema.js";
import type { JudgeBody, JudgeView } from "./team-contract.js";
import { appendAudit } from "../audit/store.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { iso } from "../../platform/db/json.js";

/** Staged review's configuration: which steps a judge decides first, and how sure it must be. */

const view = (r: typeof reviewJudges.$inferSelect): JudgeView => ({
  workflow: r.workflow,
  step: r.step,
  name: r.name,
  kind: r.kind,
  url: r.url,
  minConfidence: r.minConfidence,
  sampleRate: r.sampleRate,
  timeoutMs: r.timeoutMs,
  updatedAt: iso(r.updatedAt),
  updatedBy: r.updatedBy,
});

export async function listJudges(db: Db, projectId: string): Promise<JudgeView[]> {
  const rows = await db
    .select()
    .from(reviewJudges)
    .where(eq(reviewJudges.projectId, projectId))
    .orderBy(asc(reviewJudges.workflow), asc(reviewJudges.step))
    .limit(10_000)
    .all();
  return rows.map(view);
}

/** The configuration a judgement is weighed against (read inside its write transaction). */
export async function judgeConfig(
  tx: Pick<Transaction, "execute">,
  projectId: string,
  workflow: string,
  step: string,
): Promise<{ name: string; minConfidence: number; sampleRate: number } | null> {
  const rs = await tx.execute({
    sql: "SELECT name, min_confidence, sample_rate FROM review_judges WHERE project_id = ? AND workflow = ? AND step = ?",
    args: [projectId, workflow, step],
  });
  const r = rs.rows[0];
  return r ? { name: String(r.name), minConfidence: Number(r.min_confidence), sampleRate: Number(r.sample_rate) } : null;
}

/** Sets a step's judge, audited with before and after. */
export async function putJudge(
  db: Db,
  input: { projectId: string; workflow: string; step: string; body: JudgeBody; actor: string; now: number },
): Promise<{ created: boolean; judge: JudgeView }> {
  const row: typeof reviewJudges.$inferSelect = {
    projectId: input.projectId,
    workflow: input.workflow,
    step: input.step,
    name: input.body.name,
    kind: input.body.kind,
    url: input.body.url ?? null,
    minConfidence: input.body.minConfidence,
    sampleRate: input.body.sampleRate,
    timeoutMs: input.body.timeoutMs,
    updatedAt: input.now,
    updatedBy: input.actor,
  };
  return withWriteLock(db.$client, async (tx) => {
    const prev = await tx.execute({
      sql: "SELECT name, kind, url, min_confidence, sample_rate, timeout_ms FROM review_judges WHERE project_id = ? AND workflow = ? AND step = ?",
      args: [input.projectId, input.workflow, input.step],
    });
    await tx.execute({
      sql: `INSERT INTO review_judges (project_id, workflow, step, name, kind, url, min_confidence, sample_rate, timeout_ms, updated_at, updated_by)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (project_id, workflow, step) DO UPDATE SET name = excluded.name, kind = excluded.kind, url = excluded.url,
              min_confidence = excluded.min_confidence, sample_rate = excluded.sample_rate, timeout_ms = excluded.timeout_ms,
              updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      args: [
        row.projectId,
        row.workflow,
        row.step,
        row.name,
        row.kind,
        row.url,
        row.minConfidence,
        row.sampleRate,
        row.timeoutMs,
        row.updatedAt,
        row.updatedBy,
      ],
    });
    const before = prev.rows[0] ? { ...prev.rows[0] } : null;
    const { projectId: _, updatedAt: _u, updatedBy: _b, ...after } = row;
    await appendAudit(tx, input.projectId, [
      { time: input.now, actor: input.actor, action: "review_judge.set", subject: `review_judge:${input.workflow}/${input.step}`, payload: { before, after } },
    ]);
    return { commit: true, value: { created: before === null, judge: view(row) } };
  });
}

export async function deleteJudge(db: Db, input: { projectId: string; workflow: string; step: string; actor: string; now: number }): Promise<boolean> {
  return withWriteLock(db.$client, async (tx) => {
    const rs = await tx.execute({
      sql: "DELETE FROM review_judges WHERE project_id = ? AND workflow = ? AND step = ?",
      args: [input.projectId, input.workflow, input.step],
    });
    if (rs.rowsAffected === 0) return { commit: false, value: false };
    await appendAudit(tx, input.projectId, [
      {
        time: input.now,
        actor: input.actor,
        action: "review_judge.removed",
        subject: `review_judge:${input.workflow}/${input.step}`,
        payload: { workflow: input.workflow, step: input.step },
      },
    ]);
    return { commit: true, value: true };
  });
}

export async function getJudge(db: Db, projectId: string, workflow: string, step: string): Promise<JudgeView | null> {
  const row = await db
    .select()
    .from(reviewJudges)
    .where(and(eq(reviewJudges.projectId, projectId), eq(reviewJudges.workflow, workflow), eq(reviewJudges.step, step)))
    .get();
  return row ? view(row) : null;
}
