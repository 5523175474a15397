import type { Client } from "@libsql/client";
import type { Decision, RunState, RunStatus, Source } from "@seamtrace/sdk";
import { and, asc, desc, eq, gt, max, or, sql } from "drizzle-orm";
import type { Db } from "../../platform/db/client.js";
import { PROJECT_KEY, projectKeyOf, projectKeySql } from "../../platform/db/project-key.js";
import { escalations } from "../review/schema.js";
import { runs, steps } from "./schema.js";
import { appendAudit } from "../audit/store.js";
import { beginWrite } from "../../platform/db/write-transaction.js";
import { parseJson } from "../../platform/db/json.js";
import { events } from "../ingest/schema.js";
import { stepEventOn, stepPayload } from "./step-payload.js";
import { runPayload, runPayloadFields } from "./run-payload.js";

/** Steps a replay may need; a run with more is beyond what resume supports. */
export const MAX_STATE_STEPS = 10_000;

/** A claim is live until its lease lapses; a lapsed one may be taken over. Times are the server's own. */
const lapsed = (leaseExpiresAt: number | null, now: number) => leaseExpiresAt !== null && leaseExpiresAt <= now;

/**
 * What a resumed run needs to replay itself: its completed steps in execution order (epoch by
 * epoch), and the escalation it is paused on (or the last one that resumed it), with whether a
 * worker may claim its resume at `now`.
 */
export async function getRunState(db: Db, projectId: string, runId: string, now: number): Promise<RunState | null> {
  const run = await db
    .select({
      id: runs.id,
      workflow: runs.workflow,
      version: runs.version,
      key: runs.key,
      status: runs.status,
      ...runPayloadFields,
      statusEpoch: runs.statusEpoch,
    })
    .from(runs)
    .where(and(eq(runs.projectKey, projectKeyOf(projectId)), eq(runs.id, runId)))
    .get();
  if (!run) return null;
  const rows = await db
    .select({
      stepId: steps.id,
      name: steps.name,
      status: steps.status,
      confidence: steps.confidence,
      cumulative: steps.cumulative,
      source: steps.source,
      stale: steps.stale,
      flagged: steps.flagged,
      escalationId: steps.escalationId,
      call: steps.call,
      // The payloads are in the body of the step's event (step-payload.ts).
      eventBody: sql<unknown>`${events.body}`,
    })
    .from(steps)
    .leftJoin(events, stepEventOn)
    .where(and(eq(steps.projectKey, projectKeyOf(projectId)), eq(steps.runId, runId)))
    // A replay takes the last record of each call: a later epoch's, whatever its worker's clock said.
    .orderBy(asc(steps.epoch), asc(steps.startedAt), asc(steps.id))
    .limit(MAX_STATE_STEPS)
    .all();
  // The newest blocking escalation: the one the run waits on, or the last that resumed it. A run
  // stops once per epoch, so the epoch orders them; times only among an older SDK's (all epoch 0).
  const esc = await db
    .select()
    .from(escalations)
    .where(and(eq(escalations.projectId, projectId), eq(escalations.runId, runId), eq(escalations.blocking, true)))
    .orderBy(desc(escalations.epoch), desc(escalations.createdAt), desc(escalations.id))
    .get();
  const claimed = await db
    .select({ epoch: max(escalations.resumeEpoch) })
    .from(escalations)
    .where(and(eq(escalations.projectId, projectId), eq(escalations.runId, runId)))
    .get();
  const payloads = rows.map((s) => stepPayload(s.eventBody));
  let escalation: RunState["escalation"] = null;
  if (esc) {
    const at = rows.findIndex((s) => s.stepId === esc.stepId);
    // A deadline that settled the item (`expired`) resumes the run like a decision does.
    const settled = esc.status === "resolved" || esc.status === "expired";
    escalation = {
      id: esc.id,
      stepId: esc.stepId,
      step: esc.step,
      status: settled ? "resolved" : "open",
      decision: (esc.decision as Decision | null) ?? null,
      // Accept resumes with the model's own output; correct with the reviewer's.
      output: esc.decision === "correct" ? parseJson(esc.correctedOutput) : esc.decision === "accept" ? (at < 0 ? null : payloads[at]!.output) : null,
      reason: esc.reason,
      resumedAt: esc.resumedAt === null ? null : new Date(esc.resumedAt).toISOString(),
      resumable: settled && (esc.resumedAt === null || lapsed(esc.leaseExpiresAt, now)),
      leaseExpiresAt: esc.leaseExpiresAt === null || lapsed(esc.leaseExpiresAt, now) ? null : new Date(esc.leaseExpiresAt).toISOString(),
      // Accepted by the deadline (`onExpiry: accept-flagged`): nobody checked it.
      ...(esc.resolution === "expired" && esc.decision === "accept" ? { flagged: true } : {}),
    };
  }
  return {
    run: {
      id: run.id,
      workflow: run.workflow,
      version: run.version,
      key: run.key,
      status: run.status as RunStatus,
      input: runPayload(run).input,
      epoch: Math.max(run.statusEpoch, claimed?.epoch ?? 0),
    },
    steps: rows.map((s, i) => ({
      stepId: s.stepId,
      name: s.name,
      status: s.status,
      output: payloads[i]!.output,
      confidence: s.confidence,
      cumulative: s.cumulative,
      source: s.source as Source,
      stale: s.stale,
      flagged: s.flagged,
      parents: payloads[i]!.parents,
      escalationId: s.escalationId,
      call: s.call,
      gated: (payloads[i]!.gate as { outcome?: string } | null)?.outcome === "escalate",
    })),
    escalation,
  };
}

/** The newest run of a workflow started with this idempotency key. */
export async function findRunIdByKey(db: Db, projectId: string, workflow: string, key: string): Promise<string | null> {
  const rs = await db.$client.execute({ sql: RUN_BY_KEY_SQL, args: [projectId, workflow, key] });
  return rs.rows[0] ? String(rs.rows[0][0]) : null;
}

/**
 * `findRunIdByKey`'s query (project id, workflow name, key). By the workflow's id as well as its
 * name (a run keeps both from its first row; names are unique in a project), through
 * runs_key_idx: by the name alone, or left to the planner, it read every run of the project
 * from runs_project_started_idx to skip sorting the few runs of one key, on every resume by key.
 */
export const RUN_BY_KEY_SQL = `SELECT id FROM runs INDEXED BY runs_key_idx
  WHERE project_key = ${projectKeySql("?1")} AND workflow_id = (SELECT id FROM workflows WHERE project_id = ?1 AND name = ?2)
    AND workflow = ?2 AND key = ?3
  ORDER BY started_at DESC, id DESC LIMIT 1`;

export type ResumeClaim = { outcome: "claimed"; epoch: number; leaseExpiresAt: number } | { outcome: "already_resumed" | "not_resolved" | "not_found" };

/**
 * Claims the resume of a run from a resolved escalation. The claim is a lease: it lasts
 * `leaseMs` unless renewed (`renewResume`), and a lapsed one may be claimed again. Each claim
 * hands out the run's next epoch, which the worker's events carry, so whatever the dead worker
 * sent can never outrank what its successor sends. Read and written under the write lock, so of
 * two workers racing, exactly one wins.
 */
export async function claimResume(
  client: Client,
  input: { projectId: string; runId: string; escalationId: string; actor: string; now: number; leaseMs: number },
): Promise<ResumeClaim> {
  const { projectId, runId, escalationId, now } = input;
  const { tx, release } = await beginWrite(client);
  try {
    const row = (
      await tx.execute({
        sql: "SELECT status, resumed_at, resume_epoch, lease_expires_at FROM escalations WHERE project_id = ? AND run_id = ? AND id = ? AND blocking = 1",
        args: [projectId, runId, escalationId],
      })
    ).rows[0];
    if (!row) return { outcome: "not_found" };
    // An item its deadline settled (`expired`) resumes the run like a decision does.
    if (row.status !== "resolved" && row.status !== "expired") return { outcome: "not_resolved" };
    const lease = row.lease_expires_at === null ? null : Number(row.lease_expires_at);
    if (row.resumed_at !== null && !lapsed(lease, now)) return { outcome: "already_resumed" };
    const top = await tx.execute({
      sql: `SELECT max(e) FROM (SELECT status_epoch AS e FROM runs WHERE project_key = ${PROJECT_KEY} AND id = ?
            UNION ALL SELECT coalesce(resume_epoch, epoch) FROM escalations WHERE project_id = ? AND run_id = ?)`,
      args: [projectId, runId, projectId, runId],
    });
    const epoch = Number(top.rows[0]?.[0] ?? 0) + 1;
    const leaseExpiresAt = now + input.leaseMs;
    await tx.execute({
      sql: "UPDATE escalations SET resumed_at = ?, resumed_by = ?, resume_epoch = ?, lease_expires_at = ? WHERE project_id = ? AND id = ?",
      args: [now, input.actor, epoch, leaseExpiresAt, projectId, escalationId],
    });
    // A takeover names the claim that lapsed: the audit trail shows which worker went away.
    const payload = row.resumed_at === null ? { escalationId, epoch } : { escalationId, epoch, lapsedEpoch: Number(row.resume_epoch ?? 0), lapsedAt: lease };
    await appendAudit(tx, projectId, [{ time: now, actor: input.actor, action: "run.resume_claimed", subject: `escalation:${escalationId}`, runId, payload }]);
    await tx.commit();
    return { outcome: "claimed", epoch, leaseExpiresAt };
  } finally {
    tx.close();
    release();
  }
}

/**
 * Extends a live claim by `leaseMs` from now. Refused ("lost") when the claim is no longer the
 * caller's: it lapsed, another worker took it over (another epoch), or the run moved past it.
 */
export async function renewResume(
  client: Client,
  input: { projectId: string; runId: string; escalationId: string; epoch: number; now: number; leaseMs: number },
): Promise<{ outcome: "renewed"; leaseExpiresAt: number } | { outcome: "lost" | "not_found" }> {
  const { tx, release } = await beginWrite(client);
  try {
    const leaseExpiresAt = input.now + input.leaseMs;
    const rs = await tx.execute({
      sql: `UPDATE escalations SET lease_expires_at = ?
            WHERE project_id = ? AND run_id = ? AND id = ? AND blocking = 1 AND resume_epoch = ? AND lease_expires_at > ?`,
      args: [leaseExpiresAt, input.projectId, input.runId, input.escalationId, input.epoch, input.now],
    });
    if (rs.rowsAffected === 1) {
      await tx.commit();
      return { outcome: "renewed", leaseExpiresAt };
    }
    const found = await tx.execute({
      sql: "SELECT 1 FROM escalations WHERE project_id = ? AND run_id = ? AND id = ? AND blocking = 1",
      args: [input.projectId, input.runId, input.escalationId],
    });
    return { outcome: found.rows.length === 0 ? "not_found" : "lost" };
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
 * Resolved blocking escalations whose run nobody has resumed yet, or whose resume claim lapsed
 * by `now` (its worker went away), in resolution order, for workers that resume runs as reviews
 * arrive (`st.onResolved`). `after` is the last item seen.
 */
export async function listResumable(
  db: Db,
  projectId: string,
  after: { resolvedAt: number; id: string } | null,
  limit: number,
  now: number,
): Promise<{ items: ResumableItem[]; next: { resolvedAt: number; id: string } | null }> {
  const rows = await listResumableQuery(db, projectId, after, limit, now).all();
  const items = rows.map((r) => ({ ...r, decision: r.decision as Decision, resolvedAt: new Date(r.resolvedAt!).toISOString() }));
  const last = rows[rows.length - 1];
  return { items, next: last ? { resolvedAt: last.resolvedAt!, id: last.escalationId } : null };
}

/** The query of `listResumable`, unexecuted, so tests can EXPLAIN it. */
export function listResumableQuery(db: Db, projectId: string, after: { resolvedAt: number; id: string } | null, limit: number, now: number) {
  return db
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
        // The terms of escalations_resumable_idx, as written there, so SQLite reads that short index.
        sql`${escalations.blocking} = 1 AND ${escalations.resolvedAt} IS NOT NULL AND (${escalations.resumedAt} IS NULL OR ${escalations.leaseExpiresAt} IS NOT NULL)`,
        sql`(${escalations.resumedAt} IS NULL OR ${escalations.leaseExpiresAt} <= ${now})`,
        after ? or(gt(escalations.resolvedAt, after.resolvedAt), and(eq(escalations.resolvedAt, after.resolvedAt), gt(escalations.id, after.id))) : sql`1`,
      ),
    )
    .orderBy(asc(escalations.resolvedAt), asc(escalations.id))
    .limit(limit);
}
