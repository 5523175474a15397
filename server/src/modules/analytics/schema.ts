import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Analytics: incremental rollups the jobs read instead of events, and what the jobs
// derive from them. Rollups are keyed by hour, so a job's cost follows the window it reads, never
// the age of the store.

/**
 * One row per project × workflow × version × step × hour (UTC, the hour's start in ms). Step ""
 * is the workflow as a whole: counts over all its steps, and the cumulative confidence (the
 * chance the output and everything upstream of it is right) for end-to-end calibration.
 * Folded in by the rollup job from the event log and the labels, each behind its own cursor.
 */
export const rollupHours = sqliteTable(
  "rollup_hours",
  {
    projectId: text("project_id").notNull(),
    workflow: text("workflow").notNull(),
    version: text("version").notNull(),
    step: text("step").notNull(),
    hour: integer("hour").notNull(),
    /** Model outputs (step events whose source is not `human`). */
    steps: integer("steps").notNull(),
    failed: integer("failed").notNull(),
    /** Reviewer outputs reported by resumed runs: not model outputs, so outside calibration. */
    human: integer("human").notNull(),
    escalated: integer("escalated").notNull(),
    flagged: integer("flagged").notNull(),
    spotChecks: integer("spot_checks").notNull(),
    /** Passed their gates and went on without any review. */
    auto: integer("auto").notNull(),
    /** Completed model outputs that gave no confidence: in `steps`, never in a confidence bin. */
    unscored: integer("unscored").notNull().default(0),
    /** JSON number[20]: outputs per confidence bin (own confidence; cumulative on the "" row). */
    confidence: text("confidence").notNull(),
    /** JSON { group: { bin: [n, ny, w, w2, wc, wc2, wy, wcy] } }, groups spot / review / other. */
    labels: text("labels").notNull(),
    /** JSON { bucket: count }: the log-bucket latency histogram (analytics/latency.ts). */
    latency: text("latency").notNull(),
    /** JSON { series: { h: number[], v: number[] } }: bottom-k samples for KS and quantile bins. */
    samples: text("samples").notNull(),
    /** JSON { series: { category: count } }: categorical outputs and features. */
    categories: text("categories").notNull(),
    /** JSON { confidenceSource: count }: how the outputs' confidences were obtained (`unknown` when not said). */
    sources: text("sources").notNull().default("{}"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.workflow, t.version, t.step, t.hour] }),
    // Jobs read a window of hours across every project; the query API one project's window.
    index("rollup_hours_hour_idx").on(t.hour),
    // With the series' names, so listing a project's series in a window reads this index alone:
    // looking each row up in the table cost more the larger the rows' samples (scale.test.ts).
    index("rollup_hours_project_idx").on(t.projectId, t.hour, t.workflow, t.version, t.step),
    // One series' window without a version (the query API's usual read): without it SQLite took
    // rollup_hours_project_idx and looked up every series of the project in the window.
    index("rollup_hours_series_idx").on(t.projectId, t.workflow, t.step, t.hour),
  ],
);

/**
 * The label each step's rollups currently count, so a later label for the same step (a
 * correction, late feedback) replaces its contribution instead of adding a second one.
 */
export const rollupLabels = sqliteTable(
  "rollup_labels",
  {
    projectId: text("project_id").notNull(),
    stepId: text("step_id").notNull(),
    /** The labels row (rowid) applied. */
    labelSeq: integer("label_seq").notNull(),
    workflow: text("workflow").notNull(),
    version: text("version").notNull(),
    step: text("step").notNull(),
    hour: integer("hour").notNull(),
    grp: text("grp", { enum: ["spot", "review", "other"] }).notNull(),
    confidence: real("confidence").notNull(),
    cumulative: real("cumulative"),
    correct: integer("correct", { mode: "boolean" }).notNull(),
    weight: real("weight").notNull(),
    /**
     * The probability that this output was labelled at all: its spot check's sampling rate, 1
     * for escalations (every one is queued), null for labels outside any sampling design
     * (golden, feedback). `weight` is its inverse.
     */
    inclusion: real("inclusion"),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.stepId] }),
    // The calibration job reads a series' labels one by one for the adaptive (equal-mass) error.
    index("rollup_labels_series_idx").on(t.projectId, t.workflow, t.version, t.step, t.hour),
  ],
);

/**
 * Values the jobs computed for a series (workflow × version × step) at the end of a window:
 * calibration scores, escalation rates, drift. The alerts job reads the latest; the query API
 * serves them as trends. `details` holds the whole computation (bins, tests, p-values).
 */
export const metrics = sqliteTable(
  "metrics",
  {
    projectId: text("project_id").notNull(),
    metric: text("metric").notNull(),
    workflow: text("workflow").notNull(),
    version: text("version").notNull(),
    step: text("step").notNull(),
    /** Window end (an hour boundary, ms). */
    at: integer("at").notNull(),
    value: real("value"),
    details: text("details"),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.metric, t.workflow, t.version, t.step, t.at] }),
    // The alerts job reads each metric's newest values; trends read one metric over a window.
    index("metrics_at_idx").on(t.at),
    index("metrics_metric_idx").on(t.projectId, t.metric, t.at),
  ],
);

/** Alert rules an admin stores: "metric op threshold", optionally for one workflow or step. */
export const alertRules = sqliteTable(
  "alert_rules",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    name: text("name").notNull(),
    metric: text("metric").notNull(),
    workflow: text("workflow"),
    step: text("step"),
    op: text("op", { enum: [">", ">=", "<", "<="] }).notNull(),
    threshold: real("threshold").notNull(),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    disabledAt: integer("disabled_at"),
  },
  (t) => [index("alert_rules_project_idx").on(t.projectId)],
);

/** An alert: a rule crossed by one series; `firing` until the metric recovers. */
export const alerts = sqliteTable(
  "alerts",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    /** An alert_rules id, or `builtin:drift` (drift level "alert"). */
    ruleId: text("rule_id").notNull(),
    metric: text("metric").notNull(),
    workflow: text("workflow").notNull(),
    version: text("version").notNull(),
    step: text("step").notNull(),
    status: text("status", { enum: ["firing", "resolved"] }).notNull(),
    /** The value that fired it, and the latest value seen. */
    value: real("value"),
    lastValue: real("last_value"),
    threshold: real("threshold"),
    /** What crossed, in words: the workflow, step and feature and the figures past their cut-offs. */
    message: text("message"),
    /** JSON: the same as data (for drift, the series that crossed with their figures). */
    details: text("details"),
    firedAt: integer("fired_at").notNull(),
    resolvedAt: integer("resolved_at"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("alerts_project_idx").on(t.projectId, t.firedAt),
    // At most one firing alert per rule and series: the alerts job re-evaluates idempotently.
    uniqueIndex("alerts_open_idx").on(t.projectId, t.ruleId, t.metric, t.workflow, t.version, t.step).where(sql`${t.status} = 'firing'`),
  ],
);

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
    unscored: integer("unscored").notNull().default(0),
    /** The same JSON forms as rollup_hours, summed over the day's hours. */
    confidence: text("confidence").notNull(),
    labels: text("labels").notNull(),
    latency: text("latency").notNull(),
    sources: text("sources").notNull().default("{}"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.workflow, t.version, t.step, t.day] }),
    // The query API's usual read names no version: one range of this index, not every series of the project.
    index("rollup_days_series_idx").on(t.projectId, t.workflow, t.step, t.day),
  ],
);
