import { judgeDrift, levelValue, measureDrift, type DriftTest } from "./maths/drift.js";
import type { MetricValue } from "./metric-values-store.js";
import { readRollups, seriesInWindow, type SeriesId } from "./rollups-store.js";
import type { Job, JobContext, JobReport } from "../jobs/job.js";
import { HOUR_MS, windowEnd, writeMetrics } from "./windows.js";

/**
 * Drift: for every series active in the current window, the current window against
 * the baseline window just before it (analytics/maths/drift.ts). Every series of the run is
 * of a project is judged together, so the Benjamini–Hochberg correction spans all their p-values. Stores
 * `drift.level` (0 ok, 1 watch, 2 alert; the alerts job fires the built-in drift alert on 2)
 * with the whole report, and per tested series its PSI, distance and p-value
 * (`drift.<series>.psi`, `.distance`, `.p`). Reads one series at a time: the samples make rows large.
 */
export async function runDriftJob(ctx: JobContext): Promise<JobReport> {
  const { driftCurrentHours, driftBaselineHours, psiWatch, psiAlert, pAlert } = ctx.config.analytics;
  const end = windowEnd(ctx.now());
  const currentFrom = end - driftCurrentHours * HOUR_MS;
  const baselineFrom = currentFrom - driftBaselineHours * HOUR_MS;
  const series = await seriesInWindow(ctx.store.client, currentFrom, end);
  let rowsRead = 0;
  const measured: Array<{ s: SeriesId; tests: DriftTest[] }> = [];
  for (const s of series) {
    if (ctx.signal.aborted) break;
    const rows = await readRollups(ctx.store.client, { ...s, from: baselineFrom, to: end });
    rowsRead += rows.length;
    const tests = measureDrift(
      rows.filter((r) => r.key.hour < currentFrom),
      rows.filter((r) => r.key.hour >= currentFrom),
    );
    measured.push({ s, tests });
  }
  // One correction per project: a project's verdicts must not depend on another's traffic.
  const reports = new Array<ReturnType<typeof judgeDrift>[number]>(measured.length);
  for (const projectId of new Set(measured.map((m) => m.s.projectId))) {
    const idx = measured.flatMap((m, i) => (m.s.projectId === projectId ? [i] : []));
    judgeDrift(
      idx.map((i) => measured[i]!.tests),
      { psiWatch, psiAlert, pAlert },
    ).forEach((r, k) => (reports[idx[k]!] = r));
  }
  const values: MetricValue[] = [];
  measured.forEach(({ s }, i) => {
    const report = reports[i]!;
    if (report.level === "insufficient") return;
    const at = { ...s, at: end };
    values.push({
      ...at,
      metric: "drift.level",
      value: levelValue(report.level),
      details: {
        level: report.level,
        baseline: { from: baselineFrom, to: currentFrom },
        current: { from: currentFrom, to: end },
        tests: report.tests.map(({ histogram: _, ...t }) => t),
      },
    });
    for (const t of report.tests) {
      if (t.level === "insufficient" || t.level === "skipped") continue;
      values.push(
        { ...at, metric: `drift.${t.series}.psi`, value: t.psi },
        { ...at, metric: `drift.${t.series}.distance`, value: t.distance },
        { ...at, metric: `drift.${t.series}.p`, value: t.adjustedP },
      );
    }
  });
  await writeMetrics(ctx, values);
  return { rowsRead, rowsWritten: values.length, details: { series: series.length } };
}

export const driftJob: Job = { name: "drift", run: runDriftJob };
