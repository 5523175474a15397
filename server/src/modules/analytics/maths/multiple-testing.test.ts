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
