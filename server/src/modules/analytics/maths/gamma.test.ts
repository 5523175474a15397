import { describe, expect, it } from "vitest";
import { close, fixture } from "../../../../test-support/reference/load.js";
import { gammaQ, logGamma } from "./gamma.js";

interface GammaCase {
  a: number;
  x: number;
  q: number;
}

describe("gammaQ", () => {
  it("matches scipy.special.gammaincc to 1e-12 relative over both regimes and far tails", () => {
    const cases = fixture<GammaCase>("gamma.json");
    expect(cases.length).toBeGreaterThan(90);
    for (const c of cases) expect(close(gammaQ(c.a, c.x), c.q, 1e-12), `Q(${c.a}, ${c.x}) = ${gammaQ(c.a, c.x)}, SciPy ${c.q}`).toBe(true);
  });

  it("is 1 at x = 0, 0 at infinity, and NaN outside its domain", () => {
    expect(gammaQ(2, 0)).toBe(1);
    expect(gammaQ(2, Number.POSITIVE_INFINITY)).toBe(0);
    expect(gammaQ(0, 1)).toBeNaN();
    expect(gammaQ(1, -1)).toBeNaN();
  });

  it("gives Q(1, x) = e^-x and ln Γ(½) = ln √π exactly enough", () => {
    for (const x of [0.1, 1, 5, 30]) expect(close(gammaQ(1, x), Math.exp(-x), 1e-14)).toBe(true);
    expect(close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-15)).toBe(true);
  });
});
