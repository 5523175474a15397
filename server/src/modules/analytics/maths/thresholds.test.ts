import { describe, expect, it } from "vitest";
import { binomialCdf } from "./binomial.js";
import { binItems } from "./reliability.js";
import { learnThenTest, precisionAbove } from "./thresholds.js";

describe("learnThenTest: fixed-sequence binomial tests, strictest first", () => {
  const items = (n: number, conf: number, wrong: number) => Array.from({ length: n }, (_, i) => ({ confidence: conf, correct: i >= wrong }));

  it("certifies a candidate only when P(Bin(n, 1 − target) ≤ errors) ≤ δ", () => {
    // 59 error-free labels are the fewest that certify 95% at δ = 0.05 (0.95^59 = 0.048).
    const ok = learnThenTest({ bins: binItems(items(59, 0.9, 0), 20), targetAccuracy: 0.95, min: 0.85, max: 0.9 });
    // 0.85 lets through the same labelled outputs as 0.9, so it is certified too.
    expect(ok.threshold).toBe(0.85);
    const thin = learnThenTest({ bins: binItems(items(58, 0.9, 0), 20), targetAccuracy: 0.95, min: 0.85, max: 0.9 });
    expect(thin.threshold).toBeNull();
    const c = ok.candidates.find((x) => x.threshold === 0.9)!;
    expect(c.pvalue).toBeCloseTo(binomialCdf(0, 59, 0.05), 14);
  });

  it("stops at the first candidate it cannot certify, even if a more permissive one would pass", () => {
    // 0.9 and up: 100 labels, 10 wrong (90%); 0.6–0.9: 2,000 labels all right, which would make the
    // pooled precision at 0.6 look excellent. The walk stops at 0.9's failure and never gets there.
    const bins = binItems([...items(100, 0.92, 10), ...items(2_000, 0.7, 0)], 20);
    const choice = learnThenTest({ bins, targetAccuracy: 0.95, min: 0.6, max: 0.95 });
    expect(choice.threshold).toBeNull();
    expect(choice.candidates.map((x) => x.status)).toEqual([
      "too-few-labels",
      "not-certified",
      "not-reached",
      "not-reached",
      "not-reached",
      "not-reached",
      "not-reached",
      "not-reached",
    ]);
  });

  it("leaves candidates with too few labels out of the sequence and starts at the first with enough", () => {
    const bins = binItems([...items(5, 0.97, 0), ...items(300, 0.85, 3)], 20);
    const choice = learnThenTest({ bins, targetAccuracy: 0.95, min: 0.8, max: 0.95 });
    expect(choice.candidates[0]).toMatchObject({ threshold: 0.95, status: "too-few-labels" });
    expect(choice.threshold).toBe(0.8);
  });

  it("measures the precision above a threshold with its Clopper–Pearson lower bound", () => {
    const m = precisionAbove(binItems(items(100, 0.9, 5), 20), 0.85);
    expect(m.precision).toBeCloseTo(0.95, 12);
    expect(m.lowerBound!).toBeLessThan(0.95);
    expect(m.lowerBound!).toBeGreaterThan(0.88);
  });
});
