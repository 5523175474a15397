import { describe, expect, it } from "vitest";
import { close, fixture } from "../../../../test-support/reference/load.js";
import { binomialCdf, clopperPearson } from "./binomial.js";

interface Case {
  k: number;
  n: number;
  p: number;
  alpha: number;
  interval: [number, number];
  cdf: number;
}

describe("binomial tails and Clopper–Pearson against scipy.stats.binom and statsmodels proportion_confint", () => {
  for (const c of fixture<Case>("binomial.json")) {
    it(`k=${c.k} n=${c.n}`, () => {
      expect(close(binomialCdf(c.k, c.n, c.p), c.cdf, 1e-10), `${binomialCdf(c.k, c.n, c.p)} vs ${c.cdf}`).toBe(true);
      const [lo, hi] = clopperPearson(c.k, c.n, c.alpha);
      expect(Math.abs(lo - c.interval[0])).toBeLessThan(1e-12);
      expect(Math.abs(hi - c.interval[1])).toBeLessThan(1e-12);
    });
  }

  it("is 1 at k ≥ n and 0 below 0", () => {
    expect(binomialCdf(10, 10, 0.3)).toBe(1);
    expect(binomialCdf(-1, 10, 0.3)).toBe(0);
  });
});
