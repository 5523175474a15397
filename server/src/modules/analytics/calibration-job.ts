import { bySeries, calibrationOf, missingLabels } from "./maths/series.js";
import { LABEL_GROUPS } from "./maths/rollup.js";
import type { MetricValue } from "./metric-values-store.js";
import { labelledItems, readRollups } from "./rollups-store.js";
import { adaptiveCalibrationError } from "./maths/adaptive-calibration.js";
import type { Job, JobContext, JobReport } from "../jobs/job.js";
import { HOUR_MS, windowEnd, writeMetrics } from "./windows.js";

/**
 * Calibration per step and end to end (the workflow row), per version, over the last window:
 * ECE, adaptive (equal-mass) ECE from the labels one by one, MCE (over bins with enough labels),
 * Brier, labelled accuracy, with the reliability bins and the queued items still unlabelled in
 * the details. One value per series and window end, so the stored values form the trend.
 */
export async function runCalibrationJob(ctx: JobContext): Promise<JobReport> {
  const end = windowEnd(ctx.now());
  const from = end - ctx.config.analytics.windowHours * HOUR_MS;
  const rows = await readRollups(ctx.store.client, { from, to: end, light: true });
  const values: MetricValue[] = [];
  for (const group of bySeries(rows).values()) {
    const rel = calibrationOf(group);
    if (rel.count === 0) continue;
    const { projectId, workflow, version, step } = group[0]!.key;
    const at = { projectId, workflow, version, step, at: end };
    const items = await labelledItems(ctx.store.client, { projectId, workflow, version, step, groups: LABEL_GROUPS, from, to: end });
    values.push(
      { ...at, metric: "calibration.ece", value: rel.ece, details: { window: { from, to: end }, ...rel, missingLabels: missingLabels(group) } },
      { ...at, metric: "calibration.ace", value: adaptiveCalibrationError(items, 10) },
      { ...at, metric: "calibration.mce", value: rel.mce },
      { ...at, metric: "calibration.brier", value: rel.brier },
      { ...at, metric: "calibration.accuracy", value: rel.accuracy },
      { ...at, metric: "calibration.labels", value: rel.count },
    );
  }
  await writeMetrics(ctx, values);
  return { rowsRead: rows.length, rowsWritten: values.length, details: { windowEnd: new Date(end).toISOString(), series: values.length / 6 } };
}

export const calibrationJob: Job = { name: "calibration", run: runCalibrationJob };
