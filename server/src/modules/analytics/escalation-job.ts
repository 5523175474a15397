import { detectRateChanges } from "./maths/change-detection.js";
import { bySeries, ratesOf } from "./maths/series.js";
import type { RollupRow } from "./maths/rollup.js";
import type { MetricValue } from "./metric-values-store.js";
import { readRollups } from "./rollups-store.js";
import { runEscalationCounts } from "../runs/run-rates-store.js";
import type { Job, JobContext, JobReport } from "../jobs/job.js";
import { HOUR_MS, windowEnd, writeMetrics } from "./windows.js";

/** Windows before the current one that form its baseline. */
export const BASELINE_WINDOWS = 6;

/**
 * Rates per step output, named for what they count: `escalation.rate.steps` is escalated step
 * outputs over step outputs (it was `escalation.rate`, which read like the share of runs).
 */
const RATES = [
  ["escalation.rate.steps", "escalated"],
  ["flag.rate", "flagged"],
  ["spot_check.rate", "spotChecks"],
  ["auto.rate", "auto"],
  ["failure.rate", "failed"],
] as const;

/**
 * Escalation-rate trends: escalation, flag, spot-check, auto-completion (and failure)
 * rates of the last window per series, each tested against the BASELINE_WINDOWS windows before
 * it (quasi-binomial: analytics/maths/change-detection.ts). Reads 7 windows of rollups. For each
 * workflow version as a whole, also `escalation.rate.runs`: the share of runs started in the
 * window that stopped for review at least once.
 */
export async function runEscalationJob(ctx: JobContext): Promise<JobReport> {
  const end = windowEnd(ctx.now());
  const width = ctx.config.analytics.windowHours * HOUR_MS;
  const from = end - (BASELINE_WINDOWS + 1) * width;
  // Rates need the counts alone: parsing each row's histograms and labels cost this job more
  // the fuller they were (2.5× at 10M step events than at 100k, test/reliability/scale.test.ts).
  const rows = await readRollups(ctx.store.client, { from, to: end, countsOnly: true });
  const values: MetricValue[] = [];
  const groups = [...bySeries(rows).values()];
  for (const group of groups) {
    const windows: RollupRow[][] = Array.from({ length: BASELINE_WINDOWS + 1 }, () => []);
    for (const r of group) windows[Math.min(BASELINE_WINDOWS, Math.floor((r.key.hour - from) / width))]!.push(r);
    const rates = windows.map(ratesOf);
    const last = rates[BASELINE_WINDOWS]!;
    if (last.steps === 0) continue;
    const { projectId, workflow, version, step } = group[0]!.key;
    for (const [metric, field] of RATES) {
      const change = detectRateChanges(
        rates.map((r) => ({ count: r[field], total: r.steps })),
        { baselineWindows: BASELINE_WINDOWS },
      ).at(-1)!;
      values.push({
        projectId,
        workflow,
        version,
        step,
        at: end,
        metric,
        value: change.rate,
        details: { count: last[field], total: last.steps, unit: "steps", ...change },
      });
    }
  }
  // Per run: one query per project over the same windows.
  let runRows = 0;
  for (const projectId of new Set(groups.filter((g) => g[0]!.key.step === "").map((g) => g[0]!.key.projectId))) {
    const counts = await runEscalationCounts(ctx.store.client, { projectId, from, to: end, width });
    runRows += counts.length;
    const byVersion = new Map<string, Array<{ count: number; total: number }>>();
    for (const c of counts) {
      const k = JSON.stringify([c.workflow, c.version]);
      const points = byVersion.get(k) ?? Array.from({ length: BASELINE_WINDOWS + 1 }, () => ({ count: 0, total: 0 }));
      points[Math.min(BASELINE_WINDOWS, c.bucket)] = { count: c.escalated, total: c.runs };
      byVersion.set(k, points);
    }
    for (const [k, points] of byVersion) {
      const last = points[BASELINE_WINDOWS]!;
      if (last.total === 0) continue;
      const [workflow, version] = JSON.parse(k) as [string, string];
      const change = detectRateChanges(points, { baselineWindows: BASELINE_WINDOWS }).at(-1)!;
      values.push({
        projectId,
        workflow,
        version,
        step: "",
        at: end,
        metric: "escalation.rate.runs",
        value: change.rate,
        details: { count: last.count, total: last.total, unit: "runs", ...change },
      });
    }
  }
  await writeMetrics(ctx, values);
  return { rowsRead: rows.length + runRows, rowsWritten: values.length, details: { windowEnd: new Date(end).toISOString() } };
}

export const escalationJob: Job = { name: "escalation", run: runEscalationJob };
