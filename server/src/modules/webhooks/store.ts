import type { InStatement } from "@libsql/client";
import { uuidv7 } from "@seamtrace/sdk";
import { randomBytes } from "node:crypto";
import { and, asc, desc, eq, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { Db } from "../../platform/db/client.js";
import { webhookDeliveries, webhooks } from "./schema.js";
import { appendAudit } from "../audit/store.js";
import { execIn } from "../../platform/db/sql.js";
import { queuedWrite, withWriteLock } from "../../platform/db/write-transaction.js";

export const WEBHOOK_EVENTS = [
  "escalation.created",
  "escalation.resolved",
  "audit.checkpoint",
  "alert.fired",
  "alert.resolved",
  "threshold.changed",
  "escalation.disputed",
  "review.due",
  "review.expired",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
/** `json`: the signed JSON envelope; `slack`: a Slack-compatible `{ text }` body with a link to the review screen (signed too). */
export const WEBHOOK_FORMATS = ["json", "slack"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface WebhookView {
  id: string;
  url: string;
  events: WebhookEvent[];
  format: WebhookFormat;
  createdAt: string;
  disabledAt: string | null;
}

const view = (r: typeof webhooks.$inferSelect): WebhookView => ({
  id: r.id,
  url: r.url,
  events: JSON.parse(r.events) as WebhookEvent[],
  format: r.format,
  createdAt: new Date(r.createdAt).toISOString(),
  disabledAt: r.disabledAt === null ? null : new Date(r.disabledAt).toISOString(),
});

/** Creates a webhook; its signing secret is returned this once. */
export async function createWebhook(
  db: Db,
  input: { projectId: string; url: string; events: WebhookEvent[]; actor: string; format?: WebhookFormat | undefined },
  now = Date.now(),
): Promise<WebhookView & { secret: string }> {
  const row = {
    id: uuidv7(),
    projectId: input.projectId,
    url: input.url,
    secret: `whsec_${randomBytes(24).toString("base64url")}`,
    events: JSON.stringify([...new Set(input.events)]),
    format: input.format ?? ("json" as const),
    createdAt: now,
    disabledAt: null,
  };
  await withWriteLock(db.$client, async (tx) => {
    await execIn(tx, db.insert(webhooks).values(row));
    await appendAudit(tx, row.projectId, [
      {
        time: now,
        actor: input.actor,
        action: "webhook.created",
        subject: `webhook:${row.id}`,
        payload: { webhookId: row.id, url: row.url, events: [...new Set(input.events)], format: row.format },
      },
    ]);
    return { commit: true, value: undefined };
  });
  return { ...view(row), secret: row.secret };
}

export async function listWebhooks(db: Db, projectId: string): Promise<WebhookView[]> {
  const rows = await db.select().from(webhooks).where(eq(webhooks.projectId, projectId)).orderBy(asc(webhooks.createdAt)).limit(1000).all();
  return rows.map(view);
}

/** Disables a webhook (kept for its delivery log). False when there is no such live webhook. */
export async function disableWebhook(db: Db, projectId: string, id: string, now: number, actor: string): Promise<boolean> {
  return withWriteLock(db.$client, async (tx) => {
    const rs = await execIn(
      tx,
      db
        .update(webhooks)
        .set({ disabledAt: now })
        .where(and(eq(webhooks.projectId, projectId), eq(webhooks.id, id), isNull(webhooks.disabledAt)))
        .returning({ id: webhooks.id }),
    );
    if (rs.rows.length === 0) return { commit: false, value: false };
    await appendAudit(tx, projectId, [{ time: now, actor, action: "webhook.disabled", subject: `webhook:${id}`, payload: { webhookId: id } }]);
    return { commit: true, value: true };
  });
}

/**
 * The outbox: one statement that queues a delivery of `event` to every live webhook of the
 * project subscribed to it. Run it in the same transaction as the fact it announces, so an
 * escalation is never created or resolved without its webhook, and never announced if it rolls back.
 */
export function enqueueWebhookStatement(projectId: string, event: WebhookEvent, data: unknown, now: number): InStatement {
  const payload = JSON.stringify({ id: uuidv7(), event, createdAt: new Date(now).toISOString(), data });
  return {
    sql: `INSERT INTO webhook_deliveries (id, project_id, webhook_id, event, payload, status, attempts, next_attempt_at, created_at)
          SELECT lower(hex(randomblob(16))), w.project_id, w.id, ?, ?, 'pending', 0, ?, ?
          FROM webhooks w
          WHERE w.project_id = ? AND w.disabled_at IS NULL AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = ?)`,
    args: [event, payload, now, now, projectId, event],
  };
}

export interface DueDelivery {
  id: string;
  projectId: string;
  webhookId: string;
  url: string;
  secret: string;
  format: WebhookFormat;
  event: string;
  payload: string;
  attempts: number;
}

/** Deliveries whose next attempt is due, oldest first. */
export async function dueDeliveries(db: Db, now: number, limit: number): Promise<DueDelivery[]> {
  return db
    .select({
      id: webhookDeliveries.id,
      projectId: webhookDeliveries.projectId,
      webhookId: webhookDeliveries.webhookId,
      url: webhooks.url,
      secret: webhooks.secret,
      format: webhooks.format,
      event: webhookDeliveries.event,
      payload: webhookDeliveries.payload,
      attempts: webhookDeliveries.attempts,
    })
    .from(webhookDeliveries)
    .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
    .where(and(eq(webhookDeliveries.status, "pending"), lte(webhookDeliveries.nextAttemptAt, now), isNull(webhooks.disabledAt)))
    .orderBy(asc(webhookDeliveries.nextAttemptAt))
    .limit(limit)
    .all();
}

/** Records one attempt: delivered, retried at `nextAttemptAt`, or given up (`nextAttemptAt` null). */
export async function recordAttempt(
  db: Db,
  id: string,
  outcome: { delivered: boolean; statusCode: number | null; error: string | null; nextAttemptAt: number | null },
  now: number,
): Promise<void> {
  await queuedWrite(db.$client, () =>
    db
      .update(webhookDeliveries)
      .set({
        status: outcome.delivered ? "delivered" : outcome.nextAttemptAt === null ? "failed" : "pending",
        attempts: sql`${webhookDeliveries.attempts} + 1`,
        lastStatusCode: outcome.statusCode,
        lastError: outcome.error,
        nextAttemptAt: outcome.delivered ? null : outcome.nextAttemptAt,
        deliveredAt: outcome.delivered ? now : null,
      })
      .where(eq(webhookDeliveries.id, id)),
  );
}

export interface DeliveryView {
  id: string;
  event: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** The delivery log of one webhook, newest first, paged by (created_at, id). */
export async function listDeliveries(
  db: Db,
  projectId: string,
  webhookId: string,
  before: { createdAt: number; id: string } | null,
  limit: number,
): Promise<DeliveryView[]> {
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.projectId, projectId),
        eq(webhookDeliveries.webhookId, webhookId),
        before
          ? or(lt(webhookDeliveries.createdAt, before.createdAt), and(eq(webhookDeliveries.createdAt, before.createdAt), lt(webhookDeliveries.id, before.id)))
          : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(limit)
    .all();
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return rows.map((r) => ({
    id: r.id,
    event: r.event,
    status: r.status,
    attempts: r.attempts,
    lastStatusCode: r.lastStatusCode,
    lastError: r.lastError,
    nextAttemptAt: iso(r.nextAttemptAt),
    createdAt: new Date(r.createdAt).toISOString(),
    deliveredAt: iso(r.deliveredAt),
  }));
}
