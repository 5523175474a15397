/**
 * The demo's own check that the retrained version escalates less than version 1 did on the
 * same drifted traffic, judged only when the two samples are large enough to tell a retrain's
 * effect from chance.
 */
import { pct } from "./run-demo.js";

/**
 * Runs each version needs before the check is judged. The retrain typically lowers the rate by
 * 25 to 40 points from about 75%; the standard error of a difference of two such rates is
 * sqrt(p(1 − p)(1/n₁ + 1/n₂)): 0.19 at 10 runs each (a 7-of-10 against 7-of-10 tie is ordinary
 * noise), 0.065 at 100 each, where a real drop is four or more standard errors wide.
 */
export const MIN_RUNS_TO_JUDGE = 100;

export interface VersionRate {
  version: string;
  runs: number;
  escalationRate: number;
}

export interface RetrainCheck {
  /** `skipped`: too few runs of a version to judge; the demo then exits 0 and says so. */
  status: "passed" | "failed" | "skipped";
  message: string;
}

export function retrainCheck(before: VersionRate, after: VersionRate): RetrainCheck {
  const rates = `v${before.version} ${pct(before.escalationRate)} of ${before.runs} runs → v${after.version} ${pct(after.escalationRate)} of ${after.runs}`;
  if (before.runs < MIN_RUNS_TO_JUDGE || after.runs < MIN_RUNS_TO_JUDGE) {
    return {
      status: "skipped",
      message:
        `not judged (${rates}): the check that the retrained version escalates less needs ${MIN_RUNS_TO_JUDGE} runs of each version ` +
        `to tell the retrain from chance; more --runs-per-day or --days give it that`,
    };
  }
  if (after.escalationRate < before.escalationRate) return { status: "passed", message: `the retrained version escalates less (${rates})` };
  return { status: "failed", message: `the retrained version did not escalate less (${rates})` };
}
