import type { MetricView } from "./types.js";

/**
 * The drift job's own verdicts (metric `drift.level`, one per series and run of the job) as the
 * Drift page lists them: where and when drift was found, and which features. The page's charts
 * compare one window; this says which window to look at, so drift a few days old (the demo's,
 * or a version no longer serving) is not hidden behind a quiet last day.
 */

export type FlagLevel = "watch" | "alert";

export interface VerdictRow {
  /** When the job judged: the end of the current window it compared. */
  at: string;
  version: string;
  /** null: the workflow end to end. */
  step: string | null;
  level: FlagLevel;
  /** The series past watch or alert, most drifted first. */
  flagged: Array<{ series: string; level: FlagLevel; psi: number | null }>;
}

interface VerdictDetails {
  level?: unknown;
  tests?: Array<{ series?: unknown; level?: unknown; psi?: unknown }>;
}

const RANK: Record<FlagLevel, number> = { alert: 2, watch: 1 };
const isFlag = (v: unknown): v is FlagLevel => v === "watch" || v === "alert";

/**
 * Verdicts that found drift, newest first (alerts before watches at one time), and how many
 * verdicts there were in all. The job runs hourly: a series keeps one row per UTC day, its most
 * severe verdict of that day (the newest of equals), so a day of drift is one row, not 24.
 */
export function driftVerdicts(items: readonly MetricView[]): { rows: VerdictRow[]; judged: number } {
  const byDay = new Map<string, VerdictRow>();
  let judged = 0;
  for (const m of items) {
    if (m.metric !== "drift.level") continue;
    judged++;
    const d = (m.details ?? {}) as VerdictDetails;
    if (!isFlag(d.level)) continue;
    const flagged = (d.tests ?? [])
      .filter((t) => isFlag(t.level) && typeof t.series === "string")
      .map((t) => ({ series: t.series as string, level: t.level as FlagLevel, psi: typeof t.psi === "number" ? t.psi : null }))
      .sort((a, b) => RANK[b.level] - RANK[a.level] || (b.psi ?? -1) - (a.psi ?? -1));
    const row: VerdictRow = { at: m.at, version: m.version, step: m.step, level: d.level, flagged };
    const key = `${m.version}\u0000${m.step ?? ""}\u0000${m.at.slice(0, 10)}`;
    const kept = byDay.get(key);
    if (!kept || RANK[row.level] > RANK[kept.level] || (RANK[row.level] === RANK[kept.level] && row.at > kept.at)) byDay.set(key, row);
  }
  const rows = [...byDay.values()];
  rows.sort((a, b) => b.at.localeCompare(a.at) || RANK[b.level] - RANK[a.level] || (a.step ?? "").localeCompare(b.step ?? ""));
  return { rows, judged };
}

/** The Drift page's address showing one verdict's windows, series and most drifted feature. */
export function verdictQuery(workflow: string, row: VerdictRow): Record<string, string> {
  const q: Record<string, string> = { workflow, version: row.version, to: row.at };
  if (row.step !== null) q.step = row.step;
  const first = row.flagged[0];
  if (first) q.feature = first.series;
  return q;
}
