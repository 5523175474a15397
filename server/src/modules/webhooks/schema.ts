import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

// Outgoing webhooks and their delivery log.
// Times are integer Unix milliseconds: compact, sortable, and cheap to compare in range scans.
// JSON payloads are stored as text written by the store layer (one JSON.stringify per value).

/** Outgoing webhooks (escalation.created, escalation.resolved), signed with their own secret. */
export const webhooks = sqliteTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    url: text("url").notNull(),
    secret: text("secret").notNull(),
    /** JSON array of event names it receives. */
    events: text("events").notNull(),
    /** `json`: the signed JSON envelope; `slack`: a Slack-compatible `{ text }` body (still signed). */
    format: text("format", { enum: ["json", "slack"] })
      .notNull()
      .default("json"),
    createdAt: integer("created_at").notNull(),
    disabledAt: integer("disabled_at"),
  },
  (t) => [index("webhooks_project_idx").on(t.projectId)],
);

/** Every delivery attempt of every webhook event: the delivery log, and the retry queue. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    webhookId: text("webhook_id").notNull(),
    event: text("event").notNull(),
    payload: text("payload").notNull(),
    status: text("status", { enum: ["pending", "delivered", "failed"] }).notNull(),
    attempts: integer("attempts").notNull(),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    nextAttemptAt: integer("next_attempt_at"),
    createdAt: integer("created_at").notNull(),
    deliveredAt: integer("delivered_at"),
  },
  (t) => [index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt), index("webhook_deliveries_hook_idx").on(t.webhookId, t.createdAt)],
);
