import type { Client, InStatement, InValue, Transaction } from "@libsql/client";
import { fromStored, keyString, toStored, type LabelGroup, type RollupKey, type RollupRow } from "../analytics/rollup.js";
import { chunks, multiRow } from "./sql.js";

/**
 * SQL of the rollups (SPEC §7): reading what is new behind the rollup job's cursors, and
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
 * events too), but only step events carry their body. A range scan of the primary key: its
 * cost is the chunk, whatever the size of the log.
 */
export async function eventsAfter(client: Client, seq: number, limit: number): Promise<LoggedEvent[]> {
  const rs = await client.execute({
    sql: `SELECT seq, project_id, CASE WHEN type IN ('step.completed', 'step.failed') THEN body END AS body
          FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
    args: [seq, limit],
  });
  return rs.rows.map((r) => ({ seq: Number(r[0]), projectId: String(r[1]), body: r[2] === null ? null : String(r[2]) }));
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
          LEFT JOIN steps s ON s.project_id = l.project_id AND s.id = l.step_id
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

const ROW_COLUMNS = "steps, failed, human, escalated, flagged, spot_checks, auto, confidence, labels, latency, samples, categories";

/** The stored rows for these keys (those that exist), by keyString. */
export async function loadRollups(tx: Pick<Transaction, "execute">, keys: readonly RollupKey[]): Promise<Map<string, RollupRow>> {
  const out = new Map<string, RollupRow>();
  for (const part of chunks([...keys], 100)) {
    // A join on a VALUES list, not `(…) IN (VALUES …)`: SQLite matches a row-value IN on the
    // key's first four columns only and then walks every hour of the series, which made the
    // rollup's cost grow with the age of the store (measured by bench/jobs.ts).
    const { sql, args } = multiRow(
      "WITH k (p, w, v, s, h) AS (VALUES ",
      part.map((k) => [k.projectId, k.workflow, k.version, k.step, k.hour]),
      `) SELECT r.project_id, r.workflow, r.version, r.step, r.hour, ${ROW_COLUMNS.split(", ").map((c) => `r.${c}`).join(", ")}
         FROM k CROSS JOIN rollup_hours r ON r.project_id = k.p AND r.workflow = k.w AND r.version = k.v AND r.step = k.s AND r.hour = k.h`,
    );
    const rs = await tx.execute({ sql, args });
    for (const r of rs.rows) {
      const key: RollupKey = { projectId: String(r.project_id), workflow: String(r.workflow), version: String(r.version), step: String(r.step), hour: Number(r.hour) };
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
    confidence: String(r.confidence),
    labels: String(r.labels),
    latency: String(r.latency),
    samples: String(r.samples),
    categories: String(r.categories),
  };
}

/** Writes rows whole (the job has merged them with what was stored). */
export function rollupStatements(rows: Iterable<RollupRow>, now: number): InStatement[] {
  const values: InValue[][] = [];
  for (const row of rows) {
    const s = toStored(row);
    const k = row.key;
    values.push([k.projectId, k.workflow, k.version, k.step, k.hour, s.steps, s.failed, s.human, s.escalated, s.flagged, s.spotChecks, s.auto,
      s.confidence, s.labels, s.latency, s.samples, s.categories, now]);
  }
  return [...chunks(values, 40)].map((part) =>
    multiRow(
      `INSERT INTO rollup_hours (project_id, workflow, version, step, hour, ${ROW_COLUMNS}, updated_at) VALUES `,
      part,
      ` ON CONFLICT (project_id, workflow, version, step, hour) DO UPDATE SET
          steps = excluded.steps, failed = excluded.failed, human = excluded.human, escalated = excluded.escalated,
          flagged = excluded.flagged, spot_checks = excluded.spot_checks, auto = excluded.auto, confidence = excluded.confidence,
          labels = excluded.labels, latency = excluded.latency, samples = excluded.samples, categories = excluded.categories,
          updated_at = excluded.updated_at`,
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
}

export async function loadApplied(tx: Pick<Transaction, "execute">, steps: ReadonlyArray<{ projectId: string; stepId: string }>): Promise<Map<string, AppliedLabel>> {
  const out = new Map<string, AppliedLabel>();
  for (const part of chunks([...steps], 200)) {
    const { sql, args } = multiRow(
      `SELECT project_id, step_id, label_seq, workflow, version, step, hour, grp, confidence, cumulative, correct, weight
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
      };
      out.set(`${a.projectId} ${a.stepId}`, a);
    }
  }
  return out;
}

export function appliedStatements(applied: Iterable<AppliedLabel>): InStatement[] {
  const values: InValue[][] = [];
  for (const a of applied) {
    values.push([a.projectId, a.stepId, a.labelSeq, a.workflow, a.version, a.step, a.hour, a.grp, a.confidence, a.cumulative, a.correct ? 1 : 0, a.weight]);
  }
  return [...chunks(values, 80)].map((part) =>
    multiRow(
      "INSERT INTO rollup_labels (project_id, step_id, label_seq, workflow, version, step, hour, grp, confidence, cumulative, correct, weight) VALUES ",
      part,
      ` ON CONFLICT (project_id, step_id) DO UPDATE SET label_seq = excluded.label_seq, workflow = excluded.workflow, version = excluded.version,
          step = excluded.step, hour = excluded.hour, grp = excluded.grp, confidence = excluded.confidence, cumulative = excluded.cumulative,
          correct = excluded.correct, weight = excluded.weight`,
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
  /** Leave out samples and categories (the bulk of a row) when only counts and labels are needed. */
  light?: boolean;
}

/** Rollup rows of a window: as many as series × hours in it, never more. */
export async function readRollups(client: Pick<Client, "execute">, f: RollupFilter): Promise<RollupRow[]> {
  const where = ["hour >= ?", "hour < ?"];
  const args: InValue[] = [f.from, f.to];
  for (const [col, v] of [["project_id", f.projectId], ["workflow", f.workflow], ["version", f.version], ["step", f.step]] as const) {
    if (v === undefined) continue;
    where.push(`${col} = ?`);
    args.push(v);
  }
  const columns = f.light ? ROW_COLUMNS.replace("samples, categories", "'{}' AS samples, '{}' AS categories") : ROW_COLUMNS;
  const rs = await client.execute({
    sql: `SELECT project_id, workflow, version, step, hour, ${columns} FROM rollup_hours WHERE ${where.join(" AND ")}
          ORDER BY project_id, workflow, version, step, hour`,
    args,
  });
  return rs.rows.map((r) =>
    fromStored(
      { projectId: String(r.project_id), workflow: String(r.workflow), version: String(r.version), step: String(r.step), hour: Number(r.hour) },
      storedOf(r),
    ),
  );
}

export interface SeriesId {
  projectId: string;
  workflow: string;
  version: string;
  step: string;
}

/** The series with rollups in [from, to), across projects (the jobs) or in one. */
export async function seriesInWindow(client: Pick<Client, "execute">, from: number, to: number, projectId?: string): Promise<SeriesId[]> {
  const rs = await client.execute({
    sql: `SELECT DISTINCT project_id, workflow, version, step FROM rollup_hours WHERE hour >= ? AND hour < ?${projectId === undefined ? "" : " AND project_id = ?"}
          ORDER BY project_id, workflow, version, step`,
    args: projectId === undefined ? [from, to] : [from, to, projectId],
  });
  return rs.rows.map((r) => ({ projectId: String(r.project_id), workflow: String(r.workflow), version: String(r.version), step: String(r.step) }));
}
