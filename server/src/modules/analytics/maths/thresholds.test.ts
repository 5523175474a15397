import { describe, expect, it } from "vitest";
import { binItems } from "./reliability.js";
import { chooseThreshold } from "./thresholds.js";
import { wilsonInterval } from "./wilson.js";

describe("chooseThreshold", () => {
  // Accuracy equals confidence (calibrated), 100 labelled items per 0.05 of confidence.
  const items = Array.from({ length: 2000 }, (_, i) => {
    const confidence = (Math.floor(i / 100) + 0.5) / 20;
    return { confidence, correct: i % 100 < confidence * 100 };
  });
  const bins = binItems(items, 20);

  it("picks the lowest edge whose lower Wilson bound meets the target", () => {
    const r = chooseThreshold({ bins, targetAccuracy: 0.9 });
    const chosen = r.candidates.find((c) => c.threshold === r.threshold)!;
    expect(chosen.lowerBound!).toBeGreaterThanOrEqual(0.9);
    const below = r.candidates[r.candidates.indexOf(chosen) - 1]!;
    expect(below.lowerBound!).toBeLessThan(0.9);
    // Recomputed by hand: the interval of the items at or above it.
    const above = items.filter((it) => it.confidence >= r.threshold!);
    const acc = above.filter((it) => it.correct).length / above.length;
    expect(chosen.lowerBound).toBeCloseTo(wilsonInterval(acc, above.length)[0], 12);
  });

  it("stays within the policy's bounds, and says so when the target is out of reach", () => {
    expect(chooseThreshold({ bins, targetAccuracy: 0.5, min: 0.7 }).threshold).toBe(0.7);
    expect(chooseThreshold({ bins, targetAccuracy: 0.99, max: 0.8 }).threshold).toBeNull();
  });

  it("refuses to act on too few labels", () => {
    const few = binItems(items.filter((_, i) => i % 100 === 99), 20);
    expect(chooseThreshold({ bins: few, targetAccuracy: 0.5 }).threshold).toBeNull();
  });
});
