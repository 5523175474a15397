/**
 * Accuracy and confidence of each model on generated cases. Confidence is honest when outputs
 * that turn out right carry more of it than outputs that turn out wrong; this is the offline
 * version of what the collector's calibration job measures from review labels.
 */
import { stepCorrect } from "./compare.js";
import type { ClaimCase, ClaimTruth, StepName } from "./domain.js";
import { STEP_NAMES } from "./domain.js";
import { predictClaim, type ModelContext } from "./pipeline.js";

/** How one model did on a set of cases. */
export interface StepQuality {
  n: number;
  accuracy: number;
  meanConfidence: number;
  /** Mean confidence of the correct outputs (NaN when there are none). */
  meanConfidenceCorrect: number;
  /** Mean confidence of the wrong outputs (NaN when there are none). */
  meanConfidenceWrong: number;
  /** Wrong outputs with confidence ≥ 0.8: the ones a confidence gate lets through. */
  confidentlyWrong: number;
  /** Mean squared error of confidence against correctness (lower is better calibrated). */
  brier: number;
}

/**
 * Runs every model on every case and scores each step against the truth.
 * @example
 * const q = evaluateModels(generateClaims({ seed: 1, count: 1_000 }), { params: defaultModelParams, policies: createPolicyDb() });
 * q.classify.accuracy; q.classify.meanConfidenceWrong;
 */
export function evaluateModels(cases: Iterable<ClaimCase>, ctx: ModelContext): Record<StepName, StepQuality> {
  const acc = Object.fromEntries(STEP_NAMES.map((s) => [s, { n: 0, ok: 0, conf: 0, confOk: 0, confBad: 0, hiBad: 0, sq: 0 }])) as Record<
    StepName,
    { n: number; ok: number; conf: number; confOk: number; confBad: number; hiBad: number; sq: number }
  >;
  for (const c of cases) {
    const p = predictClaim(c.email, ctx);
    for (const step of STEP_NAMES) {
      const a = acc[step];
      const out = p[step];
      const right = stepCorrect(step, out.value as ClaimTruth[typeof step], c.truth[step]);
      a.n++;
      a.conf += out.confidence;
      a.sq += (out.confidence - (right ? 1 : 0)) ** 2;
      if (right) {
        a.ok++;
        a.confOk += out.confidence;
      } else {
        a.confBad += out.confidence;
        if (out.confidence >= 0.8) a.hiBad++;
      }
    }
  }
  return Object.fromEntries(
    STEP_NAMES.map((s) => {
      const a = acc[s];
      const quality: StepQuality = {
        n: a.n,
        accuracy: a.ok / a.n,
        meanConfidence: a.conf / a.n,
        meanConfidenceCorrect: a.confOk / a.ok,
        meanConfidenceWrong: a.confBad / (a.n - a.ok),
        confidentlyWrong: a.hiBad,
        brier: a.sq / a.n,
      };
      return [s, quality];
    }),
  ) as Record<StepName, StepQuality>;
}
