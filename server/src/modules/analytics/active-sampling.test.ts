import { spotCheckRateFor } from "@seamtrace/sdk";
import { describe, expect, it } from "vitest";
import { binItems, reliability } from "./maths/reliability.js";
import { precisionAbove } from "./maths/thresholds.js";

/**
 * Active spot checks: the SDK samples passing outputs near the threshold more often than the
 * rest (spotCheckRateFor), each label keeps the probability it was drawn with, and the
 * estimators weigh it by the inverse. Monte Carlo over seeded replicates: the weighted
 * estimates of accuracy and of the precision above the threshold are unbiased (within three
 * standard errors of the truth's mean); weighting every spot check by the base rate alone is not.
 */

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RULE = { minConfidence: 0.7, spotCheckRate: 0.05, spotCheckNearRate: 0.5 };
const REPLICATES = 300;

function replicate(seed: number) {
  const r = rng(seed);
  let correct = 0;
  let passed = 0;
  let passedCorrect = 0;
  const right: Array<{ confidence: number; correct: boolean; weight: number }> = [];
  const naive: typeof right = [];
  const n = 3_000;
  for (let i = 0; i < n; i++) {
    // Confidence skewed high; accuracy worse just above the threshold than the confidence says.
    const c = 0.4 + 0.6 * Math.sqrt(r());
    const y = r() < (c < 0.8 ? c - 0.2 : c);
    if (y) correct++;
    if (c < RULE.minConfidence) {
      right.push({ confidence: c, correct: y, weight: 1 });
      naive.push({ confidence: c, correct: y, weight: 1 });
      continue;
    }
    passed++;
    if (y) passedCorrect++;
    const rate = spotCheckRateFor(RULE, c)!;
    if (r() < rate) {
      right.push({ confidence: c, correct: y, weight: 1 / rate });
      naive.push({ confidence: c, correct: y, weight: 1 / RULE.spotCheckRate });
    }
  }
  const bins = binItems(right, 20);
  return {
    truth: correct / n,
    truthAbove: passedCorrect / passed,
    weighted: reliability(bins).accuracy!,
    weightedAbove: precisionAbove(bins, RULE.minConfidence).precision!,
    naive: reliability(binItems(naive, 20)).accuracy!,
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const se = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) / xs.length);
};

describe("confidence-dependent spot checks weighed by their inclusion probability", () => {
  const runs = Array.from({ length: REPLICATES }, (_, i) => replicate(i + 1));

  it("estimate accuracy and the precision above the threshold without bias", () => {
    const err = runs.map((x) => x.weighted - x.truth);
    expect(Math.abs(mean(err))).toBeLessThanOrEqual(3 * se(err));
    const errAbove = runs.map((x) => x.weightedAbove - x.truthAbove);
    expect(Math.abs(mean(errAbove))).toBeLessThanOrEqual(3 * se(errAbove));
  });

  it("are biased when every spot check is weighed by the base rate", () => {
    const err = runs.map((x) => x.naive - x.truth);
    expect(Math.abs(mean(err))).toBeGreaterThan(10 * se(err));
  });
});
