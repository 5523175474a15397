import { driftOf, levelValue } from "./maths/series.js";
import type { MetricValue } from "./metric-values-store.js";
import { readRollups, seriesInWindow } from "./rollups-store.js";
import type { Job, JobContext, JobReport } from "../jobs/job.js";
import { HOUR_MS, windowEnd, writeMetrics } from "./windows.js";

/**
 * Drift: for every series active in the current window, the current window against
 * the baseline window just before it (analytics/series.ts driftOf). Stores `drift.level`
 * (0 ok, 1 watch, 2 alert; the alerts job fires the built-in drift alert on 2) with the whole
 * report, and per tested series its PSI and p-value (`drift.<series>.psi`, `drift.<series>.p`).
 * Reads one series at a time: the samples make rows large.
 */
export async function runDriftJob(ctx: JobContext): Promise<JobReport> {
  const { driftCurrentHours, driftBaselineHours, psiWatch, psiAlert, pAlert } = ctx.config.analytics;
  const end = windowEnd(ctx.now());
  const currentFrom = end - driftCurrentHours * HOUR_MS;
  const baselineFrom = currentFrom - driftBaselineHours * HOUR_MS;
  const series = await seriesInWindow(ctx.store.client, currentFrom, end);
  let rowsRead = 0;
  const values: MetricValue[] = [];
  for (const s of series) {
    if (ctx.signal.aborted) break;
    const rows = await readRollups(ctx.store.client, { ...s, from: baselineFrom, to: end });
    rowsRead += rows.length;
    const report = driftOf(
      rows.filter((r) => r.key.hour < currentFrom),
      rows.filter((r) => r.key.hour >= currentFrom),
      { psiWatch, psiAlert, pAlert },
    );
    if (report.level === "insufficient") continue;
    const at = { ...s, at: end };
    values.push({
      ...at,
      metric: "drift.level",
      value: levelValue(report.level),
      details: { level: report.level, baseline: { from: baselineFrom, to: currentFrom }, current: { from: currentFrom, to: end }, tests: report.tests.map(({ histogram: _, ...t }) => t) },
    });
    for (const t of report.tests) {
      if (t.level === "insufficient") continue;
      values.push({ ...at, metric: `drift.${t.series}.psi`, value: t.psi }, { ...at, metric: `drift.${t.series}.p`, value: t.pvalue });
    }
  }
  await writeMetrics(ctx, values);
  return { rowsRead, rowsWritten: values.length, details: { series: series.length } };
}

export const driftJob: Job = { name: "drift", run: runDriftJob };
