import type { Client, InStatement, InValue, ResultSet, Transaction } from "@libsql/client";
import { CONFIDENCE_BINS } from "./maths/reliability.js";
import { DAY_MS, dayOf, dayRows, fromStored, keyString, mergeRow, toStored, type LabelGroup, type RollupKey, type RollupRow } from "./maths/rollup.js";
import { yieldToEventLoop } from "../../platform/yield.js";
import { chunks, multiRow } from "../../platform/db/sql.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { fromStoredTextOr } from "../../platform/db/stored-text.js";
import { storedIdSql } from "../../platform/db/stored-id.js";
import { projectIdSql, projectKeySql } from "../../platform/db/project-key.js";

/**
 * SQL of the rollups: reading what is new behind the rollup job's cursors, and
 * reading and writing the hourly rows. The folding itself is analytics/rollup.ts.
 */

export interface LoggedEvent {
  seq: number;
  projectId: string;
  /** The event's JSON, for step events only (the rollup skips the others unparsed). */
  body: string | null;
}

/**
 * Events after `seq`, in commit order. Every event is returned (so the cursor moves past run
 * events too), but only step events carry their body; one that does not decompress reads as none
 * and is skipped like one that does not parse. A range scan of the primary key: its
 * cost is the chunk, whatever the size of the log.
 */
export async function eventsAfter(client: Client, seq: number, limit: number): Promise<LoggedEvent[]> {
  const rs = await client.execute({
    sql: `SELECT seq, ${projectIdSql("events.project_key")}, CASE WHEN type IN ('step.completed', 'step.failed') THEN body END AS body
          FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
    args: [seq, limit],
  });
  return rs.rows.map((r) => ({ seq: Number(r[0]), projectId: String(r[1]), body: fromStoredTextOr(r[2], null) }));
}

export interface NewLabel {
  /** The labels row's rowid: the label cursor (single writer, so it grows in commit order). */
  seq: number;
  projectId: string;
  stepId: string;
  workflow: string;
  version: string;
  step: string;
  source: "review" | "spot_check" | "golden" | "feedback";
  correct: boolean | null;
  confidence: number | null;
  samplingRate: number | null;
  /** When the labelled output was produced: its escalation's time, else its step's end. */
  at: number | null;
  cumulative: number | null;
}

/**
 * Labels after `seq` (rowid), with the time and cumulative confidence of the output they label.
 * The escalation is preferred to the step row: a resumed run overwrites the step with the
 * reviewer's output (confidence 1, a later time), while the escalation keeps the model's.
 *
 * The rowid cursor assumes the newest label is never deleted (retention keeps recent rows):
 * SQLite reuses the largest rowid only after the row holding it is deleted.
 */
export async function labelsAfter(client: Client, seq: number, limit: number): Promise<NewLabel[]> {
  const rs = await client.execute({
    sql: `SELECT l.rowid AS seq, l.project_id, l.step_id, l.workflow, l.version, l.step, l.source, l.correct, l.confidence, l.sampling_rate,
            coalesce(e.created_at, s.ended_at) AS at, coalesce(e.cumulative, s.cumulative) AS cumulative
          FROM labels l
          LEFT JOIN escalations e ON e.project_id = l.project_id AND e.id = l.escalation_id
          LEFT JOIN steps s ON s.project_key = ${projectKeySql("l.project_id")} AND s.id = ${storedIdSql("l.step_id")}
          WHERE l.rowid > ? ORDER BY l.rowid LIMIT ?`,
    args: [seq, limit],
  });
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rs.rows.map((r) => ({
    seq: Number(r.seq),
    projectId: String(r.project_id),
    stepId: String(r.step_id),
    workflow: String(r.workflow),
    version: String(r.version),
    step: String(r.step),
    source: String(r.source) as NewLabel["source"],
    correct: r.correct === null ? null : Number(r.correct) === 1,
    confidence: num(r.confidence),
    samplingRate: num(r.sampling_rate),
    at: num(r.at),
    cumulative: num(r.cumulative),
  }));
}

const ROW_COLUMNS = "steps, failed, human, escalated, flagged, spot_checks, auto, unscored, confidence, labels, latency, sources, samples, categories";
const DAY_COLUMNS = "steps, failed, human, escalated, flagged, spot_checks, auto, unscored, confidence, labels, latency, sources";
const COUNT_COLUMNS = "steps, failed, human, escalated, flagged, spot_checks, auto, unscored";
const NO_CONFIDENCE = JSON.stringify(new Array<number>(CONFIDENCE_BINS).fill(0));

/** The hourly rows, and their sums per UTC day (db/schema/rollup-days.ts), keyed by `day`. */
interface RollupTable {
  name: "rollup_hours" | "rollup_days";
  time: "hour" | "day";
  columns: string;
}
const HOURS: RollupTable = { name: "rollup_hours", time: "hour", columns: ROW_COLUMNS };
const DAYS: RollupTable = { name: "rollup_days", time: "day", columns: DAY_COLUMNS };

/** The stored hourly rows for these keys (those that exist), by keyString. */
export function loadRollups(tx: Pick<Transaction, "execute">, keys: readonly RollupKey[]): Promise<Map<string, RollupRow>> {
  return loadRows(tx, HOURS, keys);
}

/** The stored daily rows for these keys (`hour` = the day's start), by keyString. */
export function loadRollupDays(tx: Pick<Transaction, "execute">, keys: readonly RollupKey[]): Promise<Map<string, RollupRow>> {
  return loadRows(tx, DAYS, keys);
}

async function loadRows(tx: Pick<Transaction, "execute">, table: RollupTable, keys: readonly RollupKey[]): Promise<Map<string, RollupRow>> {
  const out = new Map<string, RollupRow>();
  for (const part of chunks([...keys], 100)) {
    // A join on a VALUES list, not `(…) IN (VALUES …)`: SQLite matches a row-value IN on the
    // key's first four columns only and then walks every hour of the series, which made the
    // rollup's cost grow with the age of the store (measured by bench/jobs.ts).
    const { sql, args } = multiRow(
      "WITH k (p, w, v, s, h) AS (VALUES ",
      part.map((k) => [k.projectId, k.workflow, k.version, k.step, k.hour]),
      `) SELECT r.project_id, r.workflow, r.version, r.step, r.${table.time} AS hour, ${table.columns
        .split(", ")
        .map((c) => `r.${c}`)
        .join(", ")}
         FROM k CROSS JOIN ${table.name} r ON r.project_id = k.p AND r.workflow = k.w AND r.version = k.v AND r.step = k.s AND r.${table.time} = k.h`,
    );
    const rs = await tx.execute({ sql, args });
    for (const r of rs.rows) {
      const key: RollupKey = {
        projectId: String(r.project_id),
        workflow: String(r.workflow),
        version: String(r.version),
        step: String(r.step),
        hour: Number(r.hour),
      };
      out.set(keyString(key), fromStored(key, storedOf(r)));
    }
  }
  return out;
}

function storedOf(r: Record<string, unknown>) {
  return {
    steps: Number(r.steps),
    failed: Number(r.failed),
    human: Number(r.human),
    escalated: Number(r.escalated),
    flagged: Number(r.flagged),
    spotChecks: Number(r.spot_checks),
    auto: Number(r.auto),
    unscored: Number(r.unscored ?? 0),
    // Reads of the counts alone have no histograms or labels.
    confidence: r.confidence === undefined ? NO_CONFIDENCE : String(r.confidence),
    labels: r.labels === undefined ? "{}" : String(r.labels),
    latency: r.latency === undefined ? "{}" : String(r.latency),
    sources: r.sources === undefined || r.sources === null ? "{}" : String(r.sources),
    // Daily rows and light reads have none.
    samples: r.samples === undefined ? "{}" : String(r.samples),
    categories: r.categories === undefined ? "{}" : String(r.categories),
  };
}

/** Writes hourly rows whole (the job has merged them with what was stored). */
export function rollupStatements(rows: Iterable<RollupRow>, now: number): InStatement[] {
  return writeStatements(HOURS, rows, now);
}

/** Writes daily rows whole (`hour` = the day's start; samples and categories are not kept). */
export function rollupDayStatements(rows: Iterable<RollupRow>, now: number): InStatement[] {
  return writeStatements(DAYS, rows, now);
}

function writeStatements(table: RollupTable, rows: Iterable<RollupRow>, now: number): InStatement[] {
  const columns = table.columns.split(", ");
  const values: InValue[][] = [];
  for (const row of rows) {
    const s = toStored(row);
    const k = row.key;
    const stored: Record<string, InValue> = {
      steps: s.steps,
      failed: s.failed,
      human: s.human,
      escalated: s.escalated,
      flagged: s.flagged,
      spot_checks: s.spotChecks,
      auto: s.auto,
      unscored: s.unscored,
      confidence: s.confidence,
      labels: s.labels,
      latency: s.latency,
      sources: s.sources,
      samples: s.samples,
      categories: s.categories,
    };
    values.push([k.projectId, k.workflow, k.version, k.step, k.hour, ...columns.map((c) => stored[c]!), now]);
  }
  return [...chunks(values, 40)].map((part) =>
    multiRow(
      `INSERT INTO ${table.name} (project_id, workflow, version, step, ${table.time}, ${table.columns}, updated_at) VALUES `,
      part,
      ` ON CONFLICT (project_id, workflow, version, step, ${table.time}) DO UPDATE SET
          ${[...columns, "updated_at"].map((c) => `${c} = excluded.${c}`).join(", ")}`,
    ),
  );
}

/** The label a step's rollups count now. */
export interface AppliedLabel {
  projectId: string;
  stepId: string;
  labelSeq: number;
  workflow: string;
  version: string;
  step: string;
  hour: number;
  grp: LabelGroup;
  confidence: number;
  cumulative: number | null;
  correct: boolean;
  weight: number;
  /** The probability the output was labelled (its weight's inverse); null outside any sampling design. */
  inclusion: number | null;
}

export async function loadApplied(
  tx: Pick<Transaction, "execute">,
  steps: ReadonlyArray<{ projectId: string; stepId: string }>,
): Promise<Map<string, AppliedLabel>> {
  const out = new Map<string, AppliedLabel>();
  for (const part of chunks([...steps], 200)) {
    const { sql, args } = multiRow(
      `SELECT project_id, step_id, label_seq, workflow, version, step, hour, grp, confidence, cumulative, correct, weight, inclusion
       FROM rollup_labels WHERE (project_id, step_id) IN (VALUES `,
      part.map((s) => [s.projectId, s.stepId]),
      ")",
    );
    const rs = await tx.execute({ sql, args });
    for (const r of rs.rows) {
      const a: AppliedLabel = {
        projectId: String(r.project_id),
        stepId: String(r.step_id),
        labelSeq: Number(r.label_seq),
        workflow: String(r.workflow),
        version: String(r.version),
        step: String(r.step),
        hour: Number(r.hour),
        grp: String(r.grp) as LabelGroup,
        confidence: Number(r.confidence),
        cumulative: r.cumulative === null ? null : Number(r.cumulative),
        correct: Number(r.correct) === 1,
        weight: Number(r.weight),
        inclusion: r.inclusion === null || r.inclusion === undefined ? null : Number(r.inclusion),
      };
      out.set(`${a.projectId} ${a.stepId}`, a);
    }
  }
  return out;
}

export function appliedStatements(applied: Iterable<AppliedLabel>): InStatement[] {
  const values: InValue[][] = [];
  for (const a of applied) {
    values.push([
      a.projectId,
      a.stepId,
      a.labelSeq,
      a.workflow,
      a.version,
      a.step,
      a.hour,
      a.grp,
      a.confidence,
      a.cumulative,
      a.correct ? 1 : 0,
      a.weight,
      a.inclusion,
    ]);
  }
  return [...chunks(values, 80)].map((part) =>
    multiRow(
      "INSERT INTO rollup_labels (project_id, step_id, label_seq, workflow, version, step, hour, grp, confidence, cumulative, correct, weight, inclusion) VALUES ",
      part,
      ` ON CONFLICT (project_id, step_id) DO UPDATE SET label_seq = excluded.label_seq, workflow = excluded.workflow, version = excluded.version,
          step = excluded.step, hour = excluded.hour, grp = excluded.grp, confidence = excluded.confidence, cumulative = excluded.cumulative,
          correct = excluded.correct, weight = excluded.weight, inclusion = excluded.inclusion`,
    ),
  );
}

export interface RollupFilter {
  /** One project (the query API), or every project (the jobs). */
  projectId?: string | undefined;
  workflow?: string | undefined;
  version?: string | undefined;
  step?: string | undefined;
  /** Hours in [from, to). */
  from: number;
  to: number;
  /** Leave out samples and categories (the bulk of a row) when only counts, labels and histograms are needed. */
  light?: boolean;
  /**
   * Only the counts (rates): no histograms, labels or samples, whose JSON fills up with traffic
   * and would be parsed for nothing. Implies `light`.
   */
  countsOnly?: boolean;
}

/** Rollup rows of a window: as many as series × hours in it, never more. */
export async function readRollups(client: Pick<Client, "execute">, f: RollupFilter): Promise<RollupRow[]> {
  const part = selectPart(HOURS, f, f.from, f.to, f.countsOnly ? COUNT_COLUMNS : f.light ? DAY_COLUMNS : ROW_COLUMNS);
  const rs = await client.execute({ sql: `${part.sql} ORDER BY project_id, workflow, version, step, hour`, args: part.args });
  return rs.rows.map(rowOf);
}

/**
 * Light rollup rows of a window for answers that sum over it or over its UTC days (the query
 * API's totals and daily trends): a daily row per series for each whole day in the window
 * (`hour` = the day's start), hourly rows only for the partial days at its edges. So a week reads
 * at most 7 + 46 rows per series, and a month 30 + 46, instead of 24 per day; and how full each
 * row's bins and histograms are (more with more traffic) weighs on 24 times fewer rows.
 * Hour-by-hour answers need readRollups.
 */
export async function readRollupsByDay(client: Pick<Client, "execute">, f: Omit<RollupFilter, "light" | "countsOnly">): Promise<RollupRow[]> {
  const rs = await client.execute(rollupsByDayStatement(f));
  return rs.rows.map(rowOf);
}

/** The statement readRollupsByDay runs (exported for its query-plan test). */
export function rollupsByDayStatement(f: Omit<RollupFilter, "light" | "countsOnly">): { sql: string; args: InValue[] } {
  const firstDay = Math.ceil(f.from / DAY_MS) * DAY_MS;
  const lastDay = Math.floor(f.to / DAY_MS) * DAY_MS;
  const parts =
    firstDay >= lastDay
      ? [selectPart(HOURS, f, f.from, f.to, DAY_COLUMNS)]
      : [
          ...(f.from < firstDay ? [selectPart(HOURS, f, f.from, firstDay, DAY_COLUMNS)] : []),
          selectPart(DAYS, f, firstDay, lastDay, DAY_COLUMNS),
          ...(lastDay < f.to ? [selectPart(HOURS, f, lastDay, f.to, DAY_COLUMNS)] : []),
        ];
  return { sql: `${parts.map((p) => p.sql).join(" UNION ALL ")} ORDER BY project_id, workflow, version, step, hour`, args: parts.flatMap((p) => p.args) };
}

function selectPart(
  table: RollupTable,
  f: Omit<RollupFilter, "from" | "to" | "light" | "countsOnly">,
  from: number,
  to: number,
  columns: string,
): { sql: string; args: InValue[] } {
  const where = [`${table.time} >= ?`, `${table.time} < ?`];
  const args: InValue[] = [from, to];
  for (const [col, v] of [
    ["project_id", f.projectId],
    ["workflow", f.workflow],
    ["version", f.version],
    ["step", f.step],
  ] as const) {
    if (v === undefined) continue;
    where.push(`${col} = ?`);
    args.push(v);
  }
  return { sql: `SELECT project_id, workflow, version, step, ${table.time} AS hour, ${columns} FROM ${table.name} WHERE ${where.join(" AND ")}`, args };
}

function rowOf(r: Record<string, unknown>): RollupRow {
  return fromStored(
    { projectId: String(r.project_id), workflow: String(r.workflow), version: String(r.version), step: String(r.step), hour: Number(r.hour) },
    storedOf(r),
  );
}

/** Hourly rows read per statement while rebuilding the daily rows. */
const REBUILD_PAGE = 2_000;

/**
 * Recomputes the daily rows of the days from `fromDay` on out of the hourly rows, inside the
 * caller's write transaction: for a store whose hourly rows predate the daily table
 * (ensureRollupDays), or after hourly rows were deleted (bench/jobs.ts resets a window).
 * Pages through the hourly rows in key order, so memory stays a page whatever the store.
 */
export async function rebuildRollupDays(tx: Pick<Transaction, "execute" | "batch">, fromDay = 0, now = Date.now()): Promise<{ hours: number; days: number }> {
  fromDay = dayOf(fromDay);
  await tx.execute({ sql: "DELETE FROM rollup_days WHERE day >= ?", args: [fromDay] });
  let after: InValue[] | null = null;
  let hours = 0;
  const written = new Set<string>();
  for (;;) {
    const rs: ResultSet = await tx.execute({
      sql: `SELECT project_id, workflow, version, step, hour, ${DAY_COLUMNS} FROM rollup_hours
            WHERE hour >= ?${after ? " AND (project_id, workflow, version, step, hour) > (?, ?, ?, ?, ?)" : ""}
            ORDER BY project_id, workflow, version, step, hour LIMIT ${REBUILD_PAGE}`,
      args: [fromDay, ...(after ?? [])],
    });
    if (rs.rows.length === 0) break;
    hours += rs.rows.length;
    const days = dayRows(rs.rows.map(rowOf));
    // A day can straddle two pages: add to what the previous page wrote.
    const stored = await loadRollupDays(
      tx,
      [...days.values()].map((d) => d.key),
    );
    const merged = [...days].map(([k, d]) => (stored.has(k) ? mergeRow(stored.get(k)!, d) : d));
    for (const k of days.keys()) written.add(k);
    await tx.batch(rollupDayStatements(merged, now));
    const last = rs.rows[rs.rows.length - 1]!;
    after = [last.project_id, last.workflow, last.version, last.step, last.hour] as InValue[];
    if (rs.rows.length < REBUILD_PAGE) break;
    await yieldToEventLoop();
  }
  return { hours, days: written.size };
}

const DAYS_BUILT = "rollup_days";

/**
 * Fills rollup_days from rollup_hours once, for a store rolled up before the table existed
 * (called after migrations; afterwards the rollup job keeps it). A marker row in `projections`
 * says it is done; several instances starting at once serialise on the write lock.
 */
export async function ensureRollupDays(client: Client): Promise<void> {
  const done = await client.execute({ sql: "SELECT 1 FROM projections WHERE name = ?", args: [DAYS_BUILT] });
  if (done.rows.length > 0) return;
  await withWriteLock(client, async (tx) => {
    const again = await tx.execute({ sql: "SELECT 1 FROM projections WHERE name = ?", args: [DAYS_BUILT] });
    if (again.rows.length > 0) return { commit: false, value: undefined };
    await rebuildRollupDays(tx);
    await tx.execute({ sql: "INSERT INTO projections (name, position, updated_at) VALUES (?, 1, ?)", args: [DAYS_BUILT, Date.now()] });
    return { commit: true, value: undefined };
  });
}

export interface SeriesId {
  projectId: string;
  workflow: string;
  version: string;
  step: string;
}

/** The series with rollups in [from, to), across projects (the jobs) or in one. */
export async function seriesInWindow(client: Pick<Client, "execute">, from: number, to: number, projectId?: string): Promise<SeriesId[]> {
  const rs = await client.execute(seriesInWindowStatement(from, to, projectId));
  return rs.rows.map((r) => ({ projectId: String(r.project_id), workflow: String(r.workflow), version: String(r.version), step: String(r.step) }));
}

/** The statement seriesInWindow runs (exported for its query-plan test). */
export function seriesInWindowStatement(from: number, to: number, projectId?: string): { sql: string; args: InValue[] } {
  return {
    sql: `SELECT DISTINCT project_id, workflow, version, step FROM rollup_hours WHERE hour >= ? AND hour < ?${projectId === undefined ? "" : " AND project_id = ?"}
          ORDER BY project_id, workflow, version, step`,
    args: projectId === undefined ? [from, to] : [from, to, projectId],
  };
}

/** Most labelled items one read returns (the adaptive calibration error needs them one by one). */
export const MAX_LABELLED_ITEMS = 50_000;

/**
 * The labels the rollups count for one series' window, one by one, with their weights: the
 * step's own confidence, or for the workflow as a whole (step "") the cumulative confidence of
 * every labelled step. Bounded by MAX_LABELLED_ITEMS.
 */
export async function labelledItems(
  client: Pick<Client, "execute">,
  f: { projectId: string; workflow: string; version?: string | undefined; step: string; groups: readonly LabelGroup[]; from: number; to: number },
): Promise<Array<{ confidence: number; correct: boolean; weight: number }>> {
  const where = ["project_id = ?", "workflow = ?", "hour >= ?", "hour < ?", `grp IN (${f.groups.map(() => "?").join(", ")})`];
  const args: InValue[] = [f.projectId, f.workflow, f.from, f.to, ...f.groups];
  if (f.version !== undefined) where.push("version = ?"), args.push(f.version);
  if (f.step !== "") where.push("step = ?"), args.push(f.step);
  else where.push("cumulative IS NOT NULL");
  const rs = await client.execute({
    sql: `SELECT ${f.step === "" ? "cumulative" : "confidence"} AS c, correct, weight FROM rollup_labels WHERE ${where.join(" AND ")} LIMIT ?`,
    args: [...args, MAX_LABELLED_ITEMS],
  });
  return rs.rows.map((r) => ({ confidence: Number(r.c), correct: Number(r.correct) === 1, weight: Number(r.weight) }));
}
