import { bySeries, calibrationOf, missingLabels } from "../analytics/maths/series.js";
import { labelBins, type RollupRow } from "../analytics/maths/rollup.js";
import { DEFAULT_DELTA, learnThenTest, precisionAbove } from "../analytics/maths/thresholds.js";
import { firingDrift } from "../analytics/alerts-store.js";
import type { MetricValue } from "../analytics/metric-values-store.js";
import { listAllPoliciesWithTargets, putPolicy, type PolicyRow } from "./store.js";
import { readRollups } from "../analytics/rollups-store.js";
import { listThresholdChanges, markReverted } from "./thresholds-store.js";
import { driftSpotChecks, measureOutcomes } from "./tighten-follow-up.js";
import { ACTOR, apply, DESIGN_GROUPS, type Effective } from "./tighten-apply.js";

export { ACTOR };
import type { Job, JobContext, JobReport } from "../jobs/job.js";
import { HOUR_MS, windowEnd, writeMetrics } from "../analytics/windows.js";

/** Fewer effective labels than this at the current threshold: no evidence to change anything. */
export const MIN_LABELS = 30;
/** Below this share of queued spot checks decided, the labels are too incomplete to act on. */
export const MIN_LABEL_COVERAGE = 0.5;
/** A new version counts as calibrated when its ECE is at most this (and it keeps the target). */
export const CALIBRATED_ECE = 0.05;
/** Step policy over workflow policy, field by field (the SDK's precedence), for steps with a target. */
function effectivePolicies(rows: readonly (PolicyRow & { projectId: string })[], stepsSeen: ReadonlyMap<string, Set<string>>): Effective[] {
  const byWorkflow = new Map<string, { wf?: PolicyRow; steps: Map<string, PolicyRow> }>();
  for (const r of rows) {
    const k = JSON.stringify([r.projectId, r.workflow]);
    const entry: { wf?: PolicyRow; steps: Map<string, PolicyRow> } = byWorkflow.get(k) ?? { steps: new Map() };
    if (r.step === "") entry.wf = r;
    else entry.steps.set(r.step, r);
    byWorkflow.set(k, entry);
  }
  const out: Effective[] = [];
  for (const [k, { wf, steps }] of byWorkflow) {
    const [projectId, workflow] = JSON.parse(k) as [string, string];
    const names = new Set([...(stepsSeen.get(k) ?? []), ...steps.keys()]);
    for (const step of names) {
      const s = steps.get(step);
      const pick = <F extends "minConfidence" | "targetAccuracy" | "tightenMin" | "tightenMax" | "spotCheckRate" | "delta" | "onUnmet">(f: F) =>
        s?.[f] ?? wf?.[f] ?? null;
      const targetAccuracy = pick("targetAccuracy");
      if (targetAccuracy === null) continue;
      out.push({
        projectId,
        workflow,
        step,
        targetAccuracy,
        minConfidence: pick("minConfidence"),
        tightenMin: pick("tightenMin"),
        tightenMax: pick("tightenMax"),
        spotCheckRate: pick("spotCheckRate"),
        delta: pick("delta") ?? DEFAULT_DELTA,
        onUnmet: pick("onUnmet") ?? "escalate",
      });
    }
  }
  return out;
}

/**
 * Auto-tighten, for every step under a policy with a `targetAccuracy`, over the last window of
 * its newest version (the method and its guarantee: docs/statistics.md):
 *
 * - a firing drift alert raises the step's spot-check rate (more labels, sooner), and the raise
 *   is taken back when the alert stops; drift alone never moves the threshold;
 * - with at least MIN_LABELS effective labels at the current threshold, and the weighted
 *   precision of what passes it below the target, `minConfidence` moves to the threshold
 *   Learn-then-Test certifies within [tightenMin, tightenMax] (only ever up);
 * - when none is certified, the policy's `onUnmet` applies (default: every output to review) and
 *   `threshold.unmet` is set, which fires the built-in alert — never a silent ceiling;
 * - every applied change's precision since it was made is measured and stored beside it.
 *
 * Changes go through the policies store (history, revision) and are recorded with their evidence
 * in threshold_changes, where an admin can revert them. A threshold change is also reverted
 * when a newer version of the step proves calibrated (ECE ≤ 0.05) and keeps the target at the
 * old threshold.
 */
export async function runAutoTightenJob(ctx: JobContext): Promise<JobReport> {
  const now = ctx.now();
  const end = windowEnd(now);
  const from = end - ctx.config.analytics.windowHours * HOUR_MS;
  const policies = await listAllPoliciesWithTargets(ctx.store.db);
  if (policies.length === 0) return { rowsRead: 0, details: { steps: 0 } };
  const rows = (await readRollups(ctx.store.client, { from, to: end, light: true })).filter((r) => r.key.step !== "");
  const series = bySeries(rows);
  const stepsSeen = new Map<string, Set<string>>();
  for (const r of rows) {
    const k = JSON.stringify([r.key.projectId, r.key.workflow]);
    (stepsSeen.get(k) ?? stepsSeen.set(k, new Set()).get(k)!).add(r.key.step);
  }
  const counts = { examined: 0, tightened: 0, reverted: 0, unmet: 0, spotChecks: 0, insufficient: 0 };
  const metrics: MetricValue[] = [];
  for (const p of effectivePolicies(policies, stepsSeen)) {
    if (ctx.signal.aborted) break;
    // The newest version of the step: the one whose latest hour is latest.
    const versions = [...series.values()].filter((g) => g[0]!.key.projectId === p.projectId && g[0]!.key.workflow === p.workflow && g[0]!.key.step === p.step);
    if (versions.length === 0) continue;
    const newest = versions.reduce((a, b) => (b.at(-1)!.key.hour > a.at(-1)!.key.hour ? b : a));
    const version = newest[0]!.key.version;
    counts.examined++;
    counts.reverted += await maybeRevert(ctx, p, version, newest, now);
    const drift = await firingDrift(ctx.store.client, p.projectId, p.workflow, p.step);
    counts.spotChecks += await driftSpotChecks(ctx, p, version, drift, now);
    await measureOutcomes(ctx, p, end);

    const applied = await listThresholdChanges(ctx.store.db, p.projectId, { workflow: p.workflow, step: p.step, status: "applied", limit: 20 });
    // An earlier run found no threshold meeting the target and sent the step to review: the
    // alert stays up until an admin reverts that (or a new version is calibrated).
    const inReview = applied.some((c) => (c.evidence as { cause?: string } | null)?.cause === "unmet");
    const at = { projectId: p.projectId, workflow: p.workflow, version, step: p.step, at: end };
    const current = p.minConfidence ?? 0;
    const bins = labelBins(newest, DESIGN_GROUPS);
    const measured = precisionAbove(bins, current, p.delta);
    const labels = missingLabels(newest);
    if (measured.effectiveN < MIN_LABELS || measured.precision === null) {
      counts.insufficient++;
      metrics.push({ ...at, metric: "threshold.unmet", value: inReview ? 1 : 0 });
      continue;
    }
    const belowTarget = measured.precision < p.targetAccuracy;
    const pending = labels.spotCoverage !== null && labels.spotCoverage < MIN_LABEL_COVERAGE;
    if (!belowTarget || pending || inReview) {
      metrics.push({ ...at, metric: "threshold.unmet", value: inReview ? 1 : 0, details: { precision: measured, missingLabels: labels, pending } });
      continue;
    }
    const choice = learnThenTest({
      bins,
      targetAccuracy: p.targetAccuracy,
      delta: p.delta,
      min: Math.max(current, p.tightenMin ?? 0),
      max: p.tightenMax,
      minLabels: MIN_LABELS,
    });
    const evidence = {
      cause: "below-target",
      trigger: { belowTarget, driftAlert: drift, precisionAtCurrent: measured },
      method: "learn-then-test",
      window: { from: new Date(from).toISOString(), to: new Date(end).toISOString() },
      version,
      targetAccuracy: p.targetAccuracy,
      delta: p.delta,
      bounds: { min: p.tightenMin, max: p.tightenMax },
      missingLabels: labels,
      candidates: choice.candidates,
    };
    if (choice.threshold !== null) {
      if (choice.threshold <= current + 1e-9) {
        metrics.push({ ...at, metric: "threshold.unmet", value: 0 });
        continue;
      }
      const reason = `auto-tighten: labelled precision ${measured.precision.toFixed(3)} below target ${p.targetAccuracy}; minConfidence ${current} → ${choice.threshold}, certified at δ ${p.delta}`;
      if (await apply(ctx, p, version, "threshold", { minConfidence: choice.threshold }, p.minConfidence, choice.threshold, reason, evidence, now))
        counts.tightened++;
      metrics.push({ ...at, metric: "threshold.unmet", value: 0 });
      continue;
    }
    // No threshold within the bounds is certified to meet the target.
    counts.unmet++;
    metrics.push({ ...at, metric: "threshold.unmet", value: 1, details: { ...evidence, action: p.onUnmet } });
    const reason = `auto-tighten: no threshold within [${p.tightenMin ?? 0}, ${p.tightenMax ?? 1}] meets target ${p.targetAccuracy} at δ ${p.delta}`;
    const unmet = { ...evidence, cause: "unmet" };
    if (p.onUnmet === "escalate")
      await apply(ctx, p, version, "review-all", { minConfidence: 1 }, p.minConfidence, 1, `${reason}; every output goes to review`, unmet, now);
    else if (p.onUnmet === "spot-check") {
      await apply(ctx, p, version, "spot-check", { spotCheckRate: 1 }, p.spotCheckRate, 1, `${reason}; every passing output is spot-checked`, unmet, now);
    }
  }
  await writeMetrics(ctx, metrics);
  return {
    rowsRead: rows.length,
    rowsWritten: counts.tightened + counts.reverted + counts.unmet + counts.spotChecks,
    details: { steps: counts.examined, ...counts },
  };
}

/** Reverts this step's applied tightenings made on older versions, when the newest one proves calibrated. */
async function maybeRevert(ctx: JobContext, p: Effective, version: string, newest: readonly RollupRow[], now: number): Promise<number> {
  const applied = await listThresholdChanges(ctx.store.db, p.projectId, { workflow: p.workflow, step: p.step, status: "applied", limit: 20 });
  const stale = applied.filter((c) => c.version !== version && c.kind !== "spot-check");
  if (stale.length === 0) return 0;
  const rel = calibrationOf(newest, DESIGN_GROUPS);
  const oldest = stale.at(-1)!;
  const atOld = precisionAbove(labelBins(newest, DESIGN_GROUPS), oldest.before ?? 0, p.delta);
  const calibrated =
    rel.ece !== null && rel.ece <= CALIBRATED_ECE && atOld.effectiveN >= MIN_LABELS && atOld.lowerBound !== null && atOld.lowerBound >= p.targetAccuracy;
  if (!calibrated || p.minConfidence !== stale[0]!.after) return 0;
  const put = await putPolicy(ctx.store.client, {
    projectId: p.projectId,
    workflow: p.workflow,
    step: p.step,
    patch: { minConfidence: oldest.before },
    actor: ACTOR,
    reason: `auto-tighten reverted: version ${version} is calibrated (ECE ${rel.ece!.toFixed(3)}) and keeps the target at ${oldest.before ?? "no threshold"}`,
    evidence: { version, ece: rel.ece, precisionAtOld: atOld, reverts: stale.map((c) => c.id) },
    now,
  });
  if (put.outcome === "invalid" || put.outcome === "limit") return 0;
  for (const c of stale) await markReverted(ctx.store.client, p.projectId, c.id, ACTOR, now);
  return stale.length;
}

export const autoTightenJob: Job = { name: "auto-tighten", run: runAutoTightenJob };
