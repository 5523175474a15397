import { describe, expect, it } from "vitest";
import { sampled, seededRandom, spotCheckRateFor } from "./sampling.js";

describe("seededRandom", () => {
  it("repeats its sequence for a seed and stays in [0, 1)", () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(Array.from({ length: 10_000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(8)()).not.toBe(xs[0]);
  });

  it("is uniform enough for sampling: each tenth of [0, 1) gets its share within 4 sd", () => {
    const r = seededRandom(12345);
    const n = 100_000;
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < n; i++) bins[Math.floor(r() * 10)]!++;
    const sd = Math.sqrt(n * 0.1 * 0.9);
    for (const count of bins) expect(Math.abs(count - n / 10)).toBeLessThanOrEqual(4 * sd);
  });
});

describe("sampled", () => {
  it("never samples at rate 0, a missing or invalid rate, and always at 1, without drawing", () => {
    let draws = 0;
    const random = () => (draws++, 0);
    expect([sampled(0, random), sampled(undefined, random), sampled(Number.NaN, random), sampled(-1, random)]).toEqual([false, false, false, false]);
    expect([sampled(1, random), sampled(2, random)]).toEqual([true, true]);
    expect(draws).toBe(0);
  });

  it("samples when the draw falls below the rate", () => {
    expect(sampled(0.3, () => 0.29)).toBe(true);
    expect(sampled(0.3, () => 0.3)).toBe(false);
  });

  it("samples nothing, rather than throwing into the step, when the random source throws", () => {
    expect(
      sampled(0.5, () => {
        throw new Error("broken");
      }),
    ).toBe(false);
  });
});

describe("spotCheckRateFor", () => {
  const rule = { minConfidence: 0.7, spotCheckRate: 0.02, spotCheckNearRate: 0.2 };

  it("samples more within 0.1 above the threshold, where a wrong threshold costs most", () => {
    expect(spotCheckRateFor(rule, 0.7)).toBe(0.2);
    expect(spotCheckRateFor(rule, 0.79)).toBe(0.2);
    expect(spotCheckRateFor(rule, 0.8)).toBe(0.02);
    expect(spotCheckRateFor(rule, 0.95)).toBe(0.02);
  });

  it("never samples less than the base rate, and needs a threshold to be near", () => {
    expect(spotCheckRateFor({ ...rule, spotCheckNearRate: 0.01 }, 0.72)).toBe(0.02);
    expect(spotCheckRateFor({ spotCheckRate: 0.02, spotCheckNearRate: 0.2 }, 0.72)).toBe(0.02);
    expect(spotCheckRateFor({ minConfidence: 0.7, spotCheckNearRate: 0.2 }, 0.72)).toBe(0.2);
    expect(spotCheckRateFor({ minConfidence: 0.7, spotCheckNearRate: 0.2 }, 0.9)).toBeUndefined();
  });

  it("gives an unscored step the base rate: it has no distance to the threshold", () => {
    expect(spotCheckRateFor(rule, undefined)).toBe(0.02);
  });
});
