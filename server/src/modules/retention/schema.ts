import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Retention per workflow. No row: `full`, kept forever.
 * - `full` keeps every intermediate payload;
 * - `final` keeps, once a run has ended, its final outputs, scores and hashes, and drops the
 *   intermediate payloads (step inputs, non-final outputs, reasoning, alternatives, review packets);
 * - `ttlDays` deletes ended runs that old, whatever the mode.
 * Paused and running runs are never touched. The audit chain keeps the payloads' hashes.
 */
export const retentionPolicies = sqliteTable(
  "retention_policies",
  {
    projectId: text("project_id").notNull(),
    workflow: text("workflow").notNull(),
    mode: text("mode", { enum: ["full", "final"] }).notNull(),
    ttlDays: integer("ttl_days"),
    updatedAt: integer("updated_at").notNull(),
    updatedBy: text("updated_by").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.workflow] })],
);
