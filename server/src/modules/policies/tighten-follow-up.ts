import { labelBins } from "../analytics/maths/rollup.js";
import { precisionAbove } from "../analytics/maths/thresholds.js";
import { readRollups } from "../analytics/rollups-store.js";
import { HOUR_MS } from "../analytics/windows.js";
import type { JobContext } from "../jobs/job.js";
import { ACTOR, apply, DESIGN_GROUPS, type Effective } from "./tighten-apply.js";
import { putPolicy } from "./store.js";
import { listThresholdChanges, markReverted, setThresholdOutcome } from "./thresholds-store.js";

/** The spot-check rate while a drift alert fires: doubled, at least this, at most 1. */
export const DRIFT_SPOT_CHECK_FLOOR = 0.1;
/** How far back the precision after a change is measured (the rollups' answers stay bounded). */
const OUTCOME_MAX_HOURS = 30 * 24;

/**
 * Drift alone moves no threshold: while the step's drift alert fires its spot-check rate is
 * raised (twice the rate in force, at least 0.1), so labels arrive sooner for the threshold
 * decision; when the alert stops, the rate in force before is restored (unless someone changed
 * it since). Returns the changes made.
 */
export async function driftSpotChecks(ctx: JobContext, p: Effective, version: string, drift: boolean, now: number): Promise<number> {
  const applied = await listThresholdChanges(ctx.store.db, p.projectId, { workflow: p.workflow, step: p.step, status: "applied", limit: 20 });
  const raised = applied.find((c) => c.kind === "spot-check" && (c.evidence as { cause?: string } | null)?.cause === "drift");
  if (drift && !raised) {
    const before = p.spotCheckRate;
    const after = Math.min(1, Math.max(DRIFT_SPOT_CHECK_FLOOR, 2 * (before ?? 0)));
    if (after <= (before ?? 0)) return 0;
    const reason = `auto-tighten: drift alert firing; spot-check rate ${before ?? 0} → ${after} for labels sooner (thresholds move on labels only)`;
    return (await apply(ctx, p, version, "spot-check", { spotCheckRate: after }, before, after, reason, { cause: "drift", driftAlert: true }, now)) ? 1 : 0;
  }
  if (!drift && raised) {
    if (p.spotCheckRate === raised.after) {
      const put = await putPolicy(ctx.store.client, {
        projectId: p.projectId,
        workflow: p.workflow,
        step: p.step,
        patch: { spotCheckRate: raised.before },
        actor: ACTOR,
        reason: `auto-tighten: drift alert resolved; spot-check rate back to ${raised.before ?? "unset"}`,
        evidence: { reverts: raised.id },
        now,
      });
      if (put.outcome === "invalid" || put.outcome === "limit") return 0;
    }
    await markReverted(ctx.store.client, p.projectId, raised.id, ACTOR, now);
    return 1;
  }
  return 0;
}

/**
 * The precision of what passes each applied threshold, measured on the labels of outputs made
 * since the change (up to `end`), stored beside the evidence that triggered it.
 */
export async function measureOutcomes(ctx: JobContext, p: Effective, end: number): Promise<void> {
  const applied = await listThresholdChanges(ctx.store.db, p.projectId, { workflow: p.workflow, step: p.step, status: "applied", limit: 20 });
  for (const c of applied) {
    if (c.kind !== "threshold") continue;
    const since = Math.max(Math.ceil(Date.parse(c.createdAt) / HOUR_MS) * HOUR_MS, end - OUTCOME_MAX_HOURS * HOUR_MS);
    if (since >= end) continue;
    const rows = await readRollups(ctx.store.client, { projectId: p.projectId, workflow: p.workflow, step: p.step, from: since, to: end, light: true });
    const m = precisionAbove(labelBins(rows, DESIGN_GROUPS), c.after, p.delta);
    await setThresholdOutcome(ctx.store.client, p.projectId, c.id, {
      from: new Date(since).toISOString(),
      to: new Date(end).toISOString(),
      ...m,
      targetAccuracy: p.targetAccuracy,
      meetsTarget: m.precision === null ? null : m.precision >= p.targetAccuracy,
    });
  }
}
