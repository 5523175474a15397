import type { Client, Transaction } from "@libsql/client";
import { uuidv7, type Decision, type GateKind } from "@seamtrace/sdk";
import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import type {
  EscalationDetail,
  EscalationPacket,
  EscalationSummary,
  QueueCursor,
  QueueQuery,
} from "./contract.js";
import type { Db } from "../../platform/db/client.js";
import { contracts } from "../policies/schema.js";
import { escalations } from "./schema.js";
import { enqueueWebhookStatement } from "../webhooks/store.js";
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
};
type SummaryRow = Pick<EscalationRow, keyof typeof summaryColumns>;

/** A claim holds others off while it has not expired and the escalation is still open. */
export const claimIsLive = (row: Pick<EscalationRow, "status" | "claimedBy" | "claimExpiresAt">, now: number): boolean =>
  row.status === "open" && row.claimedBy !== null && row.claimExpiresAt !== null && row.claimExpiresAt > now;

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
  };
}

export type QueueFilter = Pick<QueueQuery, "status" | "kind" | "blocking" | "workflow" | "version" | "step" | "order" | "limit" | "cursor">;

/** The queue's page query, unexecuted, so tests can EXPLAIN it. */
export function escalationListQuery(db: Db, projectId: string, q: QueueFilter) {
  const where: Array<SQL | undefined> = [
    eq(escalations.projectId, projectId),
    q.status === "all" ? undefined : eq(escalations.status, q.status),
    q.kind === undefined ? undefined : eq(escalations.kind, q.kind),
    q.blocking === undefined ? undefined : eq(escalations.blocking, q.blocking),
    q.workflow === undefined ? undefined : eq(escalations.workflow, q.workflow),
    q.version === undefined ? undefined : eq(escalations.version, q.version),
    q.step === undefined ? undefined : eq(escalations.step, q.step),
  ];
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

/**
 * One page of the queue. `oldest`: by creation; `riskiest`: lowest cumulative confidence first
 * (unknown last), then oldest. Keyset paging on the full sort key, so items never repeat or
 * go missing between pages while the queue changes.
 */
export async function listEscalations(db: Db, projectId: string, q: QueueFilter, now: number): Promise<{ items: EscalationSummary[]; next: QueueCursor | null }> {
  const rows = await escalationListQuery(db, projectId, q).all();
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const next =
    rows.length > q.limit && last
      ? { order: q.order, risk: last.cumulative ?? UNKNOWN_RISK, createdAt: last.createdAt, id: last.id }
      : null;
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

/** The whole escalation, packet included; `contract` is filled in by the caller. */
export async function getEscalation(db: Db, projectId: string, id: string, now: number): Promise<Omit<EscalationDetail, "contract"> | null> {
  const row = await db
    .select()
    .from(escalations)
    .where(and(eq(escalations.projectId, projectId), eq(escalations.id, id)))
    .get();
  if (!row) return null;
  const packet = parseJson<EscalationPacket>(row.packet)!;
  return {
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
    .where(
      and(eq(contracts.projectId, projectId), eq(contracts.workflow, key.workflow), eq(contracts.version, key.version), eq(contracts.step, key.step)),
    )
    .get();
  return row ?? null;
}

/** Why a claim or a decision was refused; `held` carries the live claim that blocks it. */
export type Refusal =
  | { status: "not_found" }
  | { status: "resolved" }
  | { status: "held"; claimedBy: string; claimExpiresAt: number };

async function refusal(
  tx: Transaction,
  projectId: string,
  id: string,
  userId: string,
  now: number,
): Promise<Refusal | null> {
  const rs = await tx.execute({
    sql: "SELECT status, claimed_by, claim_expires_at FROM escalations WHERE project_id = ? AND id = ?",
    args: [projectId, id],
  });
  const r = rs.rows[0];
  if (!r) return { status: "not_found" };
  if (r.status === "resolved") return { status: "resolved" };
  const claimedBy = r.claimed_by === null ? null : String(r.claimed_by);
  const expires = r.claim_expires_at === null ? null : Number(r.claim_expires_at);
  if (claimedBy !== null && claimedBy !== userId && expires !== null && expires > now) {
    return { status: "held", claimedBy, claimExpiresAt: expires };
  }
  return null;
}

export type ClaimOutcome = { status: "claimed"; claimedBy: string; claimExpiresAt: number } | Refusal;
export type DecisionOutcome = { status: "decided"; labelId: string } | Refusal;

/**
 * Claims an open escalation for `ttlMs`: free, expired, or already the user's (which extends it).
 */
export async function claimEscalation(
  client: Client,
  input: { projectId: string; id: string; userId: string; now: number; ttlMs: number },
): Promise<ClaimOutcome> {
  return withWriteLock<ClaimOutcome>(client, async (tx) => {
    const refused = await refusal(tx, input.projectId, input.id, input.userId, input.now);
    if (refused) return { commit: false, value: refused };
    const expiresAt = input.now + input.ttlMs;
    await tx.execute({
      sql: "UPDATE escalations SET claimed_by = ?, claim_expires_at = ? WHERE project_id = ? AND id = ? AND status = 'open'",
      args: [input.userId, expiresAt, input.projectId, input.id],
    });
    const run = await tx.execute({ sql: "SELECT run_id FROM escalations WHERE project_id = ? AND id = ?", args: [input.projectId, input.id] });
    await appendAudit(tx, input.projectId, [
      {
        time: input.now, actor: `user:${input.userId}`, action: "escalation.claimed", subject: `escalation:${input.id}`,
        runId: String(run.rows[0]![0]), payload: { claimExpiresAt: expiresAt },
      },
    ]);
    return { commit: true, value: { status: "claimed", claimedBy: input.userId, claimExpiresAt: expiresAt } };
  });
}

export interface DecisionInput {
  projectId: string;
  id: string;
  userId: string;
  decision: Decision;
  /** The corrected output (`correct`); ignored otherwise. */
  output?: unknown;
  reason: string;
  alternative?: number | undefined;
  now: number;
}

/**
 * Resolves an open escalation and records the decision as a label (ground truth), with its
 * `escalation.resolved` webhook, all in one transaction. The UPDATE is conditional on the
 * escalation still being open and not held by someone else's live claim: of two reviewers
 * deciding at once, exactly one changes it; the other is told why and nothing of theirs stays.
 *
 * The label: `correct` is true only for `accept`; its value is the model's output (accept), the
 * corrected output (correct), or unknown (reject); source `spot_check` for spot checks, so
 * calibration can weight them by their sampling rate, else `review`.
 */
export async function decideEscalation(client: Client, input: DecisionInput): Promise<DecisionOutcome> {
  const corrected = input.decision === "correct" ? JSON.stringify(input.output ?? null) : null;
  const alternative = input.alternative ?? null;
  const labelId = uuidv7();
  const actor = `user:${input.userId}`;
  return withWriteLock<DecisionOutcome>(client, async (tx) => {
    const updated = await tx.execute({
      sql: `UPDATE escalations SET status = 'resolved', decision = ?, corrected_output = ?, reason = ?, reviewer_id = ?, resolved_at = ?,
              packet = CASE WHEN ? IS NULL THEN packet ELSE json_set(packet, '$.review', json_object('alternative', ?)) END
            WHERE project_id = ? AND id = ? AND status = 'open'
              AND (claimed_by IS NULL OR claimed_by = ? OR claim_expires_at IS NULL OR claim_expires_at <= ?)`,
      args: [input.decision, corrected, input.reason, input.userId, input.now, alternative, alternative, input.projectId, input.id, input.userId, input.now],
    });
    if (updated.rowsAffected !== 1) {
      const refused = (await refusal(tx, input.projectId, input.id, input.userId, input.now)) ?? { status: "resolved" };
      return { commit: false, value: refused };
    }
    await tx.execute({
      sql: `INSERT INTO labels (project_id, id, run_id, step_id, workflow, version, step, source, correct, value, confidence,
              sampling_rate, escalation_id, actor, reason, created_at)
            SELECT project_id, ?, run_id, step_id, workflow, version, step,
              CASE kind WHEN 'spot_check' THEN 'spot_check' ELSE 'review' END, ?,
              CASE ? WHEN 'accept' THEN packet -> '$.output' WHEN 'correct' THEN ? ELSE NULL END,
              confidence, sampling_rate, id, ?, ?, ?
            FROM escalations WHERE project_id = ? AND id = ?`,
      args: [labelId, input.decision === "accept" ? 1 : 0, input.decision, corrected, actor, input.reason, input.now, input.projectId, input.id],
    });
    const rs = await tx.execute({
      sql: "SELECT run_id, step_id, workflow, version, step, kind, blocking FROM escalations WHERE project_id = ? AND id = ?",
      args: [input.projectId, input.id],
    });
    const e = rs.rows[0]!;
    await tx.execute(
      enqueueWebhookStatement(
        input.projectId,
        "escalation.resolved",
        {
          escalationId: input.id, runId: e.run_id, stepId: e.step_id, workflow: e.workflow, version: e.version, step: e.step,
          kind: e.kind, blocking: Number(e.blocking) === 1, decision: input.decision, reviewerId: input.userId, labelId,
          resolvedAt: iso(input.now),
        },
        input.now,
      ),
    );
    // The decision record: what was decided, why, and the value the run resumes with.
    await appendAudit(tx, input.projectId, [
      {
        time: input.now, actor, action: "escalation.decided", subject: `escalation:${input.id}`, runId: String(e.run_id),
        payload: {
          escalationId: input.id, stepId: e.step_id, decision: input.decision, reason: input.reason, labelId, alternative,
          correctedOutput: input.decision === "correct" ? (input.output ?? null) : null,
        },
      },
    ]);
    return { commit: true, value: { status: "decided", labelId } };
  });
}
