import type { Client, Row } from "@libsql/client";
import { uuidv7, type ServedPolicy } from "@seamtrace/sdk";
import { and, asc, desc, eq, lt, or, type SQL } from "drizzle-orm";
import { MAX_POLICIES_PER_PROJECT, POLICY_FIELDS, type HistoryCursor, type PolicyHistoryEntry, type PolicyPatch, type PolicyValues } from "./contract.js";
import type { Db } from "../../platform/db/client.js";
import { policies, policyHistory } from "./schema.js";
import { appendAudit, type AuditRecord } from "../audit/store.js";
import { beginWrite } from "../../platform/db/write-transaction.js";
import { parseJson } from "../../platform/db/json.js";

/**
 * Policies per workflow and step, and their append-only history. The workflow-wide
 * policy is stored with step "" (a primary-key column cannot be NULL in a useful way) and served
 * with `step: null`. Every change writes the row and its history entry in ONE transaction, so
 * the history never misses a change and never records one that did not happen.
 */

/** A policy row as stored, without its project. */
export interface PolicyRow extends PolicyValues {
  workflow: string;
  /** "" for the workflow-wide policy. */
  step: string;
  revision: number;
  updatedAt: number;
  updatedBy: string;
}

/** The wire form: unset fields are left out, the workflow-wide policy has `step: null`. */
export function toServed(row: PolicyRow): ServedPolicy {
  // Built key by key so the JSON lists the thresholds first, then the bookkeeping.
  const served: Record<string, unknown> = { workflow: row.workflow, step: row.step === "" ? null : row.step };
  for (const f of POLICY_FIELDS) if (row[f] !== null) served[f] = row[f];
  served.revision = row.revision;
  served.updatedAt = new Date(row.updatedAt).toISOString();
  return served as unknown as ServedPolicy;
}

const rowColumns = {
  workflow: policies.workflow,
  step: policies.step,
  minConfidence: policies.minConfidence,
  minCumulative: policies.minCumulative,
  onLow: policies.onLow,
  requireConfidence: policies.requireConfidence,
  spotCheckRate: policies.spotCheckRate,
  spotCheckNearRate: policies.spotCheckNearRate,
  targetAccuracy: policies.targetAccuracy,
  tightenMin: policies.tightenMin,
  tightenMax: policies.tightenMax,
  delta: policies.delta,
  onUnmet: policies.onUnmet,
  reviewers: policies.reviewers,
  consensus: policies.consensus,
  reviewBy: policies.reviewBy,
  onExpiry: policies.onExpiry,
  reviewGroup: policies.reviewGroup,
  confidenceFrom: policies.confidenceFrom,
  revision: policies.revision,
  updatedAt: policies.updatedAt,
  updatedBy: policies.updatedBy,
};

/**
 * Every policy of a project (optionally of one workflow), in (workflow, step) order: the
 * primary key's order, so the answer, and the ETag hashed over it, are deterministic.
 */
export async function listPolicies(db: Db, projectId: string, filter: { workflow?: string | undefined } = {}): Promise<PolicyRow[]> {
  const where =
    filter.workflow === undefined ? eq(policies.projectId, projectId) : and(eq(policies.projectId, projectId), eq(policies.workflow, filter.workflow));
  return db.select(rowColumns).from(policies).where(where).orderBy(asc(policies.workflow), asc(policies.step)).limit(MAX_POLICIES_PER_PROJECT).all();
}

export interface PolicyChange {
  projectId: string;
  workflow: string;
  /** Null for the workflow-wide policy. */
  step: string | null;
  /** `user:<id>` or `system:<job>`. */
  actor: string;
  reason?: string | null | undefined;
  /** What an automatic change rests on (auto-tighten); stored as JSON. */
  evidence?: unknown;
  now: number;
}

export type PutOutcome =
  | { outcome: "created" | "updated" | "unchanged"; policy: ServedPolicy }
  | { outcome: "invalid"; message: string; details: unknown }
  | { outcome: "limit" };

/**
 * Applies `patch` to a policy (creating it if needed): absent fields stay, null clears. The new
 * row gets the next revision and the change is appended to the history in the same
 * transaction. A patch that changes nothing writes nothing (a retried PUT adds no history).
 *
 * Revisions keep counting across a delete and re-create, so one revision number never names
 * two different policies in gate results and audit entries.
 */
export async function putPolicy(client: Client, change: PolicyChange & { patch: PolicyPatch }): Promise<PutOutcome> {
  const step = change.step ?? "";
  const { tx, release } = await beginWrite(client);
  try {
    const current = await readRow(tx, change.projectId, change.workflow, step);
    let revision: number;
    if (current) {
      revision = current.revision + 1;
    } else {
      const count = await tx.execute({ sql: "SELECT count(*) FROM policies WHERE project_id = ?", args: [change.projectId] });
      if (Number(count.rows[0]![0]) >= MAX_POLICIES_PER_PROJECT) return { outcome: "limit" };
      const last = await tx.execute({
        sql: `SELECT coalesce(max(max(coalesce(json_extract(before, '$.revision'), 0), coalesce(json_extract(after, '$.revision'), 0))), 0)
              FROM policy_history WHERE project_id = ? AND workflow = ? AND step = ?`,
        args: [change.projectId, change.workflow, step],
      });
      revision = Number(last.rows[0]![0]) + 1;
    }

    const values = {} as Record<string, unknown>;
    for (const f of POLICY_FIELDS) values[f] = change.patch[f] !== undefined ? change.patch[f] : (current?.[f] ?? null);
    const next = values as PolicyValues;
    if (next.tightenMin !== null && next.tightenMax !== null && next.tightenMin > next.tightenMax) {
      return {
        outcome: "invalid",
        message: `tightenMin (${next.tightenMin}) must not exceed tightenMax (${next.tightenMax})`,
        details: { tightenMin: next.tightenMin, tightenMax: next.tightenMax },
      };
    }
    if (current && POLICY_FIELDS.every((f) => current[f] === next[f])) return { outcome: "unchanged", policy: toServed(current) };

    const row: PolicyRow = { ...next, workflow: change.workflow, step, revision, updatedAt: change.now, updatedBy: change.actor };
    const after = toServed(row);
    await tx.batch([
      {
        sql: `INSERT INTO policies (project_id, workflow, step, min_confidence, min_cumulative, on_low, require_confidence, spot_check_rate, target_accuracy,
                tighten_min, tighten_max, confidence_from, reviewers, consensus, review_by_ms, on_expiry, review_group, revision, updated_at, updated_by,
                spot_check_near_rate, delta, on_unmet)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
              ON CONFLICT (project_id, workflow, step) DO UPDATE SET
                min_confidence = excluded.min_confidence, min_cumulative = excluded.min_cumulative, on_low = excluded.on_low,
                require_confidence = excluded.require_confidence, spot_check_rate = excluded.spot_check_rate, target_accuracy = excluded.target_accuracy,
                tighten_min = excluded.tighten_min, tighten_max = excluded.tighten_max, confidence_from = excluded.confidence_from,
                spot_check_near_rate = excluded.spot_check_near_rate, delta = excluded.delta, on_unmet = excluded.on_unmet,
                reviewers = excluded.reviewers, consensus = excluded.consensus, review_by_ms = excluded.review_by_ms,
                on_expiry = excluded.on_expiry, review_group = excluded.review_group,
                revision = excluded.revision, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
        args: [
          change.projectId,
          row.workflow,
          row.step,
          row.minConfidence,
          row.minCumulative,
          row.onLow,
          row.requireConfidence === null ? null : row.requireConfidence ? 1 : 0,
          row.spotCheckRate,
          row.targetAccuracy,
          row.tightenMin,
          row.tightenMax,
          row.confidenceFrom,
          row.reviewers,
          row.consensus,
          row.reviewBy,
          row.onExpiry,
          row.reviewGroup,
          row.revision,
          row.updatedAt,
          row.updatedBy,
          row.spotCheckNearRate,
          row.delta,
          row.onUnmet,
        ],
      },
      historyInsert(change, step, current ? toServed(current) : null, after),
    ]);
    await appendAudit(tx, change.projectId, [
      policyAudit(change, step, current ? "policy.updated" : "policy.created", current ? toServed(current) : null, after),
    ]);
    await tx.commit();
    return { outcome: current ? "updated" : "created", policy: after };
  } finally {
    // Rolls back unless committed: a failed history insert leaves the policy as it was.
    tx.close();
    release();
  }
}

/** Removes a policy and records it (`after` null). Returns what was removed, or null if there was none. */
export async function deletePolicy(client: Client, change: PolicyChange): Promise<ServedPolicy | null> {
  const step = change.step ?? "";
  const { tx, release } = await beginWrite(client);
  try {
    const current = await readRow(tx, change.projectId, change.workflow, step);
    if (!current) return null;
    const before = toServed(current);
    await tx.batch([
      { sql: "DELETE FROM policies WHERE project_id = ? AND workflow = ? AND step = ?", args: [change.projectId, change.workflow, step] },
      historyInsert(change, step, before, null),
    ]);
    await appendAudit(tx, change.projectId, [policyAudit(change, step, "policy.deleted", before, null)]);
    await tx.commit();
    return before;
  } finally {
    tx.close();
    release();
  }
}

/** The audit entry of a policy change: the whole before and after, and why. */
function policyAudit(change: PolicyChange, step: string, action: string, before: ServedPolicy | null, after: ServedPolicy | null): AuditRecord {
  return {
    time: change.now,
    actor: change.actor,
    action,
    subject: `policy:${change.workflow}/${step}`,
    payload: { workflow: change.workflow, step: step || null, before, after, reason: change.reason || null, evidence: change.evidence ?? null },
  };
}

function historyInsert(change: PolicyChange, step: string, before: ServedPolicy | null, after: ServedPolicy | null) {
  return {
    sql: "INSERT INTO policy_history (id, project_id, workflow, step, before, after, actor, reason, evidence, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    args: [
      uuidv7(),
      change.projectId,
      change.workflow,
      step,
      before ? JSON.stringify(before) : null,
      after ? JSON.stringify(after) : null,
      change.actor,
      change.reason || null,
      change.evidence === undefined ? null : JSON.stringify(change.evidence),
      change.now,
    ],
  };
}

async function readRow(tx: { execute: Client["execute"] }, projectId: string, workflow: string, step: string): Promise<PolicyRow | null> {
  const rs = await tx.execute({
    sql: `SELECT workflow, step, min_confidence, min_cumulative, on_low, require_confidence, spot_check_rate, target_accuracy, tighten_min, tighten_max,
            spot_check_near_rate, confidence_from, delta, on_unmet, ${REVIEW_COLUMNS}, revision, updated_at, updated_by
          FROM policies WHERE project_id = ? AND workflow = ? AND step = ?`,
    args: [projectId, workflow, step],
  });
  const r = rs.rows[0];
  return r ? fromSqlRow(r) : null;
}

/** The team-review columns, read with every policy row. */
const REVIEW_COLUMNS = "reviewers, consensus, review_by_ms, on_expiry, review_group";

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function fromSqlRow(r: Row): PolicyRow {
  return {
    workflow: String(r.workflow),
    step: String(r.step),
    minConfidence: num(r.min_confidence),
    minCumulative: num(r.min_cumulative),
    onLow: r.on_low === null ? null : (String(r.on_low) as PolicyRow["onLow"]),
    requireConfidence: r.require_confidence === null ? null : Number(r.require_confidence) === 1,
    spotCheckRate: num(r.spot_check_rate),
    targetAccuracy: num(r.target_accuracy),
    tightenMin: num(r.tighten_min),
    tightenMax: num(r.tighten_max),
    spotCheckNearRate: num(r.spot_check_near_rate),
    delta: num(r.delta),
    onUnmet: r.on_unmet === null || r.on_unmet === undefined ? null : (String(r.on_unmet) as PolicyRow["onUnmet"]),
    reviewers: num(r.reviewers),
    consensus: r.consensus === null || r.consensus === undefined ? null : (String(r.consensus) as PolicyRow["consensus"]),
    reviewBy: num(r.review_by_ms),
    onExpiry: r.on_expiry === null || r.on_expiry === undefined ? null : (String(r.on_expiry) as PolicyRow["onExpiry"]),
    reviewGroup: r.review_group === null || r.review_group === undefined ? null : String(r.review_group),
    confidenceFrom: r.confidence_from === null || r.confidence_from === undefined ? null : String(r.confidence_from),
    revision: Number(r.revision),
    updatedAt: Number(r.updated_at),
    updatedBy: String(r.updated_by),
  };
}

export interface HistoryFilter {
  workflow?: string | undefined;
  /** "" selects the workflow-wide policy's entries. */
  step?: string | undefined;
  limit: number;
  after?: HistoryCursor | undefined;
}

/** Changes newest first, a page at a time; `last` is the cursor for the next page, null at the end. */
export async function listPolicyHistory(
  db: Db,
  projectId: string,
  filter: HistoryFilter,
): Promise<{ items: PolicyHistoryEntry[]; last: HistoryCursor | null }> {
  const conditions: SQL[] = [eq(policyHistory.projectId, projectId)];
  if (filter.workflow !== undefined) conditions.push(eq(policyHistory.workflow, filter.workflow));
  if (filter.step !== undefined) conditions.push(eq(policyHistory.step, filter.step));
  if (filter.after) {
    const { at, id } = filter.after;
    conditions.push(or(lt(policyHistory.at, at), and(eq(policyHistory.at, at), lt(policyHistory.id, id)))!);
  }
  const rows = await db
    .select()
    .from(policyHistory)
    .where(and(...conditions))
    .orderBy(desc(policyHistory.at), desc(policyHistory.id))
    .limit(filter.limit + 1)
    .all();
  const page = rows.slice(0, filter.limit);
  const items = page.map(
    (r): PolicyHistoryEntry => ({
      id: r.id,
      workflow: r.workflow,
      step: r.step === "" ? null : r.step,
      before: parseJson(r.before) as ServedPolicy | null,
      after: parseJson(r.after) as ServedPolicy | null,
      actor: r.actor,
      reason: r.reason,
      evidence: parseJson(r.evidence),
      at: new Date(r.at).toISOString(),
    }),
  );
  const tail = page[page.length - 1];
  return { items, last: rows.length > filter.limit && tail ? { at: tail.at, id: tail.id } : null };
}

/**
 * Every policy of every project that sets a target accuracy, or belongs to a workflow whose
 * policy does (auto-tighten merges step policies over workflow policies).
 */
export async function listAllPoliciesWithTargets(db: Db): Promise<Array<PolicyRow & { projectId: string }>> {
  const rs = await db.$client.execute(`
    SELECT project_id, workflow, step, min_confidence, min_cumulative, on_low, require_confidence, spot_check_rate, target_accuracy, tighten_min, tighten_max,
      spot_check_near_rate, confidence_from, delta, on_unmet, ${REVIEW_COLUMNS}, revision, updated_at, updated_by
    FROM policies p
    WHERE EXISTS (SELECT 1 FROM policies t WHERE t.project_id = p.project_id AND t.workflow = p.workflow AND t.target_accuracy IS NOT NULL)
    ORDER BY project_id, workflow, step`);
  return rs.rows.map((r) => ({ ...fromSqlRow(r), projectId: String(r.project_id) }));
}
