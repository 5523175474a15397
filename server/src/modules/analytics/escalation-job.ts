import { detectRateChanges } from "./maths/change-detection.js";
import { bySeries, ratesOf } from "./maths/series.js";
import type { RollupRow } from "./maths/rollup.js";
import type { MetricValue } from "./metric-values-store.js";
import { readRollups } from "./rollups-store.js";
import type { Job, JobContext, JobReport } from "../jobs/job.js";
import { HOUR_MS, windowEnd, writeMetrics } from "./windows.js";

/** Windows before the current one that form its baseline. */
export const BASELINE_WINDOWS = 6;

const RATES = [
  ["escalation.rate", "escalated"],
  ["flag.rate", "flagged"],
  ["spot_check.rate", "spotChecks"],
  ["auto.rate", "auto"],
  ["failure.rate", "failed"],
] as const;

/**
 * Escalation-rate trends: escalation, flag, spot-check, auto-completion (and failure)
 * rates of the last window per series, each tested against the pooled rate of the
 * BASELINE_WINDOWS windows before it (analytics/change-detection.ts). Reads 7 windows of rollups.
 */
export async function runEscalationJob(ctx: JobContext): Promise<JobReport> {
  const end = windowEnd(ctx.now());
  const width = ctx.config.analytics.windowHours * HOUR_MS;
  const from = end - (BASELINE_WINDOWS + 1) * width;
  // Rates need the counts alone: parsing each row's histograms and labels cost this job more
  // the fuller they were (2.5× at 10M step events than at 100k, test/reliability/scale.test.ts).
  const rows = await readRollups(ctx.store.client, { from, to: end, countsOnly: true });
  const values: MetricValue[] = [];
  for (const group of bySeries(rows).values()) {
    const windows: RollupRow[][] = Array.from({ length: BASELINE_WINDOWS + 1 }, () => []);
    for (const r of group) windows[Math.min(BASELINE_WINDOWS, Math.floor((r.key.hour - from) / width))]!.push(r);
    const rates = windows.map(ratesOf);
    const last = rates[BASELINE_WINDOWS]!;
    if (last.steps === 0) continue;
    const { projectId, workflow, version, step } = group[0]!.key;
    for (const [metric, field] of RATES) {
      const change = detectRateChanges(rates.map((r) => ({ count: r[field], total: r.steps })), { baselineWindows: BASELINE_WINDOWS }).at(-1)!;
      values.push({ projectId, workflow, version, step, at: end, metric, value: change.rate, details: { count: last[field], total: last.steps, ...change } });
    }
  }
  await writeMetrics(ctx, values);
  return { rowsRead: rows.length, rowsWritten: values.length, details: { windowEnd: new Date(end).toISOString() } };
}

export const escalationJob: Job = { name: "escalation", run: runEscalationJob };
