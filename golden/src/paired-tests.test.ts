import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { exactPairedTest, pairedTTest, regularizedBeta, type Stratum } from "./paired-tests.js";

/** Reference values from golden/scripts/make-stats-fixtures.py (SciPy, statsmodels). */
const fixture = JSON.parse(readFileSync(new URL("./fixtures/paired-tests.json", import.meta.url), "utf8")) as {
  mcnemar: Array<{ table: [[number, number], [number, number]]; statsmodelsTwoSided: number; lower: number; upper: number }>;
  stratified: Array<{ name: string; strata: Array<[number, number, number, number]>; lower: number; upper: number }>;
  ttest: Array<{ name: string; current: number[]; baseline: number[]; t: number; upper: number }>;
};

/** Relative agreement, with an absolute floor for values near zero. */
function close(actual: number, expected: number, tol = 1e-9): boolean {
  return Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)) || Math.abs(actual - expected) <= 1e-15;
}

const pairs = (passPass: number, newFail: number, newPass: number, failFail: number): Stratum[] => [
  ...Array.from({ length: passPass }, () => ({ current: { n: 1, k: 1 }, baseline: { n: 1, k: 1 } })),
  ...Array.from({ length: newFail }, () => ({ current: { n: 1, k: 0 }, baseline: { n: 1, k: 1 } })),
  ...Array.from({ length: newPass }, () => ({ current: { n: 1, k: 1 }, baseline: { n: 1, k: 0 } })),
  ...Array.from({ length: failFail }, () => ({ current: { n: 1, k: 0 }, baseline: { n: 1, k: 0 } })),
];

describe("exactPairedTest with one trial per case is the exact McNemar test", () => {
  for (const c of fixture.mcnemar) {
    const [[pp, nf], [np, ff]] = c.table;
    it(`${nf} newly failing, ${np} newly passing (of ${pp + nf + np + ff})`, () => {
      const r = exactPairedTest(pairs(pp, nf, np, ff));
      expect(close(r.twoSided, c.statsmodelsTwoSided), `two-sided ${r.twoSided} vs statsmodels ${c.statsmodelsTwoSided}`).toBe(true);
      expect(close(r.lower, c.lower), `lower ${r.lower} vs binomtest ${c.lower}`).toBe(true);
      expect(close(r.upper, c.upper), `upper ${r.upper} vs binomtest ${c.upper}`).toBe(true);
    });
  }

  it("finds five new failures with no new pass significant at 0.05 one-sided (p = 1/32)", () => {
    expect(exactPairedTest(pairs(250, 5, 0, 65)).lower).toBe(1 / 32);
  });
});

describe("exactPairedTest with several trials per case (exact stratified test)", () => {
  for (const c of fixture.stratified) {
    it(c.name, () => {
      const r = exactPairedTest(c.strata.map(([n1, k1, n0, k0]) => ({ current: { n: n1, k: k1 }, baseline: { n: n0, k: k0 } })));
      expect(close(r.lower, c.lower, 1e-8), `lower ${r.lower} vs ${c.lower}`).toBe(true);
      expect(close(r.upper, c.upper, 1e-8), `upper ${r.upper} vs ${c.upper}`).toBe(true);
    });
  }

  it("refuses counts that cannot be", () => {
    expect(() => exactPairedTest([{ current: { n: 1, k: 2 }, baseline: { n: 1, k: 0 } }])).toThrow(RangeError);
  });
});

describe("pairedTTest against scipy.stats.ttest_rel(alternative='greater')", () => {
  for (const c of fixture.ttest) {
    it(c.name, () => {
      const r = pairedTTest(c.current, c.baseline);
      expect(close(r.t!, c.t), `t ${r.t} vs ${c.t}`).toBe(true);
      expect(close(r.upper, c.upper, 1e-8), `p ${r.upper} vs ${c.upper}`).toBe(true);
    });
  }

  it("treats identical samples as no evidence and a constant rise as certain", () => {
    expect(pairedTTest([0.1, 0.2], [0.1, 0.2]).upper).toBe(1);
    expect(pairedTTest([0.2, 0.3], [0.1, 0.2]).upper).toBe(0);
  });

  it("computes the incomplete beta at its edges", () => {
    expect(regularizedBeta(0, 2, 3)).toBe(0);
    expect(regularizedBeta(1, 2, 3)).toBe(1);
    expect(close(regularizedBeta(0.5, 2, 2), 0.5)).toBe(true);
  });
});
