import type { BinSums } from "./reliability.js";
import { effectiveSize, wilsonInterval, Z95 } from "./wilson.js";

/**
 * Auto-tightening: the lowest `minConfidence` whose labelled accuracy — the lower
 * Wilson bound of the accuracy of outputs at or above it — meets the workflow's target, within
 * the policy's bounds. The lower bound, not the point estimate, so a threshold is only chosen
 * when the labels give confidence that it keeps the promise, and sparse labels make it stricter.
 *
 * Candidates are the edges of the rollups' confidence bins, so "at or above t" is a sum of
 * whole bins and needs no raw items. Labels carry their weights (spot checks 1/rate), so the
 * accuracy estimated is that of every output above t, not of the reviewed ones.
 */

export interface ThresholdInput {
  /** Labelled sums per confidence bin (equal-width bins over [0, 1]). */
  bins: readonly BinSums[];
  targetAccuracy: number;
  /** Bounds on the threshold; default [0, 1]. */
  min?: number | null;
  max?: number | null;
  /** Fewer effective labels than this above a candidate: no evidence for it. Default 30. */
  minLabels?: number;
  z?: number;
}

export interface ThresholdCandidate {
  threshold: number;
  /** Labelled items at or above the threshold, and their effective (Kish) size. */
  count: number;
  effectiveN: number;
  accuracy: number | null;
  lowerBound: number | null;
  meetsTarget: boolean;
}

export interface ThresholdChoice {
  /** The lowest candidate within bounds that meets the target; null when none does. */
  threshold: number | null;
  candidates: ThresholdCandidate[];
}

export function chooseThreshold(input: ThresholdInput): ThresholdChoice {
  const B = input.bins.length;
  const lo = input.min ?? 0;
  const hi = input.max ?? 1;
  const minLabels = input.minLabels ?? 30;
  const z = input.z ?? Z95;
  const candidates: ThresholdCandidate[] = [];
  // Sums over bins b..B−1, built from the top so each candidate costs one addition.
  let n = 0;
  let w = 0;
  let w2 = 0;
  let wy = 0;
  const tails: Array<{ n: number; w: number; w2: number; wy: number }> = new Array(B);
  for (let b = B - 1; b >= 0; b--) {
    const bin = input.bins[b]!;
    n += bin.n;
    w += bin.w;
    w2 += bin.w2;
    wy += bin.wy;
    tails[b] = { n, w, w2, wy };
  }
  for (let b = 0; b < B; b++) {
    // Round the edge so 0.1·3 reads 0.3 in policies and evidence.
    const threshold = Math.round((b / B) * 1e6) / 1e6;
    if (threshold < lo - 1e-12 || threshold > hi + 1e-12) continue;
    const t = tails[b]!;
    const effectiveN = effectiveSize(t.w, t.w2);
    const accuracy = t.w > 0 ? t.wy / t.w : null;
    const lowerBound = accuracy === null ? null : wilsonInterval(accuracy, effectiveN, z)[0];
    const meetsTarget = lowerBound !== null && effectiveN >= minLabels && lowerBound >= input.targetAccuracy;
    candidates.push({ threshold, count: t.n, effectiveN, accuracy, lowerBound, meetsTarget });
  }
  const chosen = candidates.find((c) => c.meetsTarget);
  return { threshold: chosen?.threshold ?? null, candidates };
}
