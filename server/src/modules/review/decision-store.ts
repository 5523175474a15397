import type { Client } from "@libsql/client";
import type { Decision } from "@seamtrace/sdk";
import { appendAudit } from "../audit/store.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { announce } from "./announcements.js";
import { outcomeKey, verdict } from "./consensus.js";
import { readEscalationRow, type EscalationRow } from "./escalation-row.js";
import { insertReview, reviewerVotes, settle } from "./settle.js";
import { claimIsExclusive, type Refusal } from "./store.js";

/**
 * Reviewers' decisions and adjudications. Each runs in one write transaction: the decision is
 * recorded, the consensus rule applied, and the escalation settled (label, webhook, audit) or
 * moved on (`in_review`, `disputed`) together, so two reviewers deciding at once never settle
 * an item twice and a refused decision leaves nothing behind.
 */

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

export type DecisionOutcome =
  | {
      /** `recorded`: more decisions needed; `settled`: this one settled it; `disputed`: it goes to an adjudicator. */
      status: "recorded" | "settled" | "disputed";
      reviewId: string;
      labelId: string | null;
    }
  | Refusal;

/** `adjudication`: the caller settles a dispute, so it needs one; otherwise a dispute is refused. */
function refusedFor(e: EscalationRow | null, userId: string, now: number, adjudication: boolean): Refusal | null {
  if (!e) return { status: "not_found" };
  if (e.status === "resolved" || e.status === "expired") return { status: e.status };
  if (e.judgePending) return { status: "awaiting_judge" };
  if (adjudication && e.status !== "disputed") return { status: "not_disputed" };
  if (!adjudication && e.status === "disputed") return { status: "disputed" };
  if (claimIsExclusive(e) && e.claimedBy !== null && e.claimedBy !== userId && e.claimExpiresAt !== null && e.claimExpiresAt > now) {
    return { status: "held", claimedBy: e.claimedBy, claimExpiresAt: e.claimExpiresAt };
  }
  return null;
}

/**
 * One reviewer's decision. With `reviewers: 1` it settles the escalation at once (the label
 * holds the decision: `correct` true only for `accept`; the value is the model's output, the
 * corrected output, or unknown for a reject). With N it is recorded, and once N distinct
 * reviewers have decided the consensus rule settles it or sends it to adjudication.
 */
export async function decideEscalation(client: Client, input: DecisionInput): Promise<DecisionOutcome> {
  const correctedText = input.decision === "correct" ? JSON.stringify(input.output ?? null) : null;
  const actor = `user:${input.userId}`;
  return withWriteLock<DecisionOutcome>(client, async (tx) => {
    const e = await readEscalationRow(tx, input.projectId, input.id);
    const refused = refusedFor(e, input.userId, input.now, false);
    if (refused) return { commit: false, value: refused };
    const esc = e!;
    const before = await reviewerVotes(tx, esc);
    if (before.some((v) => v.actor === actor)) return { commit: false, value: { status: "already_decided" } };

    const record = { decision: input.decision, correctedText, reason: input.reason, alternative: input.alternative ?? null, now: input.now };
    const reviewId = await insertReview(tx, esc, { role: "reviewer", actor, ...record });
    const votes = [...before, { id: reviewId, actor, output: input.output, ...record }];
    const v = verdict(votes, esc.reviewersRequired, esc.consensus);

    if (v.status === "agreed") {
      const w = votes.find((x) => x.id === v.winner.id)!;
      const labelId = await settle(tx, esc, {
        decision: w.decision,
        correctedText: w.correctedText,
        reason: w.reason,
        alternative: w.alternative,
        reviewerId: w.actor.slice("user:".length),
        actor: w.actor,
        resolution: esc.reviewersRequired === 1 ? "single" : "consensus",
        reviewIds: votes.map((x) => x.id),
        now: input.now,
      });
      if (esc.reviewersRequired > 1) await recordedAudit(tx, esc, reviewId, actor, record);
      return { commit: true, value: { status: "settled", reviewId, labelId } };
    }
    await recordedAudit(tx, esc, reviewId, actor, record);
    if (v.status === "pending") {
      // The decider's own claim is done with; others' claims stay.
      await tx.execute({
        sql: `UPDATE escalations SET status = 'in_review',
                claim_expires_at = CASE WHEN claimed_by = ? THEN NULL ELSE claim_expires_at END,
                claimed_by = CASE WHEN claimed_by = ? THEN NULL ELSE claimed_by END
              WHERE project_id = ? AND id = ?`,
        args: [input.userId, input.userId, esc.projectId, esc.id],
      });
      return { commit: true, value: { status: "recorded", reviewId, labelId: null } };
    }
    await tx.execute({
      sql: "UPDATE escalations SET status = 'disputed', claimed_by = NULL, claim_expires_at = NULL WHERE project_id = ? AND id = ?",
      args: [esc.projectId, esc.id],
    });
    const decisions = votes.map((x) => ({ reviewId: x.id, actor: x.actor, decision: x.decision }));
    for (const stmt of announce(
      esc,
      "escalation.disputed",
      { consensus: esc.consensus, decisions, disputedAt: new Date(input.now).toISOString() },
      input.now,
    )) {
      await tx.execute(stmt);
    }
    await appendAudit(tx, esc.projectId, [
      {
        time: input.now,
        actor,
        action: "escalation.disputed",
        subject: `escalation:${esc.id}`,
        runId: esc.runId,
        payload: { escalationId: esc.id, consensus: esc.consensus, reviewersRequired: esc.reviewersRequired, groups: v.groups },
      },
    ]);
    return { commit: true, value: { status: "disputed", reviewId, labelId: null } };
  });
}

/** Each of several reviewers' decisions is its own audit entry (one reviewer's is the `escalation.decided` entry). */
async function recordedAudit(
  tx: Parameters<typeof appendAudit>[0],
  e: EscalationRow,
  reviewId: string,
  actor: string,
  r: { decision: Decision; correctedText: string | null; reason: string | null; alternative: number | null; now: number },
): Promise<void> {
  await appendAudit(tx, e.projectId, [
    {
      time: r.now,
      actor,
      action: "review.recorded",
      subject: `escalation:${e.id}`,
      runId: e.runId,
      payload: {
        escalationId: e.id,
        reviewId,
        role: "reviewer",
        decision: r.decision,
        reason: r.reason,
        alternative: r.alternative,
        correctedOutput: r.correctedText === null ? null : (JSON.parse(r.correctedText) as unknown),
      },
    },
  ]);
}

/**
 * An adjudicator's decision on a disputed escalation: final, recorded with the decisions it
 * overrode (every reviewer decision with another outcome), and the one that settles the item.
 */
export async function adjudicateEscalation(client: Client, input: DecisionInput): Promise<DecisionOutcome & { overrode?: string[] }> {
  const correctedText = input.decision === "correct" ? JSON.stringify(input.output ?? null) : null;
  const actor = `user:${input.userId}`;
  return withWriteLock<DecisionOutcome & { overrode?: string[] }>(client, async (tx) => {
    const e = await readEscalationRow(tx, input.projectId, input.id);
    const refused = refusedFor(e, input.userId, input.now, true);
    if (refused) return { commit: false, value: refused };
    const esc = e!;
    const votes = await reviewerVotes(tx, esc);
    const key = outcomeKey({ decision: input.decision, output: input.output });
    const overridden = votes.filter((v) => outcomeKey(v) !== key);
    const record = { decision: input.decision, correctedText, reason: input.reason, alternative: input.alternative ?? null, now: input.now };
    const reviewId = await insertReview(tx, esc, { role: "adjudicator", actor, ...record, overrode: overridden.map((v) => v.id) });
    await appendAudit(tx, esc.projectId, [
      {
        time: input.now,
        actor,
        action: "escalation.adjudicated",
        subject: `escalation:${esc.id}`,
        runId: esc.runId,
        payload: {
          escalationId: esc.id,
          reviewId,
          decision: input.decision,
          reason: input.reason,
          correctedOutput: input.decision === "correct" ? (input.output ?? null) : null,
          overrode: overridden.map((v) => ({ reviewId: v.id, actor: v.actor, decision: v.decision, correctedOutput: v.output ?? null, reason: v.reason })),
        },
      },
    ]);
    const labelId = await settle(tx, esc, {
      ...record,
      reviewerId: input.userId,
      actor,
      resolution: "adjudicated",
      reviewIds: [...votes.map((v) => v.id), reviewId],
    });
    return { commit: true, value: { status: "settled", reviewId, labelId, overrode: overridden.map((v) => v.id) } };
  });
}
