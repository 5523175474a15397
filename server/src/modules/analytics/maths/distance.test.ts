import { describe, expect, it } from "vitest";
import { close, fixture } from "../../../../test-support/reference/load.js";
import { jensenShannon, normalisedWasserstein, standardDeviation, wasserstein1 } from "./distance.js";

interface WCase {
  name: string;
  a: number[];
  b: number[];
  distance: number;
  baselineStd: number;
  normalised: number;
}
interface JCase {
  name: string;
  p: number[];
  q: number[];
  distance: number;
}

describe("wasserstein1 against scipy.stats.wasserstein_distance", () => {
  for (const c of fixture<WCase>("wasserstein.json")) {
    it(c.name, () => {
      expect(close(wasserstein1(c.a, c.b), c.distance, 1e-10)).toBe(true);
      expect(close(standardDeviation(c.a), c.baselineStd, 1e-12)).toBe(true);
      expect(close(normalisedWasserstein(c.a, c.b)!, c.normalised, 1e-10)).toBe(true);
    });
  }

  it("is 0 for constant equal samples and null when nothing gives a scale", () => {
    expect(normalisedWasserstein([1, 1], [1, 1])).toBe(0);
    expect(normalisedWasserstein([1, 1], [1])).toBe(0);
  });
});

describe("jensenShannon against scipy.spatial.distance.jensenshannon(base=2)", () => {
  for (const c of fixture<JCase>("jensen-shannon.json")) {
    it(c.name, () => {
      expect(close(jensenShannon(c.p, c.q)!, c.distance, 1e-10), `${jensenShannon(c.p, c.q)} vs ${c.distance}`).toBe(true);
    });
  }
});
