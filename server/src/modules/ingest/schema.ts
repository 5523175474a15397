import { integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// The event log: every accepted SDK or OTLP event, as sent.
// Times are integer Unix milliseconds: compact, sortable, and cheap to compare in range scans.
// JSON payloads are stored as text written by the store layer (one JSON.stringify per value).

/**
 * Raw events as received: append-only, the durable record a 2xx acknowledges and the source
 * runs and steps are projected from. (project, event id) is the idempotency check; ids are
 * UUIDv7, so index inserts land at the right edge of the B-tree.
 */
export const events = sqliteTable(
  "events",
  {
    /** Commit order, never reused (AUTOINCREMENT): the projector's cursor. */
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    projectId: text("project_id").notNull(),
    id: text("id").notNull(),
    type: text("type").notNull(),
    runId: text("run_id"),
    time: integer("time").notNull(),
    receivedAt: integer("received_at").notNull(),
    /** The API key that sent it: the audit actor `sdk:<key id>`. */
    keyId: text("key_id").notNull(),
    body: text("body").notNull(),
  },
  (t) => [uniqueIndex("events_project_id_idx").on(t.projectId, t.id)],
);
