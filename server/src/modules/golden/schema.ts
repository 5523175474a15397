import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * Results of `seamtrace golden run` sent to the server: the summary and regressions as
 * sent, plus the figures the list shows, in columns so listing never parses the JSON.
 */
export const goldenResults = sqliteTable(
  "golden_results",
  {
    projectId: text("project_id").notNull(),
    /** UUIDv7. */
    id: text("id").notNull(),
    set: text("set").notNull(),
    setVersion: text("set_version").notNull(),
    workflow: text("workflow").notNull(),
    version: text("version").notNull(),
    startedAt: integer("started_at").notNull(),
    finishedAt: integer("finished_at").notNull(),
    cases: integer("cases").notNull(),
    endToEndAccuracy: real("end_to_end_accuracy"),
    escalationRate: real("escalation_rate").notNull(),
    regressionCount: integer("regression_count").notNull(),
    baselineVersion: text("baseline_version"),
    /** JSON: GoldenSummary. */
    summary: text("summary").notNull(),
    /** JSON: Regression[]. */
    regressions: text("regressions").notNull(),
    /** JSON: the case-by-case comparison with the baseline, as sent (case changes capped); null when there was none. */
    comparison: text("comparison"),
    /** Who sent it: `sdk:<key id>` or `user:<id>`. */
    actor: text("actor").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.id] }),
    // The list is newest first, whole or by workflow or set; the id breaks ties for the cursor.
    index("golden_results_time_idx").on(t.projectId, t.createdAt, t.id),
    index("golden_results_workflow_idx").on(t.projectId, t.workflow, t.createdAt, t.id),
    index("golden_results_set_idx").on(t.projectId, t.set, t.createdAt, t.id),
  ],
);

/**
 * Golden cases made from reviewed escalations ("add to golden set"): each row is one case of
 * the golden set file format, kept as its canonical JSON line so the set streams out as stored.
 */
export const goldenCases = sqliteTable(
  "golden_cases",
  {
    projectId: text("project_id").notNull(),
    /** UUIDv7. */
    id: text("id").notNull(),
    set: text("set").notNull(),
    /** The case's id inside the set. */
    caseId: text("case_id").notNull(),
    escalationId: text("escalation_id").notNull(),
    runId: text("run_id").notNull(),
    /** JSON: { id, input, expected, tags }, one line of the set file. */
    body: text("body").notNull(),
    actor: text("actor").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.id] }),
    // One case per escalation per set (409 duplicate), and case ids unique within a set.
    uniqueIndex("golden_cases_escalation_idx").on(t.projectId, t.set, t.escalationId),
    uniqueIndex("golden_cases_case_idx").on(t.projectId, t.set, t.caseId),
    // A set streams out in the order its cases were added.
    index("golden_cases_set_time_idx").on(t.projectId, t.set, t.createdAt, t.id),
  ],
);
