import { binomialCdf, clopperPearson } from "./binomial.js";
import type { BinSums } from "./reliability.js";
import { effectiveSize } from "./wilson.js";

/**
 * Auto-tightening's choice of `minConfidence` by Learn-then-Test (Angelopoulos, Bates, Candès,
 * Jordan, Lei 2021, "Learn then Test: Calibrating Predictive Algorithms to Achieve Risk
 * Control"), with the guarantee: P(precision of the outputs at or above the chosen threshold <
 * targetAccuracy) ≤ δ.
 *
 * Candidates are the rollups' bin edges within the policy's bounds, tested in a FIXED sequence
 * from the strictest to the most permissive. Candidate t's null hypothesis is "the precision of
 * outputs with confidence ≥ t is below the target" (risk = 1 − precision above α = 1 − target);
 * its p-value is the binomial tail P(Bin(n, α) ≤ errors) over the labelled outputs at or above t.
 * Walking down the sequence, each candidate whose p-value is ≤ δ is certified, and the walk stops
 * at the first that is not: fixed-sequence testing controls the family-wise error at δ without
 * any correction, so the most permissive certified candidate keeps the promise with
 * probability ≥ 1 − δ. None certified: no threshold within the bounds is known to meet the target.
 *
 * Labels carry weights (1 / inclusion probability). The test then runs on the Kish effective
 * size n = (Σw)²/Σw² and effective errors n·(1 − weighted precision), through the binomial's
 * continuous extension: exact for equal weights, an approximation otherwise (docs/statistics.md).
 * The candidates tested depend on the confidences only (a candidate with fewer than `minLabels`
 * effective labels is not in the sequence), never on the labels, so the guarantee holds given them.
 */

export interface ThresholdInput {
  /** Labelled sums per confidence bin (equal-width bins over [0, 1]). */
  bins: readonly BinSums[];
  targetAccuracy: number;
  /** The risk level of the guarantee. Default 0.05. */
  delta?: number;
  /** Bounds on the threshold; default [0, 1). */
  min?: number | null;
  max?: number | null;
  /** Fewer effective labels than this at or above a candidate: not tested. Default 30. */
  minLabels?: number;
}

export interface ThresholdCandidate {
  threshold: number;
  /** Labelled items at or above the threshold, their effective (Kish) size and errors. */
  count: number;
  effectiveN: number;
  errors: number;
  /** Weighted precision of what passes. */
  precision: number | null;
  /** One-sided 1 − δ Clopper–Pearson lower bound of that precision. */
  lowerBound: number | null;
  /** P(Bin(n, 1 − target) ≤ errors): small when the labels make "below target" implausible. */
  pvalue: number | null;
  /** `certified` (p ≤ δ), `not-certified` (where the walk stopped), `not-reached`, `too-few-labels`. */
  status: "certified" | "not-certified" | "not-reached" | "too-few-labels";
}

export interface ThresholdChoice {
  /** The most permissive certified candidate; null when none is. */
  threshold: number | null;
  delta: number;
  /** Strictest first: the order they were tested in. */
  candidates: ThresholdCandidate[];
}

export const DEFAULT_DELTA = 0.05;

/** Sums over bins b..B−1 for every b: what passes each candidate edge. */
export function tailSums(bins: readonly BinSums[]): Array<{ n: number; w: number; w2: number; wy: number }> {
  const out: Array<{ n: number; w: number; w2: number; wy: number }> = new Array(bins.length);
  let n = 0;
  let w = 0;
  let w2 = 0;
  let wy = 0;
  for (let b = bins.length - 1; b >= 0; b--) {
    n += bins[b]!.n;
    w += bins[b]!.w;
    w2 += bins[b]!.w2;
    wy += bins[b]!.wy;
    out[b] = { n, w, w2, wy };
  }
  return out;
}

/** Precision of what passes one threshold, with its effective size and Clopper–Pearson lower bound. */
export function precisionAbove(bins: readonly BinSums[], threshold: number, delta = DEFAULT_DELTA) {
  const b = Math.min(bins.length, Math.max(0, Math.ceil(threshold * bins.length - 1e-9)));
  const t = b < bins.length ? tailSums(bins)[b]! : { n: 0, w: 0, w2: 0, wy: 0 };
  return measure(t, delta);
}

function measure(t: { n: number; w: number; w2: number; wy: number }, delta: number) {
  const effectiveN = effectiveSize(t.w, t.w2);
  const precision = t.w > 0 ? t.wy / t.w : null;
  const errors = precision === null ? 0 : effectiveN * (1 - precision);
  // One-sided 1 − δ lower bound = the lower end of the two-sided 1 − 2δ interval.
  const lowerBound = precision === null ? null : clopperPearson(effectiveN - errors, effectiveN, 2 * delta)[0];
  return { count: t.n, effectiveN, errors, precision, lowerBound };
}

export function learnThenTest(input: ThresholdInput): ThresholdChoice {
  const B = input.bins.length;
  const delta = input.delta ?? DEFAULT_DELTA;
  const lo = input.min ?? 0;
  const hi = input.max ?? 1;
  const minLabels = input.minLabels ?? 30;
  const alpha = 1 - input.targetAccuracy;
  const tails = tailSums(input.bins);
  const candidates: ThresholdCandidate[] = [];
  let walking = true;
  let chosen: number | null = null;
  for (let b = B - 1; b >= 0; b--) {
    // Round the edge so 0.1·3 reads 0.3 in policies and evidence.
    const threshold = Math.round((b / B) * 1e6) / 1e6;
    if (threshold < lo - 1e-12 || threshold > hi + 1e-12) continue;
    const m = measure(tails[b]!, delta);
    if (m.effectiveN < minLabels || m.precision === null) {
      candidates.push({ threshold, ...m, pvalue: null, status: "too-few-labels" });
      continue;
    }
    const pvalue = binomialCdf(m.errors, m.effectiveN, alpha);
    let status: ThresholdCandidate["status"] = "not-reached";
    if (walking) {
      if (pvalue <= delta) {
        status = "certified";
        chosen = threshold;
      } else {
        status = "not-certified";
        walking = false;
      }
    }
    candidates.push({ threshold, ...m, pvalue, status });
  }
  return { threshold: chosen, delta, candidates };
}
