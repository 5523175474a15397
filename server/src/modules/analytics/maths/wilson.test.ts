import { describe, expect, it } from "vitest";
import { close, fixture } from "../../../../test-support/reference/load.js";
import { effectiveSize, wilsonInterval, Z95 } from "./wilson.js";

interface Case {
  successes: number;
  n: number;
  z: number;
  interval: [number, number];
}

describe("wilsonInterval against the NumPy reference (z = scipy.stats.norm.ppf(0.975))", () => {
  it("uses SciPy's z to full precision", () => {
    expect(fixture<Case>("wilson.json")[0]!.z).toBe(Z95);
  });
  for (const c of fixture<Case>("wilson.json")) {
    it(`${c.successes}/${c.n}`, () => {
      const [lo, hi] = wilsonInterval(c.successes / c.n, c.n);
      expect(close(lo, Math.max(0, c.interval[0]))).toBe(true);
      expect(close(hi, Math.min(1, c.interval[1]))).toBe(true);
    });
  }

  it("knows nothing without trials", () => {
    expect(wilsonInterval(0, 0)).toEqual([0, 1]);
  });

  it("counts weighted items by their Kish effective size", () => {
    // 10 items of weight 20 carry the information of 10 items, not of 200.
    expect(effectiveSize(200, 10 * 400)).toBe(10);
  });
});
