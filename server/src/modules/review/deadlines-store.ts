import type { Client, Transaction } from "@libsql/client";
import { appendAudit } from "../audit/store.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { announce } from "./announcements.js";
import { ESCALATION_ROW_COLUMNS, escalationRow, type EscalationRow } from "./escalation-row.js";
import { settle } from "./settle.js";

/**
 * Deadlines: `review.due` once an item is past half its deadline, and at the deadline the
 * policy's `onExpiry`: `reject` (the run fails), `accept-flagged` (the run goes on with the
 * model's output, marked flagged, and no label is written: nobody checked it), or `reassign`
 * (claims are dropped, the deadline restarts, and whoever is free picks it up).
 */

/** Items handled per transaction: a backlog is worked through in several, never one huge one. */
export const DEADLINE_BATCH = 200;

export interface DeadlineCounts {
  due: number;
  rejected: number;
  acceptedFlagged: number;
  reassigned: number;
}

const ACTIVE = "status IN ('open', 'in_review', 'disputed')";
/** When an item is past half its deadline. */
export const HALF_WAY = "(due_at - coalesce(review_by_ms, due_at - created_at) / 2)";

/** Sends `review.due` for items past half their deadline not yet told about; returns how many. */
export async function notifyDue(client: Client, now: number, fence: (tx: Transaction) => Promise<void>): Promise<number> {
  return withWriteLock(client, async (tx) => {
    // Through escalations_due_idx (active items with a deadline). Half-way: half a period before the
    // deadline (a restarted deadline has a full period again).
    const rs = await tx.execute({
      sql: `SELECT ${ESCALATION_ROW_COLUMNS} FROM escalations
            WHERE due_at IS NOT NULL AND ${ACTIVE} AND due_notified_at IS NULL AND judge_pending = 0 AND ${HALF_WAY} <= ?
            ORDER BY due_at LIMIT ?`,
      args: [now, DEADLINE_BATCH],
    });
    for (const r of rs.rows) {
      const e = escalationRow(r);
      await tx.execute({ sql: "UPDATE escalations SET due_notified_at = ? WHERE project_id = ? AND id = ?", args: [now, e.projectId, e.id] });
      for (const stmt of announce(e, "review.due", { status: e.status, claimedBy: e.claimedBy, onExpiry: e.onExpiry }, now)) await tx.execute(stmt);
    }
    await fence(tx);
    return { commit: rs.rows.length > 0, value: rs.rows.length };
  });
}

/** Applies `onExpiry` to one batch of items past their deadline; returns the counts (all zero: nothing left). */
export async function expireDue(client: Client, now: number, actor: string, fence: (tx: Transaction) => Promise<void>): Promise<DeadlineCounts> {
  return withWriteLock(client, async (tx) => {
    const rs = await tx.execute({
      sql: `SELECT ${ESCALATION_ROW_COLUMNS} FROM escalations WHERE due_at IS NOT NULL AND ${ACTIVE} AND due_at <= ? AND judge_pending = 0 ORDER BY due_at LIMIT ?`,
      args: [now, DEADLINE_BATCH],
    });
    const counts: DeadlineCounts = { due: 0, rejected: 0, acceptedFlagged: 0, reassigned: 0 };
    for (const r of rs.rows) {
      const e = escalationRow(r);
      const action = e.onExpiry ?? "reassign";
      await expireOne(tx, e, action, now, actor);
      if (action === "reject") counts.rejected++;
      else if (action === "accept-flagged") counts.acceptedFlagged++;
      else counts.reassigned++;
    }
    await fence(tx);
    return { commit: rs.rows.length > 0, value: counts };
  });
}

async function expireOne(tx: Transaction, e: EscalationRow, action: "reject" | "accept-flagged" | "reassign", now: number, actor: string): Promise<void> {
  const deadline = new Date(e.dueAt!).toISOString();
  let nextDueAt: number | null = null;
  if (action === "reassign") {
    // The deadline restarts from now; a restart that would land in the past (a job long stopped) still gives a full period.
    nextDueAt = now + (e.reviewBy ?? Math.max(e.dueAt! - e.createdAt, 60_000));
    await tx.execute({
      sql: `UPDATE escalations SET claimed_by = NULL, claim_expires_at = NULL, due_at = ?, due_notified_at = NULL, reassignments = reassignments + 1
            WHERE project_id = ? AND id = ?`,
      args: [nextDueAt, e.projectId, e.id],
    });
  }
  await appendAudit(tx, e.projectId, [
    {
      time: now,
      actor,
      action: "escalation.expired",
      subject: `escalation:${e.id}`,
      runId: e.runId,
      payload: {
        escalationId: e.id,
        onExpiry: action,
        deadline,
        status: e.status,
        claimedBy: e.claimedBy,
        nextDueAt: nextDueAt === null ? null : new Date(nextDueAt).toISOString(),
      },
    },
  ]);
  for (const stmt of announce(
    e,
    "review.expired",
    { onExpiry: action, deadline, status: e.status, nextDueAt: nextDueAt === null ? null : new Date(nextDueAt).toISOString() },
    now,
  )) {
    await tx.execute(stmt);
  }
  if (action === "reassign") return;
  const reject = action === "reject";
  await settle(tx, e, {
    decision: reject ? "reject" : "accept",
    correctedText: null,
    reason: reject
      ? `no decision by the deadline (${deadline}); the policy rejects`
      : `no decision by the deadline (${deadline}); the policy accepts it flagged`,
    alternative: null,
    reviewerId: null,
    actor,
    resolution: "expired",
    reviewIds: [],
    now,
  });
}
