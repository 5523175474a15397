import type { Decision } from "@seamtrace/sdk";
import { and, asc, eq } from "drizzle-orm";
import type { ReviewView } from "./contract.js";
import type { Db } from "../../platform/db/client.js";
import { reviews } from "./schema.js";
import { iso, parseJson } from "../../platform/db/json.js";

/** Individual decisions, read for the detail view (the writes are decision-store.ts and settle.ts). */

/** More decisions than one escalation can collect (reviewers ≤ 25, one adjudication, one judge). */
const MAX_REVIEWS_PER_ESCALATION = 100;

export function reviewView(r: typeof reviews.$inferSelect): ReviewView {
  return {
    id: r.id,
    escalationId: r.escalationId,
    role: r.role,
    actor: r.actor,
    decision: r.decision as Decision,
    correctedOutput: parseJson(r.correctedOutput),
    reason: r.reason,
    alternative: r.alternative,
    confidence: r.confidence,
    overrode: parseJson<string[]>(r.overrode),
    createdAt: iso(r.createdAt),
  };
}

/** An escalation's decisions, oldest first. */
export async function listEscalationReviews(db: Db, projectId: string, escalationId: string): Promise<ReviewView[]> {
  const rows = await db
    .select()
    .from(reviews)
    .where(and(eq(reviews.projectId, projectId), eq(reviews.escalationId, escalationId)))
    .orderBy(asc(reviews.createdAt), asc(reviews.id))
    .limit(MAX_REVIEWS_PER_ESCALATION)
    .all();
  return rows.map(reviewView);
}

export async function getReview(db: Db, projectId: string, id: string): Promise<ReviewView | null> {
  const row = await db
    .select()
    .from(reviews)
    .where(and(eq(reviews.projectId, projectId), eq(reviews.id, id)))
    .get();
  return row ? reviewView(row) : null;
}
