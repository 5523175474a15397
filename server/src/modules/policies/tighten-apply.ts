import type { LabelGroup } from "../analytics/maths/rollup.js";
import type { JobContext } from "../jobs/job.js";
import { putPolicy } from "./store.js";
import { recordThresholdChange } from "./thresholds-store.js";

/** What auto-tighten's changes and their records share. */

export const ACTOR = "system:auto-tighten";
/** Labels from a sampling design with known inclusion probabilities: the only ones weighed here. */
export const DESIGN_GROUPS: readonly LabelGroup[] = ["spot", "review"];

export interface Effective {
  projectId: string;
  workflow: string;
  step: string;
  minConfidence: number | null;
  targetAccuracy: number;
  tightenMin: number | null;
  tightenMax: number | null;
  spotCheckRate: number | null;
  delta: number;
  onUnmet: "escalate" | "spot-check" | "alert";
}

/** Changes the policy and records the change; false when the policy store refused it. */
export async function apply(
  ctx: JobContext,
  p: Effective,
  version: string,
  kind: "threshold" | "review-all" | "spot-check",
  patch: { minConfidence?: number | null; spotCheckRate?: number | null },
  before: number | null,
  after: number,
  reason: string,
  evidence: unknown,
  now: number,
): Promise<boolean> {
  const put = await putPolicy(ctx.store.client, { projectId: p.projectId, workflow: p.workflow, step: p.step, patch, actor: ACTOR, reason, evidence, now });
  if (put.outcome !== "created" && put.outcome !== "updated") return false;
  await recordThresholdChange(ctx.store.client, {
    projectId: p.projectId,
    workflow: p.workflow,
    step: p.step,
    version,
    kind,
    before,
    after,
    evidence,
    policyRevision: put.policy.revision,
    now,
  });
  return true;
}
