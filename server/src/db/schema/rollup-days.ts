import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The hourly rollups (rollup_hours) summed per UTC day, without the drift samples and
 * categories: what the query API reads for the whole days of a window (store/rollups.ts
 * readRollupsByDay), so a 7-day answer reads 7 rows per series instead of 168. The labelled bins
 * and histograms of a row are bounded but fill up with traffic, and parsing them was what made
 * those answers slower on a busier store (test/reliability/scale.test.ts). Kept by the rollup job
 * in the transaction that writes the hourly rows, from the same deltas.
 */
export const rollupDays = sqliteTable(
  "rollup_days",
  {
    projectId: text("project_id").notNull(),
    workflow: text("workflow").notNull(),
    version: text("version").notNull(),
    /** "" for the workflow as a whole, as in rollup_hours. */
    step: text("step").notNull(),
    /** The UTC day's start in ms. */
    day: integer("day").notNull(),
    steps: integer("steps").notNull(),
    failed: integer("failed").notNull(),
    human: integer("human").notNull(),
    escalated: integer("escalated").notNull(),
    flagged: integer("flagged").notNull(),
    spotChecks: integer("spot_checks").notNull(),
    auto: integer("auto").notNull(),
    /** The same JSON forms as rollup_hours, summed over the day's hours. */
    confidence: text("confidence").notNull(),
    labels: text("labels").notNull(),
    latency: text("latency").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.workflow, t.version, t.step, t.day] }),
    // The query API's usual read names no version: one range of this index, not every series of the project.
    index("rollup_days_series_idx").on(t.projectId, t.workflow, t.step, t.day),
  ],
);
