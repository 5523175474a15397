import { fitCalibrationMap } from "../analytics/maths/isotonic.js";
import { bySeries } from "../analytics/maths/series.js";
import { labelBins } from "../analytics/maths/rollup.js";
import { effectiveSize } from "../analytics/maths/wilson.js";
import { readRollups } from "../analytics/rollups-store.js";
import { upsertCalibrationMap } from "./thresholds-store.js";
import type { Job, JobContext, JobReport } from "../jobs/job.js";
import { HOUR_MS, windowEnd } from "../analytics/windows.js";

/** Fewer effective labels than this: no map (an isotonic fit on a handful of labels is noise). */
export const MIN_RECALIBRATION_LABELS = 50;

/**
 * Recalibration: per step, on the newest version's labels over the recalibration
 * window, an isotonic (pool-adjacent-violators) map from raw to calibrated confidence, served
 * with the policies (GET /v1/policies `calibrations`), which the SDK applies when a workflow
 * opts in. Fitted on the rollups' labelled bins (mean confidence and weighted accuracy per bin,
 * weighted by the bin's labels), so it reads no labels one by one: 20 points is ample for a
 * monotone map of a probability.
 */
export async function runRecalibrateJob(ctx: JobContext): Promise<JobReport> {
  const end = windowEnd(ctx.now());
  const from = end - ctx.config.analytics.recalibrateHours * HOUR_MS;
  const rows = (await readRollups(ctx.store.client, { from, to: end, light: true })).filter((r) => r.key.step !== "");
  // Newest version per (project, workflow, step).
  const newest = new Map<string, (typeof rows)[number][]>();
  for (const group of bySeries(rows).values()) {
    const k = JSON.stringify([group[0]!.key.projectId, group[0]!.key.workflow, group[0]!.key.step]);
    const prev = newest.get(k);
    if (!prev || group.at(-1)!.key.hour > prev.at(-1)!.key.hour) newest.set(k, group);
  }
  let fitted = 0;
  for (const group of newest.values()) {
    if (ctx.signal.aborted) break;
    const bins = labelBins(group);
    const w = bins.reduce((s, b) => s + b.w, 0);
    const w2 = bins.reduce((s, b) => s + b.w2, 0);
    const n = bins.reduce((s, b) => s + b.n, 0);
    const effectiveN = effectiveSize(w, w2);
    if (effectiveN < MIN_RECALIBRATION_LABELS) continue;
    const map = fitCalibrationMap(bins.filter((b) => b.w > 0).map((b) => ({ confidence: b.wc / b.w, accuracy: b.wy / b.w, weight: b.w })));
    if (!map) continue;
    const { projectId, workflow, step, version } = group[0]!.key;
    await upsertCalibrationMap(ctx.store.client, { projectId, workflow, step, version, map, labels: n, effectiveN, now: ctx.now() }, ctx.fence);
    fitted++;
  }
  return { rowsRead: rows.length, rowsWritten: fitted, details: { fitted } };
}

export const recalibrateJob: Job = { name: "recalibrate", run: runRecalibrateJob };
