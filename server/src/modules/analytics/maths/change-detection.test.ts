import { describe, expect, it } from "vitest";
import { detectRateChanges, twoProportionZTest } from "./change-detection.js";
import { close, fixture } from "../../../../test-support/reference/load.js";

interface Case {
  x1: number;
  n1: number;
  x2: number;
  n2: number;
  z: number;
  pvalue: number;
}

describe("twoProportionZTest against scipy.stats.norm", () => {
  for (const c of fixture<Case>("two-proportion.json")) {
    it(`${c.x1}/${c.n1} vs ${c.x2}/${c.n2}`, () => {
      const r = twoProportionZTest(c.x1, c.n1, c.x2, c.n2);
      expect(close(r.z, c.z)).toBe(true);
      expect(close(r.pvalue, c.pvalue), `${r.pvalue} vs ${c.pvalue}`).toBe(true);
    });
  }
});

describe("detectRateChanges", () => {
  const steady = Array.from({ length: 8 }, () => ({ count: 50, total: 1000 }));

  it("flags a step up in the escalation rate and not the steady windows before it", () => {
    const r = detectRateChanges([...steady, { count: 120, total: 1000 }]);
    expect(r.slice(0, 8).every((p) => !p.changed)).toBe(true);
    expect(r[8]).toMatchObject({ changed: true, direction: "up", rate: 0.12, baseline: 0.05 });
  });

  it("does not call a window within the days' usual wobble a change, which the binomial z-test did", () => {
    const wobbly = [120, 95, 140, 101, 130, 88, 150].map((count) => ({ count, total: 1000 }));
    expect(twoProportionZTest(674, 6000, 150, 1000).pvalue).toBeLessThan(0.001);
    const last = detectRateChanges(wobbly).at(-1)!;
    expect(last.changed).toBe(false);
    expect(last.dispersion!).toBeGreaterThan(4);
  });

  it("ignores a window too small to tell", () => {
    const r = detectRateChanges([...steady, { count: 5, total: 10 }]);
    expect(r[8]!.changed).toBe(false);
    expect(r[8]!.pvalue).toBeNull();
  });
});
