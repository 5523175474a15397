import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Runs started per project × workflow × version × hour (UTC, the hour's start in ms), kept by the
 * projector in the transaction that writes the runs (store/run-hours.ts), so `GET /v1/workflows`
 * sums at most a window's hours instead of counting every run in it: its cost follows the window
 * length, not how many runs the store holds (test/reliability/scale.test.ts).
 */
export const runHours = sqliteTable(
  "run_hours",
  {
    projectId: text("project_id").notNull(),
    workflowId: text("workflow_id").notNull(),
    version: text("version").notNull(),
    hour: integer("hour").notNull(),
    runs: integer("runs").notNull(),
    /** The latest `runs.started_at` within the hour. */
    lastRunAt: integer("last_run_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.workflowId, t.version, t.hour] }), index("run_hours_project_hour_idx").on(t.projectId, t.hour)],
);
