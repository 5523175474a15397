import { describe, expect, it } from "vitest";
import { chiSquareContingency, dropEmpty } from "./chi-square.js";
import { close, fixture } from "../../../../test-support/reference/load.js";

interface Result {
  statistic: number;
  pvalue: number;
  dof: number;
}
interface Case {
  name: string;
  table: number[][];
  yates: Result;
  plain: Result;
}

describe("chiSquareContingency against scipy.stats.chi2_contingency", () => {
  for (const c of fixture<Case>("chi-square.json")) {
    it(`${c.name}, correction on (SciPy's default)`, () => {
      const r = chiSquareContingency(c.table);
      expect(r.dof).toBe(c.yates.dof);
      expect(close(r.statistic, c.yates.statistic)).toBe(true);
      expect(close(r.pvalue, c.yates.pvalue), `${r.pvalue} vs ${c.yates.pvalue}`).toBe(true);
    });
    it(`${c.name}, correction off`, () => {
      const r = chiSquareContingency(c.table, { correction: false });
      expect(close(r.statistic, c.plain.statistic)).toBe(true);
      expect(close(r.pvalue, c.plain.pvalue)).toBe(true);
    });
  }

  it("refuses an empty category, and dropEmpty removes it", () => {
    const table = [
      [10, 0, 5],
      [20, 0, 7],
    ];
    expect(() => chiSquareContingency(table)).toThrow(RangeError);
    expect(dropEmpty(table)).toEqual([
      [10, 5],
      [20, 7],
    ]);
  });
});
