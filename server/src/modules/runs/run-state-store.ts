import type { Client } from "@libsql/client";
import type { Decision, RunState, RunStatus, Source } from "@seamtrace/sdk";
import { and, asc, desc, eq, gt, isNotNull, isNull, or, sql } from "drizzle-orm";
import type { Db } from "../../platform/db/client.js";
import { escalations } from "../review/schema.js";
import { runs, steps } from "./schema.js";
import { appendAudit } from "../audit/store.js";
import { beginWrite } from "../../platform/db/write-transaction.js";
import { parseJson } from "../../platform/db/json.js";

/** Steps a replay may need; a run with more is beyond what resume supports. */
export const MAX_STATE_STEPS = 10_000;

/**
 * What a resumed run needs to replay itself: its completed steps in
 * execution order, and the escalation it is paused on (or the last one that resumed it).
 */
export async function getRunState(db: Db, projectId: string, runId: string): Promise<RunState | null> {
  const run = await db
    .select({ id: runs.id, workflow: runs.workflow, version: runs.version, key: runs.key, status: runs.status, input: runs.input })
    .from(runs)
    .where(and(eq(runs.projectId, projectId), eq(runs.id, runId)))
    .get();
  if (!run) return null;
  const rows = await db
    .select({
      stepId: steps.id,
      name: steps.name,
      status: steps.status,
      output: steps.output,
      confidence: steps.confidence,
      cumulative: steps.cumulative,
      source: steps.source,
      stale: steps.stale,
      flagged: steps.flagged,
      parents: steps.parents,
      escalationId: steps.escalationId,
      gate: steps.gate,
      call: steps.call,
    })
    .from(steps)
    .where(and(eq(steps.projectId, projectId), eq(steps.runId, runId)))
    .orderBy(asc(steps.startedAt), asc(steps.id))
    .limit(MAX_STATE_STEPS)
    .all();
  // The newest blocking escalation: the one the run waits on, or the last that resumed it.
  const esc = await db
    .select()
    .from(escalations)
    .where(and(eq(escalations.projectId, projectId), eq(escalations.runId, runId), eq(escalations.blocking, true)))
    .orderBy(desc(escalations.createdAt), desc(escalations.id))
    .get();
  let escalation: RunState["escalation"] = null;
  if (esc) {
    const original = rows.find((s) => s.stepId === esc.stepId);
    escalation = {
      id: esc.id,
      stepId: esc.stepId,
      step: esc.step,
      // A deadline that settled the item (`expired`) resumes the run like a decision does.
      status: esc.status === "resolved" || esc.status === "expired" ? "resolved" : "open",
      decision: (esc.decision as Decision | null) ?? null,
      // Accept resumes with the model's own output; correct with the reviewer's.
      output: esc.decision === "correct" ? parseJson(esc.correctedOutput) : esc.decision === "accept" ? parseJson(original?.output ?? null) : null,
      reason: esc.reason,
      resumedAt: esc.resumedAt === null ? null : new Date(esc.resumedAt).toISOString(),
      // Accepted by the deadline (`onExpiry: accept-flagged`): nobody checked it.
      ...(esc.resolution === "expired" && esc.decision === "accept" ? { flagged: true } : {}),
    };
  }
  return {
    run: { id: run.id, workflow: run.workflow, version: run.version, key: run.key, status: run.status as RunStatus, input: parseJson(run.input) },
    steps: rows.map((s) => ({
      stepId: s.stepId,
      name: s.name,
      status: s.status,
      output: parseJson(s.output),
      confidence: s.confidence,
      cumulative: s.cumulative,
      source: s.source as Source,
      stale: s.stale,
      flagged: s.flagged,
      parents: (parseJson(s.parents) as string[] | null) ?? [],
      escalationId: s.escalationId,
      call: s.call,
      gated: (parseJson<{ outcome?: string }>(s.gate) ?? {}).outcome === "escalate",
    })),
    escalation,
  };
}

/** The newest run of a workflow started with this idempotency key. */
export async function findRunIdByKey(db: Db, projectId: string, workflow: string, key: string): Promise<string | null> {
  const row = await db
    .select({ id: runs.id })
    .from(runs)
    .where(and(eq(runs.projectId, projectId), eq(runs.workflow, workflow), eq(runs.key, key)))
    .orderBy(desc(runs.startedAt), desc(runs.id))
    .get();
  return row?.id ?? null;
}

export type ResumeClaim = "claimed" | "already_resumed" | "not_resolved" | "not_found";

/**
 * Claims the resume of a run from a resolved escalation, at most once: the conditional UPDATE
 * runs under the write lock, so of two workers racing, exactly one sees `resumed_at` still NULL.
 */
export async function claimResume(
  client: Client,
  input: { projectId: string; runId: string; escalationId: string; actor: string; now: number },
): Promise<ResumeClaim> {
  const { tx, release } = await beginWrite(client);
  try {
    const rs = await tx.execute({
      sql: `UPDATE escalations SET resumed_at = ?, resumed_by = ?
            WHERE project_id = ? AND run_id = ? AND id = ? AND blocking = 1 AND status IN ('resolved', 'expired') AND resumed_at IS NULL`,
      args: [input.now, input.actor, input.projectId, input.runId, input.escalationId],
    });
    if (rs.rowsAffected === 1) {
      await appendAudit(tx, input.projectId, [
        { time: input.now, actor: input.actor, action: "run.resume_claimed", subject: `escalation:${input.escalationId}`, runId: input.runId, payload: { escalationId: input.escalationId } },
      ]);
      await tx.commit();
      return "claimed";
    }
    const row = await tx.execute({
      sql: "SELECT status, resumed_at FROM escalations WHERE project_id = ? AND run_id = ? AND id = ? AND blocking = 1",
      args: [input.projectId, input.runId, input.escalationId],
    });
    const found = row.rows[0];
    if (!found) return "not_found";
    return found[0] === "resolved" || found[0] === "expired" ? "already_resumed" : "not_resolved";
  } finally {
    tx.close();
    release();
  }
}

export interface ResumableItem {
  runId: string;
  escalationId: string;
  workflow: string;
  version: string;
  step: string;
  decision: Decision;
  resolvedAt: string;
}

/**
 * Resolved blocking escalations whose run nobody has resumed yet, in resolution order, for
 * workers that resume runs as reviews arrive (`st.onResolved`). `after` is the last item seen.
 */
export async function listResumable(
  db: Db,
  projectId: string,
  after: { resolvedAt: number; id: string } | null,
  limit: number,
): Promise<{ items: ResumableItem[]; next: { resolvedAt: number; id: string } | null }> {
  const rows = await db
    .select({
      runId: escalations.runId,
      escalationId: escalations.id,
      workflow: escalations.workflow,
      version: escalations.version,
      step: escalations.step,
      decision: escalations.decision,
      resolvedAt: escalations.resolvedAt,
    })
    .from(escalations)
    .where(
      and(
        eq(escalations.projectId, projectId),
        isNotNull(escalations.resolvedAt),
        eq(escalations.blocking, true),
        isNull(escalations.resumedAt),
        after
          ? or(gt(escalations.resolvedAt, after.resolvedAt), and(eq(escalations.resolvedAt, after.resolvedAt), gt(escalations.id, after.id)))
          : sql`1`,
      ),
    )
    .orderBy(asc(escalations.resolvedAt), asc(escalations.id))
    .limit(limit)
    .all();
  const items = rows.map((r) => ({ ...r, decision: r.decision as Decision, resolvedAt: new Date(r.resolvedAt!).toISOString() }));
  const last = rows[rows.length - 1];
  return { items, next: last ? { resolvedAt: last.resolvedAt!, id: last.escalationId } : null };
}
