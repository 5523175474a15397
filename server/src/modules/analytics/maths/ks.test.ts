import { describe, expect, it } from "vitest";
import { close, fixture } from "../../../../test-support/reference/load.js";
import { ks2Samp, kolmogorovSf, KS_EXACT_MAX_N } from "./ks.js";

interface Case {
  name: string;
  a: number[];
  b: number[];
  statistic: number;
  pvalue: number;
  method: "exact" | "asymp";
  limitPvalue?: number;
}

describe("ks2Samp against scipy.stats.ks_2samp (method='auto')", () => {
  for (const c of fixture<Case>("ks.json")) {
    it(`${c.name}: n=${c.a.length}/${c.b.length}`, () => {
      const r = ks2Samp(c.a, c.b);
      expect(r.method).toBe(c.method);
      expect(Math.abs(r.statistic - c.statistic)).toBeLessThanOrEqual(1e-12);
      if (c.method === "exact") {
        expect(close(r.pvalue, c.pvalue), `p ${r.pvalue} vs scipy ${c.pvalue}`).toBe(true);
      } else {
        // Past 10,000 we compute the limiting distribution (see ks.ts) and match it exactly,
        // and SciPy's finite-n kstwo only approximately.
        expect(close(r.pvalue, c.limitPvalue!), `p ${r.pvalue} vs kstwobign ${c.limitPvalue}`).toBe(true);
        expect(Math.abs(r.pvalue - c.pvalue) / c.pvalue).toBeLessThan(0.05);
      }
    });
  }

  it("is symmetric in its samples", () => {
    const [c] = fixture<Case>("ks.json").filter((x) => x.name.startsWith("unequal coprime"));
    const ab = ks2Samp(c!.a, c!.b);
    const ba = ks2Samp(c!.b, c!.a);
    expect(ba.statistic).toBe(ab.statistic);
    expect(ba.pvalue).toBeCloseTo(ab.pvalue, 14);
  });

  it("switches to the asymptotic p-value only past KS_EXACT_MAX_N", () => {
    const a = Array.from({ length: KS_EXACT_MAX_N }, (_, i) => i / KS_EXACT_MAX_N);
    expect(ks2Samp(a, [0.5]).method).toBe("exact");
    expect(ks2Samp([...a, 1], [0.5]).method).toBe("asymp");
  });

  it("refuses an empty sample", () => {
    expect(() => ks2Samp([], [1])).toThrow(RangeError);
  });
});

describe("kolmogorovSf", () => {
  it("matches both of its series where they meet, and the known 5% point", () => {
    // Q(1.3580986) = 0.05 (the classic critical value).
    expect(kolmogorovSf(1.3580986393225505)).toBeCloseTo(0.05, 9);
    expect(kolmogorovSf(0.999999999)).toBeCloseTo(kolmogorovSf(1.000000001), 8);
    expect(kolmogorovSf(0)).toBe(1);
  });
});
