import { CONFIDENCE_BINS } from "../analytics/maths/reliability.js";
import { bySeries, calibrationOf } from "../analytics/maths/series.js";
import { labelBins, type RollupRow } from "../analytics/maths/rollup.js";
import { chooseThreshold, type ThresholdChoice } from "../analytics/maths/thresholds.js";
import { effectiveSize, wilsonInterval } from "../analytics/maths/wilson.js";
import { firingDrift } from "../analytics/alerts-store.js";
import { listAllPoliciesWithTargets, putPolicy, type PolicyRow } from "./store.js";
import { readRollups } from "../analytics/rollups-store.js";
import { listThresholdChanges, markReverted, recordThresholdChange } from "./thresholds-store.js";
import type { Job, JobContext, JobReport } from "../jobs/job.js";
import { HOUR_MS, windowEnd } from "../analytics/windows.js";

export const ACTOR = "system:auto-tighten";
/** Fewer effective labels than this above a threshold: not enough evidence to move it. */
export const MIN_LABELS = 30;
/** A new version counts as calibrated when its ECE is at most this (and it keeps the target). */
export const CALIBRATED_ECE = 0.05;

interface Effective {
  projectId: string;
  workflow: string;
  step: string;
  minConfidence: number | null;
  targetAccuracy: number;
  tightenMin: number | null;
  tightenMax: number | null;
}

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
      const pick = <F extends "minConfidence" | "targetAccuracy" | "tightenMin" | "tightenMax">(f: F) => s?.[f] ?? wf?.[f] ?? null;
      const targetAccuracy = pick("targetAccuracy");
      if (targetAccuracy === null) continue;
      out.push({ projectId, workflow, step, minConfidence: pick("minConfidence"), targetAccuracy, tightenMin: pick("tightenMin"), tightenMax: pick("tightenMax") });
    }
  }
  return out;
}

/** Labelled accuracy of the outputs a threshold lets through (whole bins at or above it). */
function accuracyAbove(rows: readonly RollupRow[], threshold: number) {
  const bins = labelBins(rows);
  let w = 0;
  let w2 = 0;
  let wy = 0;
  let n = 0;
  for (let b = Math.ceil(threshold * CONFIDENCE_BINS - 1e-9); b < CONFIDENCE_BINS; b++) {
    w += bins[b]!.w;
    w2 += bins[b]!.w2;
    wy += bins[b]!.wy;
    n += bins[b]!.n;
  }
  const effectiveN = effectiveSize(w, w2);
  const accuracy = w > 0 ? wy / w : null;
  return { count: n, effectiveN, accuracy, lowerBound: accuracy === null ? null : wilsonInterval(accuracy, effectiveN)[0] };
}

/**
 * Auto-tighten. For every step under a policy with a `targetAccuracy`, over the last
 * window of its newest version: when the labelled accuracy of what the current `minConfidence`
 * lets through is below the target, or the step's drift alert is firing, raise `minConfidence`
 * to the lowest bin edge whose lower Wilson bound meets the target, within
 * [tightenMin, tightenMax] (to tightenMax when no edge does). Only ever raises. The change goes
 * through the policies store (history, revision: the SDK picks it up on its next refresh) and
 * is recorded with its evidence in threshold_changes, where an admin can revert it.
 *
 * It is also reverted automatically when a newer version of the step proves calibrated
 * (ECE ≤ 0.05) and keeps the target at the old threshold.
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
  let tightened = 0;
  let reverted = 0;
  let examined = 0;
  for (const p of effectivePolicies(policies, stepsSeen)) {
    if (ctx.signal.aborted) break;
    // The newest version of the step: the one whose latest hour is latest.
    const versions = [...series.values()].filter((g) => g[0]!.key.projectId === p.projectId && g[0]!.key.workflow === p.workflow && g[0]!.key.step === p.step);
    if (versions.length === 0) continue;
    const newest = versions.reduce((a, b) => (b.at(-1)!.key.hour > a.at(-1)!.key.hour ? b : a));
    const version = newest[0]!.key.version;
    examined++;
    reverted += await maybeRevert(ctx, p, version, newest, now);
    const current = p.minConfidence ?? 0;
    const measured = accuracyAbove(newest, current);
    const drift = await firingDrift(ctx.store.client, p.projectId, p.workflow, p.step);
    const belowTarget = measured.accuracy !== null && measured.effectiveN >= MIN_LABELS && measured.accuracy < p.targetAccuracy;
    if (!belowTarget && !drift) continue;
    const choice: ThresholdChoice = chooseThreshold({ bins: labelBins(newest), targetAccuracy: p.targetAccuracy, min: p.tightenMin, max: p.tightenMax, minLabels: MIN_LABELS });
    const after = choice.threshold ?? p.tightenMax;
    if (after === null || after <= current + 1e-9) continue;
    const evidence = {
      trigger: { belowTarget, driftAlert: drift, accuracyAtCurrent: measured },
      window: { from: new Date(from).toISOString(), to: new Date(end).toISOString() },
      version,
      targetAccuracy: p.targetAccuracy,
      bounds: { min: p.tightenMin, max: p.tightenMax },
      reachable: choice.threshold !== null,
      candidates: choice.candidates,
    };
    const reason = `auto-tighten: ${belowTarget ? `labelled accuracy ${measured.accuracy!.toFixed(3)} below target ${p.targetAccuracy}` : "drift alert"}; minConfidence ${current} → ${after}`;
    const put = await putPolicy(ctx.store.client, { projectId: p.projectId, workflow: p.workflow, step: p.step, patch: { minConfidence: after }, actor: ACTOR, reason, evidence, now });
    if (put.outcome !== "created" && put.outcome !== "updated") continue;
    await recordThresholdChange(ctx.store.client, {
      projectId: p.projectId, workflow: p.workflow, step: p.step, version, before: p.minConfidence, after, evidence, policyRevision: put.policy.revision, now,
    });
    tightened++;
  }
  return { rowsRead: rows.length, rowsWritten: tightened + reverted, details: { steps: examined, tightened, reverted } };
}

/** Reverts this step's applied tightenings made on older versions, when the newest one proves calibrated. */
async function maybeRevert(ctx: JobContext, p: Effective, version: string, newest: readonly RollupRow[], now: number): Promise<number> {
  const applied = await listThresholdChanges(ctx.store.db, p.projectId, { workflow: p.workflow, step: p.step, status: "applied", limit: 20 });
  const stale = applied.filter((c) => c.version !== version);
  if (stale.length === 0) return 0;
  const rel = calibrationOf(newest);
  const oldest = stale.at(-1)!;
  const atOld = accuracyAbove(newest, oldest.before ?? 0);
  const calibrated = rel.ece !== null && rel.ece <= CALIBRATED_ECE && atOld.effectiveN >= MIN_LABELS && atOld.lowerBound !== null && atOld.lowerBound >= p.targetAccuracy;
  if (!calibrated || p.minConfidence !== stale[0]!.after) return 0;
  const put = await putPolicy(ctx.store.client, {
    projectId: p.projectId, workflow: p.workflow, step: p.step, patch: { minConfidence: oldest.before }, actor: ACTOR,
    reason: `auto-tighten reverted: version ${version} is calibrated (ECE ${rel.ece!.toFixed(3)}) and keeps the target at ${oldest.before ?? "no threshold"}`,
    evidence: { version, ece: rel.ece, accuracyAtOld: atOld, reverts: stale.map((c) => c.id) }, now,
  });
  if (put.outcome === "invalid" || put.outcome === "limit") return 0;
  for (const c of stale) await markReverted(ctx.store.client, p.projectId, c.id, ACTOR, now);
  return stale.length;
}

export const autoTightenJob: Job = { name: "auto-tighten", run: runAutoTightenJob };
