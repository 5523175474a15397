import { describe, expect, it } from "vitest";
import { close, fixture } from "../../../../test-support/reference/load.js";
import { quasiBinomialTest } from "./overdispersion.js";

interface Case {
  name: string;
  counts: number[];
  totals: number[];
  coef: number;
  se: number;
  t: number;
  pvalue: number;
  dispersion: number;
  df: number;
}

const points = (c: Case) => c.counts.map((count, i) => ({ count, total: c.totals[i]! }));

describe("quasiBinomialTest against statsmodels GLM(Binomial, var_weights).fit(scale='X2', use_t=True)", () => {
  for (const c of fixture<Case>("quasi-binomial.json")) {
    it(c.name, () => {
      const r = quasiBinomialTest(points(c), { floorDispersion: false })!;
      expect(close(r.coef, c.coef, 1e-9)).toBe(true);
      expect(close(r.dispersion, c.dispersion, 1e-9)).toBe(true);
      expect(close(r.se, c.se, 1e-9)).toBe(true);
      expect(close(r.t, c.t, 1e-9)).toBe(true);
      expect(close(r.pvalue, c.pvalue, 1e-8), `${r.pvalue} vs ${c.pvalue}`).toBe(true);
      expect(r.df).toBe(c.df);
    });
  }

  it("does not call ordinary day-to-day wobble a change, where the binomial z-test does", () => {
    const c = fixture<Case>("quasi-binomial.json").find((x) => x.name.startsWith("steady"))!;
    expect(quasiBinomialTest(points(c))!.pvalue).toBeGreaterThan(0.1);
  });

  it("floors the dispersion at 1 by default, so steadier-than-binomial windows never make it bolder", () => {
    const c = fixture<Case>("quasi-binomial.json").find((x) => x.name === "real jump")!;
    expect(c.dispersion).toBeLessThan(1);
    expect(quasiBinomialTest(points(c))!.se).toBeGreaterThan(c.se);
  });

  it("answers null without two baseline windows or at a rate of 0", () => {
    expect(
      quasiBinomialTest([
        { count: 1, total: 10 },
        { count: 2, total: 10 },
      ]),
    ).toBeNull();
    expect(
      quasiBinomialTest([
        { count: 1, total: 10 },
        { count: 2, total: 10 },
        { count: 0, total: 10 },
      ]),
    ).toBeNull();
  });
});
