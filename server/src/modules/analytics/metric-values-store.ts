import type { Client, InStatement, InValue } from "@libsql/client";
import { chunks, multiRow } from "../../platform/db/sql.js";
import { parseJson } from "../../platform/db/json.js";

/** Metric values the jobs compute per series and window end (db/schema/analytics.ts `metrics`). */
export interface MetricValue {
  projectId: string;
  metric: string;
  workflow: string;
  version: string;
  step: string;
  /** Window end, ms. */
  at: number;
  value: number | null;
  details?: unknown;
}

/** Upserts: a job re-run for the same window end replaces its values. */
export function metricStatements(values: readonly MetricValue[]): InStatement[] {
  const rows: InValue[][] = values.map((m) => [
    m.projectId,
    m.metric,
    m.workflow,
    m.version,
    m.step,
    m.at,
    m.value === null || !Number.isFinite(m.value) ? null : m.value,
    m.details === undefined ? null : JSON.stringify(m.details),
  ]);
  return [...chunks(rows, 100)].map((part) =>
    multiRow(
      "INSERT INTO metrics (project_id, metric, workflow, version, step, at, value, details) VALUES ",
      part,
      " ON CONFLICT (project_id, metric, workflow, version, step, at) DO UPDATE SET value = excluded.value, details = excluded.details",
    ),
  );
}

/**
 * The newest value of every metric series computed since `since`, across projects: what the
 * alerts job evaluates. Bounded by the window (a few job runs' worth of rows).
 */
export async function latestMetrics(client: Pick<Client, "execute">, since: number): Promise<MetricValue[]> {
  // Details only for the metrics whose alerts name what crossed (which drift series, which
  // candidates): the others' details are large (reliability bins) and not needed here.
  const rs = await client.execute({
    sql: `SELECT m.project_id, m.metric, m.workflow, m.version, m.step, m.at, m.value,
            CASE WHEN m.metric IN ('drift.level', 'threshold.unmet') THEN m.details END AS details
          FROM metrics m
          JOIN (SELECT project_id, metric, workflow, version, step, max(at) AS at FROM metrics WHERE at >= ?
                GROUP BY project_id, metric, workflow, version, step) last
            ON last.project_id = m.project_id AND last.metric = m.metric AND last.workflow = m.workflow
           AND last.version = m.version AND last.step = m.step AND last.at = m.at`,
    args: [since],
  });
  return rs.rows.map((r) => ({
    projectId: String(r.project_id),
    metric: String(r.metric),
    workflow: String(r.workflow),
    version: String(r.version),
    step: String(r.step),
    at: Number(r.at),
    value: r.value === null ? null : Number(r.value),
    ...(r.details === null || r.details === undefined ? {} : { details: parseJson(String(r.details)) }),
  }));
}

export interface MetricFilter {
  projectId: string;
  metric: string;
  workflow?: string | undefined;
  version?: string | undefined;
  step?: string | undefined;
  from: number;
  to: number;
  limit: number;
}

/** One metric's values in a window, oldest first, with their details. */
export async function listMetrics(
  client: Pick<Client, "execute">,
  f: MetricFilter,
): Promise<{ items: Array<MetricValue & { details: unknown }>; truncated: boolean }> {
  const where = ["project_id = ?", "metric = ?", "at >= ?", "at < ?"];
  const args: InValue[] = [f.projectId, f.metric, f.from, f.to];
  for (const [col, v] of [
    ["workflow", f.workflow],
    ["version", f.version],
    ["step", f.step],
  ] as const) {
    if (v === undefined) continue;
    where.push(`${col} = ?`);
    args.push(v);
  }
  const rs = await client.execute({
    sql: `SELECT workflow, version, step, at, value, details FROM metrics WHERE ${where.join(" AND ")} ORDER BY at, workflow, version, step LIMIT ?`,
    args: [...args, f.limit + 1],
  });
  const items = rs.rows.slice(0, f.limit).map((r) => ({
    projectId: f.projectId,
    metric: f.metric,
    workflow: String(r.workflow),
    version: String(r.version),
    step: String(r.step),
    at: Number(r.at),
    value: r.value === null ? null : Number(r.value),
    details: parseJson(r.details === null ? null : String(r.details)),
  }));
  return { items, truncated: rs.rows.length > f.limit };
}
