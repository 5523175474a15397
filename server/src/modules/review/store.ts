import type { Client } from "@libsql/client";
import type { Decision, GateKind } from "@seamtrace/sdk";
import { and, asc, eq, inArray, isNull, or, sql, type SQL } from "drizzle-orm";
import { ACTIVE_STATUSES, type EscalationDetail, type EscalationPacket, type EscalationSummary, type QueueCursor, type QueueQuery } from "./contract.js";
import type { Db } from "../../platform/db/client.js";
import type { Role } from "../../app/deps.js";
import { contracts } from "../policies/schema.js";
import { escalations } from "./schema.js";
import { appendAudit } from "../audit/store.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { iso, isoOrNull, parseJson } from "../../platform/db/json.js";

/**
 * The review queue. Reads take the project id first in every WHERE (the leading
 * column of each index, and the only tenancy boundary); writes run under the write lock with
 * conditional UPDATEs, so two reviewers acting at once get one success and one conflict.
 */

/**
 * Cumulative confidence with "unknown" above every real value ([0, 1]): unknown risks sort last.
 * The generated column `escalations.risk` (db/schema.ts) is this, indexed with the queue's order.
 */
const UNKNOWN_RISK = 2;
const risk = escalations.risk;

type EscalationRow = typeof escalations.$inferSelect;

const summaryColumns = {
  id: escalations.id,
  runId: escalations.runId,
  stepId: escalations.stepId,
  workflow: escalations.workflow,
  version: escalations.version,
  step: escalations.step,
  kind: escalations.kind,
  gateKinds: escalations.gateKinds,
  blocking: escalations.blocking,
  samplingRate: escalations.samplingRate,
  confidence: escalations.confidence,
  cumulative: escalations.cumulative,
  status: escalations.status,
  claimedBy: escalations.claimedBy,
  claimExpiresAt: escalations.claimExpiresAt,
  createdAt: escalations.createdAt,
  decision: escalations.decision,
  reviewerId: escalations.reviewerId,
  resolvedAt: escalations.resolvedAt,
  reviewGroup: escalations.reviewGroup,
  reviewersRequired: escalations.reviewersRequired,
  consensus: escalations.consensus,
  dueAt: escalations.dueAt,
  onExpiry: escalations.onExpiry,
  resolution: escalations.resolution,
  // Served by reviews_escalation_idx: a page reads at most a few rows per item.
  // Written out: drizzle renders a column of the queried table unqualified, which inside the
  // subquery would name the reviews' own columns.
  decisions: sql<number>`(SELECT count(*) FROM reviews r WHERE r.project_id = "escalations"."project_id" AND r.escalation_id = "escalations"."id" AND r.role = 'reviewer')`,
};
type SummaryRow = Pick<EscalationRow, Exclude<keyof typeof summaryColumns, "decisions">> & { decisions: number };

const isActive = (status: string) => (ACTIVE_STATUSES as readonly string[]).includes(status);

/** A claim is live while it has not expired and the escalation still waits on people. */
export const claimIsLive = (row: Pick<EscalationRow, "status" | "claimedBy" | "claimExpiresAt">, now: number): boolean =>
  isActive(row.status) && row.claimedBy !== null && row.claimExpiresAt !== null && row.claimExpiresAt > now;

/**
 * Whether a live claim keeps others from deciding: with one reviewer (the claimer decides alone)
 * and for a dispute (one adjudicator at a time). With several reviewers every one of them
 * decides anyway, so a claim only says who is looking.
 */
export const claimIsExclusive = (row: { status: string; reviewersRequired: number }): boolean => row.reviewersRequired === 1 || row.status === "disputed";

/** Who is asking, as the queue needs it: their groups decide what they see. */
export interface Viewer {
  /** Null for an API key. */
  userId: string | null;
  role: Role | null;
  /** The review groups the user belongs to. */
  groups: readonly string[];
}

/** Admins, leads, analysts and scripts see every group's items; a reviewer sees ungrouped items and their groups'. */
export const seesEveryGroup = (v: Viewer): boolean => v.role !== "reviewer";
export const canAdjudicate = (v: Viewer): boolean => v.role === "admin" || v.role === "lead";

/** Whether an item is routed to the viewer: no group, or one of theirs, or they see every group. */
export const routedTo = (v: Viewer, reviewGroup: string | null): boolean => reviewGroup === null || seesEveryGroup(v) || v.groups.includes(reviewGroup);

function toSummary(row: SummaryRow, now: number): EscalationSummary {
  return {
    id: row.id,
    runId: row.runId,
    stepId: row.stepId,
    workflow: row.workflow,
    version: row.version,
    step: row.step,
    kind: row.kind,
    gateKinds: parseJson<GateKind[]>(row.gateKinds) ?? [],
    blocking: row.blocking,
    samplingRate: row.samplingRate,
    confidence: row.confidence,
    cumulative: row.cumulative,
    status: row.status,
    claimedBy: row.claimedBy,
    claimExpiresAt: isoOrNull(row.claimExpiresAt),
    claimLive: claimIsLive(row, now),
    createdAt: iso(row.createdAt),
    decision: row.decision as Decision | null,
    reviewerId: row.reviewerId,
    resolvedAt: isoOrNull(row.resolvedAt),
    reviewGroup: row.reviewGroup,
    reviewersRequired: row.reviewersRequired,
    decisions: Number(row.decisions),
    consensus: row.consensus,
    dueAt: isoOrNull(row.dueAt),
    onExpiry: row.onExpiry,
    resolution: row.resolution,
  };
}

export type QueueFilter = Pick<QueueQuery, "status" | "kind" | "blocking" | "workflow" | "version" | "step" | "order" | "limit" | "cursor"> &
  Partial<Pick<QueueQuery, "group" | "mine">> & {
    /** A user id (`me` already resolved by the route). */
    assignee?: string | undefined;
    /** Who asks: what they may see, and whose queue `mine` is. Omitted: everything (tests, jobs). */
    viewer?: Viewer | undefined;
  };

/** The queue's page query, unexecuted, so tests can EXPLAIN it. */
export function escalationListQuery(db: Db, projectId: string, q: QueueFilter) {
  const where = queueConditions(projectId, q);
  const c = q.cursor;
  if (c) {
    where.push(
      q.order === "oldest"
        ? sql`(${escalations.createdAt}, ${escalations.id}) > (${c.createdAt}, ${c.id})`
        : sql`(${risk}, ${escalations.createdAt}, ${escalations.id}) > (${c.risk}, ${c.createdAt}, ${c.id})`,
    );
  }
  const order = q.order === "oldest" ? [asc(escalations.createdAt), asc(escalations.id)] : [asc(risk), asc(escalations.createdAt), asc(escalations.id)];
  // One extra row says whether another page exists, so the last page has no dangling cursor.
  return db
    .select(summaryColumns)
    .from(escalations)
    .where(and(...where))
    .orderBy(...order)
    .limit(q.limit + 1);
}

/** How many items the queue `q` holds (without paging): the per-assignee "pending" counts. */
export async function countQueue(db: Db, projectId: string, q: Omit<QueueFilter, "order" | "limit" | "cursor">): Promise<number> {
  return db.$count(escalations, and(...queueConditions(projectId, q)));
}

const DAY_MS = 86_400_000;

/**
 * The queue `q`'s items counted per UTC day raised, unexecuted, so tests can EXPLAIN it. One
 * GROUP BY rather than a page: the Overview's card shows the true number however long the queue.
 */
export function queueCountQuery(db: Db, projectId: string, q: Omit<QueueFilter, "order" | "limit" | "cursor">) {
  // Inlined, not bound: the grouped and the selected expression must be the same text.
  const day = sql<number>`${escalations.createdAt} / ${sql.raw(String(DAY_MS))}`;
  return db
    .select({ day, count: sql<number>`count(*)` })
    .from(escalations)
    .where(and(...queueConditions(projectId, q)))
    .groupBy(day)
    .orderBy(day);
}

/** How many items the queue `q` holds, in all and per UTC day raised (days with none left out). */
export async function countQueueByDay(
  db: Db,
  projectId: string,
  q: Omit<QueueFilter, "order" | "limit" | "cursor">,
): Promise<{ total: number; byDay: Array<{ day: string; count: number }> }> {
  const rows = await queueCountQuery(db, projectId, q).all();
  const byDay = rows.map((r) => ({ day: new Date(Number(r.day) * DAY_MS).toISOString().slice(0, 10), count: Number(r.count) }));
  return { total: byDay.reduce((n, d) => n + d.count, 0), byDay };
}

function queueConditions(projectId: string, q: Omit<QueueFilter, "order" | "limit" | "cursor">): Array<SQL | undefined> {
  const where: Array<SQL | undefined> = [
    eq(escalations.projectId, projectId),
    q.status === "all" ? undefined : q.status === "active" ? inArray(escalations.status, [...ACTIVE_STATUSES]) : eq(escalations.status, q.status),
    q.kind === undefined ? undefined : eq(escalations.kind, q.kind),
    q.blocking === undefined ? undefined : eq(escalations.blocking, q.blocking),
    q.workflow === undefined ? undefined : eq(escalations.workflow, q.workflow),
    q.version === undefined ? undefined : eq(escalations.version, q.version),
    q.step === undefined ? undefined : eq(escalations.step, q.step),
    q.group === undefined ? undefined : eq(escalations.reviewGroup, q.group),
    q.assignee === undefined ? undefined : eq(escalations.claimedBy, q.assignee),
    // Waiting on a judge: not in anyone's queue yet.
    eq(escalations.judgePending, false),
  ];
  const v = q.viewer;
  if (v && !seesEveryGroup(v)) where.push(groupCondition(v.groups));
  if (q.mine && v?.userId) {
    // My queue: routed to me (ungrouped or my groups, whatever my role lets me read), not yet
    // decided by me, still waiting; disputes only for those who settle them.
    const statuses = canAdjudicate(v) ? [...ACTIVE_STATUSES] : ["open", "in_review"];
    where.push(inArray(escalations.status, statuses as Array<(typeof ACTIVE_STATUSES)[number]>));
    const mineCond = groupCondition(v.groups);
    where.push(canAdjudicate(v) ? or(mineCond, eq(escalations.status, "disputed")) : mineCond);
    where.push(
      sql`NOT EXISTS (SELECT 1 FROM reviews r WHERE r.project_id = "escalations"."project_id" AND r.escalation_id = "escalations"."id" AND r.actor = ${`user:${v.userId}`})`,
    );
  }
  return where;
}

/**
 * One page of the queue. `oldest`: by creation; `riskiest`: lowest cumulative confidence first
 * (unknown last), then oldest. Keyset paging on the full sort key, so items never repeat or
 * go missing between pages while the queue changes.
 */
export async function listEscalations(
  db: Db,
  projectId: string,
  q: QueueFilter,
  now: number,
): Promise<{ items: EscalationSummary[]; next: QueueCursor | null }> {
  const rows = await escalationListQuery(db, projectId, q).all();
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const next = rows.length > q.limit && last ? { order: q.order, risk: last.cumulative ?? UNKNOWN_RISK, createdAt: last.createdAt, id: last.id } : null;
  return { items: page.map((r) => toSummary(r, now)), next };
}

export async function getEscalationSummary(db: Db, projectId: string, id: string, now: number): Promise<EscalationSummary | null> {
  const row = await db
    .select(summaryColumns)
    .from(escalations)
    .where(and(eq(escalations.projectId, projectId), eq(escalations.id, id)))
    .get();
  return row ? toSummary(row, now) : null;
}

const groupCondition = (groups: readonly string[]): SQL =>
  groups.length === 0 ? isNull(escalations.reviewGroup) : or(isNull(escalations.reviewGroup), inArray(escalations.reviewGroup, [...groups]))!;

/** What the detail view needs beyond the summary; the reviews and permissions are added by the caller. */
export type EscalationRecord = Omit<EscalationDetail, "contract" | "reviews" | "myReview" | "canDecide" | "canAdjudicate"> & {
  /** Known-answer items: the escalation whose settled answer this is. Never on the wire for reviewers. */
  knownAnswerOf: string | null;
  judgePending: boolean;
};

/** The whole escalation, packet included. */
export async function getEscalation(db: Db, projectId: string, id: string, now: number): Promise<EscalationRecord | null> {
  const row = await db
    .select({
      ...summaryColumns,
      packet: escalations.packet,
      correctedOutput: escalations.correctedOutput,
      reason: escalations.reason,
      resumedAt: escalations.resumedAt,
      resumedBy: escalations.resumedBy,
      knownAnswerOf: escalations.knownAnswerOf,
      judgePending: escalations.judgePending,
    })
    .from(escalations)
    .where(and(eq(escalations.projectId, projectId), eq(escalations.id, id)))
    .get();
  if (!row) return null;
  const packet = parseJson<EscalationPacket>(row.packet)!;
  return {
    knownAnswerOf: row.knownAnswerOf,
    judgePending: row.judgePending,
    ...toSummary(row, now),
    packet,
    correctedOutput: parseJson(row.correctedOutput),
    reason: row.reason,
    alternative: packet.review?.alternative ?? null,
    resumedAt: isoOrNull(row.resumedAt),
    resumedBy: row.resumedBy,
  };
}

/** The output contract the SDK reported for a step of a workflow version, as stored JSON text. */
export async function getContract(
  db: Db,
  projectId: string,
  key: { workflow: string; version: string; step: string },
): Promise<{ jsonSchema: string; vendor: string | null } | null> {
  const row = await db
    .select({ jsonSchema: contracts.jsonSchema, vendor: contracts.vendor })
    .from(contracts)
    .where(and(eq(contracts.projectId, projectId), eq(contracts.workflow, key.workflow), eq(contracts.version, key.version), eq(contracts.step, key.step)))
    .get();
  return row ?? null;
}

/** Why a claim or a decision was refused; `held` carries the live claim that blocks it. */
export type Refusal =
  | { status: "not_found" }
  | { status: "resolved" }
  | { status: "expired" }
  /** Reviewers disagreed: only an adjudicator acts on it now. */
  | { status: "disputed" }
  /** Not disputed: there is nothing to adjudicate. */
  | { status: "not_disputed" }
  /** The caller already decided it; each reviewer decides once. */
  | { status: "already_decided" }
  /** Waiting on its judge: people see it once the judge has answered (or timed out). */
  | { status: "awaiting_judge" }
  | { status: "held"; claimedBy: string; claimExpiresAt: number };

export type ClaimOutcome = { status: "claimed"; claimedBy: string; claimExpiresAt: number } | Refusal;

/**
 * Claims an escalation still waiting on people for `ttlMs`: free, expired, or already the user's
 * (which extends it). With several reviewers a claim says who is looking without keeping others
 * out; a reviewer who has decided has nothing left to claim. A disputed item is claimed by its
 * adjudicator (`adjudicator`: the caller may settle disputes).
 */
export async function claimEscalation(
  client: Client,
  input: { projectId: string; id: string; userId: string; now: number; ttlMs: number; adjudicator?: boolean },
): Promise<ClaimOutcome> {
  return withWriteLock<ClaimOutcome>(client, async (tx) => {
    const rs = await tx.execute({
      sql: `SELECT status, claimed_by, claim_expires_at, reviewers_required, run_id, judge_pending,
              EXISTS (SELECT 1 FROM reviews r WHERE r.project_id = e.project_id AND r.escalation_id = e.id AND r.actor = ?) AS decided
            FROM escalations e WHERE project_id = ? AND id = ?`,
      args: [`user:${input.userId}`, input.projectId, input.id],
    });
    const r = rs.rows[0];
    if (!r) return { commit: false, value: { status: "not_found" } };
    const status = String(r.status);
    if (status === "resolved" || status === "expired") return { commit: false, value: { status } };
    if (Number(r.judge_pending) === 1) return { commit: false, value: { status: "awaiting_judge" } };
    if (status === "disputed" && !input.adjudicator) return { commit: false, value: { status: "disputed" } };
    if (status !== "disputed" && Number(r.decided) === 1) return { commit: false, value: { status: "already_decided" } };
    const claimedBy = r.claimed_by === null ? null : String(r.claimed_by);
    const expires = r.claim_expires_at === null ? null : Number(r.claim_expires_at);
    if (
      claimIsExclusive({ status, reviewersRequired: Number(r.reviewers_required) }) &&
      claimedBy !== null &&
      claimedBy !== input.userId &&
      expires !== null &&
      expires > input.now
    ) {
      return { commit: false, value: { status: "held", claimedBy, claimExpiresAt: expires } };
    }
    const expiresAt = input.now + input.ttlMs;
    await tx.execute({
      sql: "UPDATE escalations SET claimed_by = ?, claim_expires_at = ? WHERE project_id = ? AND id = ?",
      args: [input.userId, expiresAt, input.projectId, input.id],
    });
    await appendAudit(tx, input.projectId, [
      {
        time: input.now,
        actor: `user:${input.userId}`,
        action: "escalation.claimed",
        subject: `escalation:${input.id}`,
        runId: String(r.run_id),
        payload: { claimExpiresAt: expiresAt },
      },
    ]);
    return { commit: true, value: { status: "claimed", claimedBy: input.userId, claimExpiresAt: expiresAt } };
  });
}
