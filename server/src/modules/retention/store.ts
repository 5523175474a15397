import type { Client, Transaction } from "@libsql/client";
import type { Db } from "../../platform/db/client.js";
import { appendAudit, EVENTS_UNDER_ENTRY_ID, IS_EVENT_ENTRY, type AuditRecord } from "../audit/store.js";
import { idFromStored, refFromStored, storedId, storedIdSql } from "../../platform/db/stored-id.js";
import { PROJECT_KEY, projectKeySql } from "../../platform/db/project-key.js";
import { sha256Hex } from "../audit/chain.js";
import { currentHours, recountStatements } from "../runs/run-hours.js";
import { deleteOtlpRunData, purgeOtlpRunToFinal } from "../ingest/otlp/retention-store.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { fromStoredText, storedArg, toStoredText } from "../../platform/db/stored-text.js";
import { STEP_EVENT_JOIN, stepPayload } from "../runs/step-payload.js";

export type RetentionMode = "full" | "final";

export interface RetentionPolicy {
  workflow: string;
  mode: RetentionMode;
  ttlDays: number | null;
  updatedAt: number;
  updatedBy: string;
}

export async function listRetentionPolicies(db: Db, projectId: string): Promise<RetentionPolicy[]> {
  const rs = await db.$client.execute({
    sql: "SELECT workflow, mode, ttl_days, updated_at, updated_by FROM retention_policies WHERE project_id = ? ORDER BY workflow LIMIT 1000",
    args: [projectId],
  });
  return rs.rows.map((r) => ({
    workflow: String(r[0]),
    mode: String(r[1]) as RetentionMode,
    ttlDays: r[2] == null ? null : Number(r[2]),
    updatedAt: Number(r[3]),
    updatedBy: String(r[4]),
  }));
}

/** Sets a workflow's retention; the change and its previous value are audited together. */
export async function putRetentionPolicy(
  client: Client,
  input: { projectId: string; workflow: string; mode: RetentionMode; ttlDays: number | null; actor: string; now: number },
): Promise<RetentionPolicy> {
  return withWriteLock(client, async (tx) => {
    const before = await tx.execute({
      sql: "SELECT mode, ttl_days FROM retention_policies WHERE project_id = ? AND workflow = ?",
      args: [input.projectId, input.workflow],
    });
    await tx.execute({
      sql: `INSERT INTO retention_policies (project_id, workflow, mode, ttl_days, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (project_id, workflow) DO UPDATE SET mode = excluded.mode, ttl_days = excluded.ttl_days,
              updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      args: [input.projectId, input.workflow, input.mode, input.ttlDays, input.now, input.actor],
    });
    const b = before.rows[0];
    await appendAudit(tx, input.projectId, [
      {
        time: input.now,
        actor: input.actor,
        action: "retention.updated",
        subject: `workflow:${input.workflow}`,
        payload: {
          workflow: input.workflow,
          before: b ? { mode: String(b[0]), ttlDays: b[1] == null ? null : Number(b[1]) } : null,
          after: { mode: input.mode, ttlDays: input.ttlDays },
        },
      },
    ]);
    return { commit: true, value: { workflow: input.workflow, mode: input.mode, ttlDays: input.ttlDays, updatedAt: input.now, updatedBy: input.actor } };
  });
}

/** Policies to apply, across projects: `final` ones and any with a TTL. */
export async function activeRetentionPolicies(
  db: Db,
): Promise<Array<{ projectId: string; workflow: string; workflowId: string | null; mode: RetentionMode; ttlDays: number | null }>> {
  const rs = await db.$client.execute(`
    SELECT p.project_id, p.workflow, w.id, p.mode, p.ttl_days FROM retention_policies p
    LEFT JOIN workflows w ON w.project_id = p.project_id AND w.name = p.workflow
    WHERE p.mode = 'final' OR p.ttl_days IS NOT NULL`);
  return rs.rows.map((r) => ({
    projectId: String(r[0]),
    workflow: String(r[1]),
    workflowId: r[2] == null ? null : String(r[2]),
    mode: String(r[3]) as RetentionMode,
    ttlDays: r[4] == null ? null : Number(r[4]),
  }));
}

const PROJECTION = "runs";

/** Events past the projector's cursor have not been folded yet; retention must not touch them. */
async function projectedUpTo(tx: Transaction): Promise<number> {
  const rs = await tx.execute({ sql: "SELECT position FROM projections WHERE name = ?", args: [PROJECTION] });
  return rs.rows[0] ? Number(rs.rows[0][0]) : 0;
}

export interface PurgeCounts {
  runs: number;
  steps: number;
  events: number;
}

// The payload fields of step events that `final` drops (and `output` of intermediate steps).
const STEP_EVENT_PAYLOAD = ["input", "reasoning", "alternatives"] as const;

export interface PurgeInput {
  projectId: string;
  workflowId: string;
  endedBefore: number;
  limit: number;
  now: number;
}

/**
 * What a purge did to one run: counts, and for `final`, the new SHA-256 of every event body it
 * reduced, by the sequence number of the event's audit entry. The verification checks a reduced
 * body against this hash (audit/payload-check.ts), so a purge is told from an edit.
 */
interface Purged {
  steps: number;
  events: number;
  payloads?: Record<string, string>;
}

/** `auditedFrom`: the seq from which every event is audited (`firstAuditedSeq`). */
type Purge = (tx: Transaction, projectId: string, runId: string, projectedUpTo: number, now: number, auditedFrom: number) => Promise<Purged>;

/**
 * The frame both purges share: in one write transaction, take up to `limit` ended runs of the
 * workflow that `onlyUnpurged` allows, apply `purge` to each, and write a `retention.purged`
 * audit entry per run with what it removed (a TTL purge removes every payload of the run's
 * earlier entries; a `final` one lists the new hash of each body it reduced). Paused and running
 * runs are never selected.
 */
async function purgeEndedRuns(client: Client, input: PurgeInput, mode: "final" | "ttl", onlyUnpurged: boolean, purge: Purge): Promise<PurgeCounts> {
  return withWriteLock(client, async (tx) => {
    const cursor = await projectedUpTo(tx);
    const auditedFrom = await firstAuditedSeq(client, tx);
    const rs = await tx.execute({
      sql: `SELECT id FROM runs WHERE project_key = ${PROJECT_KEY} AND workflow_id = ? AND ended_at < ?
              ${onlyUnpurged ? "AND payloads_purged_at IS NULL" : ""} AND status IN ('completed', 'failed')
            ORDER BY ended_at LIMIT ?`,
      args: [input.projectId, input.workflowId, input.endedBefore, input.limit],
    });
    const counts: PurgeCounts = { runs: 0, steps: 0, events: 0 };
    const audit: AuditRecord[] = [];
    for (const row of rs.rows) {
      const runId = String(row[0]);
      const removed = await purge(tx, input.projectId, runId, cursor, input.now, auditedFrom);
      counts.runs++;
      counts.steps += removed.steps;
      counts.events += removed.events;
      audit.push({
        time: input.now,
        actor: "system:retention",
        action: "retention.purged",
        subject: `run:${runId}`,
        runId,
        payload: { mode, ...removed },
      });
    }
    await appendAudit(tx, input.projectId, audit);
    return { commit: counts.runs > 0, value: counts };
  });
}

/**
 * A run's event entries in the audit log (arguments: project, run, as `storedId` gives them).
 * INDEXED BY: the table keeps its rows in its (project, seq) key, and without statistics SQLite
 * would walk the project's whole chain by that key rather than look up the few rows the run index
 * finds.
 */
export const RUN_EVENT_ENTRIES_SQL = `SELECT a.seq, a.subject FROM audit_log a INDEXED BY audit_log_run_idx WHERE a.project_key = ${PROJECT_KEY} AND a.run_id = ? AND ${IS_EVENT_ENTRY}`;

/**
 * A run's events in the log, up to the projection's cursor (arguments: project, run, cursor),
 * found through their audit entries: every event is audited in the transaction that stores it,
 * under `event:<id>` and its run. `events` has no run index (one would cost ~45 B an event), and
 * filtering it by run walks the project's whole log, once per purged run inside the write
 * transaction: 12 ms a run at 21,000 events, linear in the log, against 0.04 ms this way.
 */
export const RUN_EVENTS_FROM = `FROM audit_log a INDEXED BY audit_log_run_idx
  JOIN events e ON ${EVENTS_UNDER_ENTRY_ID}
  WHERE a.project_key = ${projectKeySql("?1")} AND a.run_id = ${storedIdSql("?2")} AND e.run_id = a.run_id AND e.seq <= ?3`;

/**
 * A run's events stored before the first event the store audited (arguments: project, run,
 * cursor, that event's seq): the earliest releases stored events without audit entries, and
 * `RUN_EVENTS_FROM` cannot find those. The unary `+` keeps SQLite on the seq range, which is
 * empty on any store that audited from its first event, rather than on the project's index.
 */
export const UNAUDITED_RUN_EVENTS_FROM = `FROM events e WHERE e.seq < ?4 AND e.seq <= ?3 AND +e.project_key = ${projectKeySql("?1")} AND +e.run_id = ${storedIdSql("?2")}`;

const firstAudited = new WeakMap<Client, number>();

/**
 * The seq of the store's first event with an audit entry (the largest safe integer while none
 * has one): every event stored since is audited, in the transaction that stored it. The earliest
 * such event of each project, found by walking its chain from the start to its first event entry
 * whose event is still stored (events retention deleted are passed over). Worked out once per
 * client: what retention deletes later only raises it, and a lower bound is still a bound.
 */
async function firstAuditedSeq(client: Client, tx: Transaction): Promise<number> {
  let seq = firstAudited.get(client);
  if (seq === undefined) {
    const rs = await tx.execute(`SELECT min((SELECT e.seq FROM audit_log a JOIN events e ON ${EVENTS_UNDER_ENTRY_ID}
                                             WHERE a.project_key = ${projectKeySql("p.id")} ORDER BY a.seq LIMIT 1)) FROM projects p`);
    const v = rs.rows[0]?.[0];
    // None yet: every event may be unaudited, and the next purge looks again.
    if (v === null || v === undefined) return Number.MAX_SAFE_INTEGER;
    seq = Number(v);
    firstAudited.set(client, seq);
  }
  return seq;
}

/**
 * `final` for up to `limit` runs of a workflow that ended before `endedBefore`: keeps each run's
 * output and its final steps' outputs (steps no other step consumed), confidences, gate results
 * and hashes; drops step inputs, intermediate outputs, reasoning, alternatives, the run's input
 * and the payloads in its review packets. Labels (reviewers' decisions) stay.
 */
export function purgeToFinal(client: Client, input: PurgeInput): Promise<PurgeCounts> {
  return purgeEndedRuns(client, input, "final", true, async (tx, projectId, runId, cursor, now, auditedFrom) => {
    const args = [projectId, runId];
    const { steps, events, bodies } = await reduceRunEvents(tx, projectId, runId, cursor, auditedFrom);
    // Each reduced body's new hash, under its audit entry: the run's entries through the run index.
    const entries = await tx.execute({ sql: RUN_EVENT_ENTRIES_SQL, args: [projectId, storedId(runId)] });
    const payloads: Record<string, string> = {};
    for (const e of entries.rows) {
      const hash = bodies.get(refFromStored(e[1]));
      if (hash !== undefined) payloads[String(e[0])] = hash;
    }
    await tx.execute({
      sql: `UPDATE escalations SET packet = json_set(packet, '$.input', json('null'), '$.output', json('null'), '$.reasoning', json('null'),
              '$.alternatives', json('null'), '$.run.input', json('null'), '$.runSoFar', json('{"steps":[],"truncated":true}'), '$.purged', 'final')
            WHERE project_id = ? AND run_id = ? AND status = 'resolved'`,
      args,
    });
    await purgeOtlpRunToFinal(tx, projectId, runId);
    await tx.execute({
      sql: `UPDATE runs SET input = NULL, input_seq = NULL, payloads_purged_at = ? WHERE project_key = ${PROJECT_KEY} AND id = ?`,
      args: [now, ...args],
    });
    return { steps, events, payloads };
  });
}

/**
 * Reduces the bodies of a run's projected events to what `final` keeps, in JS because a body may
 * be stored compressed: the run's input; each step's input, reasoning and alternatives; and the
 * output of intermediate steps (those another step of the run names as a parent, as the steps
 * table has them). The steps rows hold no payloads (they read them from these bodies), so this is
 * every place a step payload lives besides the review packets. Answers the run's step count,
 * the events reduced and each one's new SHA-256, by `event:<id>`.
 */
async function reduceRunEvents(
  tx: Transaction,
  projectId: string,
  runId: string,
  cursor: number,
  auditedFrom: number,
): Promise<{ steps: number; events: number; bodies: Map<string, string> }> {
  const stepRows = await tx.execute({
    sql: `SELECT s.id, ev.body FROM steps s ${STEP_EVENT_JOIN} WHERE s.project_key = ${PROJECT_KEY} AND s.run_id = ?`,
    args: [projectId, storedId(runId)],
  });
  const consumed = new Set<string>();
  for (const r of stepRows.rows) for (const parent of stepPayload(r[1]).parents) consumed.add(parent);
  const final = new Set(stepRows.rows.map((r) => idFromStored(r[0])).filter((id) => !consumed.has(id)));
  const types = "AND e.type IN ('step.completed', 'step.failed', 'run.started')";
  const rs = await tx.execute({
    sql: `SELECT e.seq, e.id, e.type, e.body ${RUN_EVENTS_FROM} ${types} UNION ALL SELECT e.seq, e.id, e.type, e.body ${UNAUDITED_RUN_EVENTS_FROM} ${types}`,
    args: [projectId, runId, cursor, auditedFrom],
  });
  const bodies = new Map<string, string>();
  for (const r of rs.rows) {
    let text: string;
    let body: Record<string, unknown>;
    try {
      text = fromStoredText(r[3]);
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) continue;
      body = parsed as Record<string, unknown>;
    } catch {
      // The collector stores JSON objects only: a body that does not decompress or parse was
      // damaged, and is left as it is for the audit verification to report.
      continue;
    }
    const drop: string[] = String(r[2]) === "run.started" ? ["input"] : [...STEP_EVENT_PAYLOAD];
    if (String(r[2]) !== "run.started" && !final.has(String(body.stepId))) drop.push("output");
    let changed = false;
    for (const k of drop) {
      if (k in body) {
        delete body[k];
        changed = true;
      }
    }
    const reduced = changed ? JSON.stringify(body) : text;
    if (changed) await tx.execute({ sql: "UPDATE events SET body = ? WHERE seq = ?", args: [storedArg(toStoredText(reduced)), Number(r[0])] });
    bodies.set(`event:${idFromStored(r[1])}`, sha256Hex(reduced));
  }
  return { steps: stepRows.rows.length, events: bodies.size, bodies };
}

/**
 * Deletes up to `limit` runs of a workflow that ended before `endedBefore`, with their steps,
 * events, escalations, labels and the audit payloads about them. The audit entries themselves
 * stay (they hold only hashes), so the chain still verifies.
 */
export function deleteExpiredRuns(client: Client, input: PurgeInput): Promise<PurgeCounts> {
  return purgeEndedRuns(client, input, "ttl", false, async (tx, projectId, runId, cursor, _now, auditedFrom) => {
    const args = [projectId, runId];
    await deleteOtlpRunData(tx, projectId, runId);
    const steps = await tx.execute({ sql: `DELETE FROM steps WHERE project_key = ${PROJECT_KEY} AND run_id = ?`, args: [projectId, storedId(runId)] });
    const events = await tx.execute({
      sql: `DELETE FROM events WHERE seq IN (SELECT e.seq ${RUN_EVENTS_FROM} UNION ALL SELECT e.seq ${UNAUDITED_RUN_EVENTS_FROM})`,
      args: [...args, cursor, auditedFrom],
    });
    await tx.execute({ sql: "DELETE FROM escalations WHERE project_id = ? AND run_id = ?", args });
    await tx.execute({ sql: "DELETE FROM labels WHERE project_id = ? AND run_id = ?", args });
    await tx.execute({
      sql: `DELETE FROM audit_payloads WHERE project_key = ${projectKeySql("?1")} AND seq IN (SELECT seq FROM audit_log WHERE project_key = ${projectKeySql("?1")} AND run_id = ?2)`,
      args: [projectId, storedId(runId)],
    });
    const hours = await currentHours(tx, [{ projectId, runId }]);
    await tx.execute({ sql: `DELETE FROM runs WHERE project_key = ${PROJECT_KEY} AND id = ?`, args });
    for (const st of recountStatements(hours)) await tx.execute(st);
    return { steps: steps.rowsAffected, events: events.rowsAffected };
  });
}
