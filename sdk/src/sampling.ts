/**
 * Spot-check sampling: a fraction of the steps that passed their gates goes to review,
 * so calibration is measured on an unbiased sample. The random source is injectable so tests
 * (and reproducible experiments) can seed it; the client defaults to `Math.random`.
 */
import type { PolicyRule } from "./types.js";

/** Uniform numbers in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/**
 * A seeded random source (mulberry32: 32-bit state, passes the usual statistical batteries for
 * this use, and costs a few integer ops). Same seed, same sequence.
 * @example
 * const st = new Seamtrace({ random: seededRandom(42) }); // reproducible spot checks
 */
export function seededRandom(seed: number): RandomSource {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * True with probability `rate`. No draw is made for a rate of 0 or 1 (nor for a missing or
 * invalid one, which never samples), so an unconfigured policy costs nothing and does not move a
 * seeded sequence. A random source that throws or returns garbage samples nothing: sampling is
 * telemetry, and must not break the step.
 */
export function sampled(rate: number | undefined, random: RandomSource): boolean {
  if (rate === undefined || !(rate > 0)) return false;
  if (rate >= 1) return true;
  try {
    return random() < rate;
  } catch {
    return false;
  }
}

/** Width above `minConfidence` where `spotCheckNearRate` applies. */
export const NEAR_BAND = 0.1;

/**
 * The spot-check rate for a passing step: `spotCheckNearRate` (when higher) within NEAR_BAND
 * above `minConfidence`, where a wrong threshold costs most, else `spotCheckRate`. The step's
 * event records the rate it was drawn at, so the server weighs its label by the inverse.
 * @example
 * spotCheckRateFor({ minConfidence: 0.7, spotCheckRate: 0.02, spotCheckNearRate: 0.2 }, 0.75) // 0.2
 */
export function spotCheckRateFor(rule: PolicyRule, confidence: number | undefined): number | undefined {
  const near = rule.spotCheckNearRate;
  // An unscored step has no distance to the threshold: the base rate.
  if (near === undefined || rule.minConfidence === undefined || confidence === undefined || !(confidence < rule.minConfidence + NEAR_BAND))
    return rule.spotCheckRate;
  return Math.max(near, rule.spotCheckRate ?? 0);
}
