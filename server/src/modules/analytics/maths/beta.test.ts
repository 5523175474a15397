import { describe, expect, it } from "vitest";
import { close, fixture } from "../../../../test-support/reference/load.js";
import { betaIncomplete } from "./beta.js";

interface BetaCase {
  x: number;
  a: number;
  b: number;
  value: number;
}

describe("betaIncomplete", () => {
  it("matches scipy.special.betainc on both sides of the switch, at large a and b and in far tails", () => {
    const cases = fixture<BetaCase>("beta.json");
    expect(cases.length).toBeGreaterThan(400);
    let worst = 0;
    for (const c of cases) {
      const v = betaIncomplete(c.x, c.a, c.b);
      worst = Math.max(worst, Math.abs(v - c.value) / Math.max(c.value, Number.MIN_VALUE));
      expect(close(v, c.value, 1e-10), `I_${c.x}(${c.a}, ${c.b}) = ${v}, SciPy ${c.value}`).toBe(true);
    }
    expect(worst).toBeLessThan(1e-10);
  });

  it("is 0 and 1 at the ends, NaN outside its domain, and I_x(1, 1) = x", () => {
    expect(betaIncomplete(0, 2, 3)).toBe(0);
    expect(betaIncomplete(1, 2, 3)).toBe(1);
    expect(betaIncomplete(0.5, 0, 1)).toBeNaN();
    expect(betaIncomplete(1.5, 1, 1)).toBeNaN();
    for (const x of [0.01, 0.3, 0.77]) expect(close(betaIncomplete(x, 1, 1), x, 1e-15)).toBe(true);
  });
});
