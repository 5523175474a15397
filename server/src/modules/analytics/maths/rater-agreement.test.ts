import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { agreement } from "./agreement.js";
import { fleissKappa, krippendorffAlpha, percentAgreement } from "./rater-agreement.js";
import { close } from "../../../../test-support/reference/load.js";

interface MultiCase {
  name: string;
  items: string[][];
  percentAgreement: number | null;
  fleissKappa: number | null;
  krippendorffAlpha: number | null;
}
interface PairCase {
  name: string;
  a: string[];
  b: string[];
  labels: string[];
  kappa: number | null;
}

// Written by make-review-fixtures.py: statsmodels' fleiss_kappa, scikit-learn's cohen_kappa_score,
// Krippendorff's alpha and percent agreement in NumPy.
const reference = JSON.parse(readFileSync(new URL("../../../../test-support/reference/rater-agreement.json", import.meta.url), "utf8")) as {
  cases: { multi: MultiCase[]; pairs: PairCase[] };
};

const same = (actual: number | null, expected: number | null) => {
  if (expected === null) expect(actual).toBeNull();
  else expect(close(actual!, expected, 1e-12), `${actual} vs ${expected}`).toBe(true);
};

describe("agreement among several raters, against statsmodels and NumPy", () => {
  for (const c of reference.cases.multi) {
    it(c.name, () => {
      same(percentAgreement(c.items), c.percentAgreement);
      same(krippendorffAlpha(c.items), c.krippendorffAlpha);
      if (new Set(c.items.map((i) => i.length)).size === 1) same(fleissKappa(c.items), c.fleissKappa);
      else expect(() => fleissKappa(c.items)).toThrow(RangeError);
    });
  }

  it("has a case where each measure is defined and one where κ and α are not", () => {
    expect(reference.cases.multi.some((c) => c.fleissKappa !== null && c.krippendorffAlpha !== null)).toBe(true);
    expect(reference.cases.multi.some((c) => c.fleissKappa === null && c.krippendorffAlpha === null)).toBe(true);
  });
});

describe("Cohen's κ for one pair of raters, against scikit-learn", () => {
  for (const c of reference.cases.pairs) {
    it(c.name, () => {
      const r = agreement(
        c.a.map((judge, i) => ({ judge, truth: c.b[i]! })),
        c.labels,
      );
      same(r.kappa, c.kappa);
    });
  }
});

describe("edge cases", () => {
  it("answers null with nothing pairable", () => {
    expect(percentAgreement([["accept"], []])).toBeNull();
    expect(krippendorffAlpha([["accept"]])).toBeNull();
    expect(fleissKappa([])).toBeNull();
  });
});
