import { effectiveSize, wilsonInterval, Z95, type Interval } from "./wilson.js";

/**
 * Reliability diagrams and the calibration scores read from them: per confidence bin
 * the count, mean confidence, accuracy and its Wilson interval; ECE, MCE and the Brier score.
 *
 * Every item may carry a weight: spot-check labels count 1/samplingRate each, so the labelled
 * sample stands for every output, not only for the low-confidence ones escalated anyway
 * (Horvitz–Thompson). The sums kept per bin are enough to merge bins across hours and to
 * recover every score exactly, which is what lets the rollups store bins instead of items.
 */

/** Confidence bins of the rollups: fixed, so hours and versions add up bin by bin. */
export const CONFIDENCE_BINS = 20;

/** Sums over the labelled items of one bin. */
export interface BinSums {
  /** Items (unweighted). */
  n: number;
  /** Correct items (unweighted): the confusion matrix of evaluator agreement counts these. */
  ny: number;
  /** Σw */
  w: number;
  /** Σw² (for the effective sample size). */
  w2: number;
  /** Σw·c */
  wc: number;
  /** Σw·c² */
  wc2: number;
  /** Σw·y (y = 1 when correct) */
  wy: number;
  /** Σw·c·y */
  wcy: number;
}

export const emptyBin = (): BinSums => ({ n: 0, ny: 0, w: 0, w2: 0, wc: 0, wc2: 0, wy: 0, wcy: 0 });

/** The stored form: [n, ny, w, w2, wc, wc2, wy, wcy]. */
export type PackedBin = [number, number, number, number, number, number, number, number];
export const packBin = (b: BinSums): PackedBin => [b.n, b.ny, b.w, b.w2, b.wc, b.wc2, b.wy, b.wcy];
export const unpackBin = (p: readonly number[]): BinSums => ({
  n: p[0] ?? 0,
  ny: p[1] ?? 0,
  w: p[2] ?? 0,
  w2: p[3] ?? 0,
  wc: p[4] ?? 0,
  wc2: p[5] ?? 0,
  wy: p[6] ?? 0,
  wcy: p[7] ?? 0,
});

/** The bin of a confidence in [0, 1]: [b/B, (b+1)/B), with 1 in the last bin. */
export function binOf(confidence: number, bins: number = CONFIDENCE_BINS): number {
  return Math.max(0, Math.min(Math.floor(confidence * bins), bins - 1));
}

export interface LabelledItem {
  confidence: number;
  correct: boolean;
  /** Default 1. */
  weight?: number;
}

/** Adds one labelled item to `bin` (in place); `sign` -1 takes it out again (a superseded label). */
export function addToBin(bin: BinSums, confidence: number, correct: boolean, weight = 1, sign: 1 | -1 = 1): void {
  const w = sign * weight;
  const y = correct ? 1 : 0;
  bin.n += sign;
  bin.ny += sign * y;
  bin.w += w;
  bin.w2 += sign * weight * weight;
  bin.wc += w * confidence;
  bin.wc2 += w * confidence * confidence;
  bin.wy += w * y;
  bin.wcy += w * confidence * y;
}

export function mergeBins(into: BinSums, other: BinSums): BinSums {
  into.n += other.n;
  into.ny += other.ny;
  into.w += other.w;
  into.w2 += other.w2;
  into.wc += other.wc;
  into.wc2 += other.wc2;
  into.wy += other.wy;
  into.wcy += other.wcy;
  return into;
}

/** Bins the items: the in-memory path, and the reference the rollups must agree with. */
export function binItems(items: readonly LabelledItem[], bins: number = CONFIDENCE_BINS): BinSums[] {
  const out = Array.from({ length: bins }, emptyBin);
  for (const it of items) addToBin(out[binOf(it.confidence, bins)]!, it.confidence, it.correct, it.weight ?? 1);
  return out;
}

export interface ReliabilityBin {
  bin: number;
  /** The bin's confidence range [lower, upper). */
  lower: number;
  upper: number;
  count: number;
  weight: number;
  meanConfidence: number;
  accuracy: number;
  /** Kish effective size the interval is computed with. */
  effectiveN: number;
  wilson: Interval;
}

export interface Reliability {
  /** Non-empty bins only, in confidence order. */
  bins: ReliabilityBin[];
  /** Labelled items and their total weight. */
  count: number;
  weight: number;
  /** Weighted accuracy over every labelled item. */
  accuracy: number | null;
  /** Expected calibration error: Σ_b (W_b / W)·|acc_b − conf_b|. */
  ece: number | null;
  /**
   * Maximum calibration error over the bins holding at least MIN_MCE_LABELS effective labels
   * (null when none does): a bin of one or two labels has a gap of 0.5 or 1 by chance alone.
   */
  mce: number | null;
  /** Weighted mean of (c − y)². */
  brier: number | null;
}

/** Effective labels a bin needs before its gap counts towards the MCE. */
export const MIN_MCE_LABELS = 10;

/** Scores from per-bin sums. Empty input gives nulls, never NaN: "no labels yet" is an answer. */
export function reliability(bins: readonly BinSums[], z: number = Z95, mceMinLabels: number = MIN_MCE_LABELS): Reliability {
  const B = bins.length;
  let W = 0;
  let N = 0;
  let WY = 0;
  let brierSum = 0;
  const out: ReliabilityBin[] = [];
  bins.forEach((b, i) => {
    if (b.n <= 0 || !(b.w > 0)) return;
    W += b.w;
    N += b.n;
    WY += b.wy;
    // Σw(c − y)² = Σwc² − 2Σwcy + Σwy, because y² = y.
    brierSum += b.wc2 - 2 * b.wcy + b.wy;
    const accuracy = b.wy / b.w;
    const effectiveN = effectiveSize(b.w, b.w2);
    out.push({
      bin: i,
      lower: i / B,
      upper: (i + 1) / B,
      count: b.n,
      weight: b.w,
      meanConfidence: b.wc / b.w,
      accuracy,
      effectiveN,
      wilson: wilsonInterval(accuracy, effectiveN, z),
    });
  });
  if (out.length === 0) return { bins: out, count: 0, weight: 0, accuracy: null, ece: null, mce: null, brier: null };
  let ece = 0;
  let mce: number | null = null;
  for (const b of out) {
    const gap = Math.abs(b.accuracy - b.meanConfidence);
    ece += (b.weight / W) * gap;
    if (b.effectiveN >= mceMinLabels) mce = Math.max(mce ?? 0, gap);
  }
  return { bins: out, count: N, weight: W, accuracy: WY / W, ece, mce, brier: Math.max(0, brierSum / W) };
}
