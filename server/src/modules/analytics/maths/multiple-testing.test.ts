import { describe, expect, it } from "vitest";
import { close, fixture } from "../../../../test-support/reference/load.js";
import { benjaminiHochberg } from "./multiple-testing.js";

interface Case {
  name: string;
  pvalues: number[];
  alpha: number;
  adjusted: number[];
  rejected: boolean[];
}

describe("benjaminiHochberg against statsmodels multipletests(method='fdr_bh')", () => {
  for (const c of fixture<Case>("benjamini-hochberg.json")) {
    it(c.name, () => {
      const adj = benjaminiHochberg(c.pvalues);
      adj.forEach((a, i) => expect(close(a!, c.adjusted[i]!, 1e-12), `${i}: ${a} vs ${c.adjusted[i]}`).toBe(true));
      expect(adj.map((a) => a! < c.alpha)).toEqual(c.rejected);
    });
  }

  it("leaves untested series out of the count", () => {
    expect(benjaminiHochberg([0.01, null, 0.04])).toEqual([0.02, null, 0.04]);
  });
});

describe("benjaminiHochberg's guarantee, by simulation", () => {
  /** mulberry32, seeded: the same count on every machine. */
  function rng(seed: number) {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = Math.imul(s ^ (s >>> 15), s | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // 20 independent tests, 16 true nulls (uniform p-values) and 4 real effects (p-values near 0):
  // BH at q keeps the expected share of false discoveries at most q·m0/m = 0.08.
  function meanFdp(reject: (p: number[]) => boolean[]): number {
    const r = rng(2026);
    const reps = 4_000;
    let total = 0;
    for (let k = 0; k < reps; k++) {
      const p = [...Array.from({ length: 16 }, () => r()), ...Array.from({ length: 4 }, () => r() ** 8)];
      const rej = reject(p);
      const n = rej.filter(Boolean).length;
      const falses = rej.slice(0, 16).filter(Boolean).length;
      total += n === 0 ? 0 : falses / n;
    }
    return total / reps;
  }

  it("keeps the false discovery rate at q·m0/m over 4,000 seeded replicates, where raw p-values do not", () => {
    const q = 0.1;
    const bh = meanFdp((p) => benjaminiHochberg(p).map((a) => a! < q));
    // Monte Carlo error of the mean is about 0.003: 0.01 of slack is three of them.
    expect(bh).toBeLessThanOrEqual(0.08 + 0.01);
    expect(bh).toBeGreaterThan(0.02); // it does reject: the bound is not met by never deciding
    expect(meanFdp((p) => p.map((x) => x < q))).toBeGreaterThan(0.2);
  });
});
