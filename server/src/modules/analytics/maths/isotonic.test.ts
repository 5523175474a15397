import { describe, expect, it } from "vitest";
import { close, fixture } from "../../../../test-support/reference/load.js";
import { applyCalibrationMap, fitCalibrationMap, isotonicRegression } from "./isotonic.js";

interface Case {
  name: string;
  y: number[];
  weights: number[];
  fitted: number[];
}
interface MapCase {
  name: string;
  confidence: number[];
  correct: number[];
  weight: number[];
  x: number[];
  fitted: number[];
  queries: number[];
  mapped: number[];
}

describe("isotonicRegression against scipy.optimize.isotonic_regression", () => {
  for (const c of fixture<Case>("isotonic.json")) {
    it(c.name, () => {
      const fit = isotonicRegression(c.y, c.weights);
      expect(fit.length).toBe(c.fitted.length);
      fit.forEach((v, i) => expect(close(v, c.fitted[i]!), `${i}: ${v} vs ${c.fitted[i]}`).toBe(true));
    });
  }
});

describe("fitCalibrationMap: ties pooled, PAV, read like numpy.interp", () => {
  for (const c of fixture<MapCase>("calibration-map.json")) {
    it(c.name, () => {
      const map = fitCalibrationMap(c.confidence.map((confidence, i) => ({ confidence, accuracy: c.correct[i]!, weight: c.weight[i]! })))!;
      // Compressed, yet the same function at every fitted point and every query.
      expect(map.x.length).toBeLessThan(c.x.length);
      c.x.forEach((x, i) => expect(close(applyCalibrationMap(map, x), c.fitted[i]!)).toBe(true));
      c.queries.forEach((q, i) => expect(close(applyCalibrationMap(map, q), c.mapped[i]!), `${q}`).toBe(true));
      for (let i = 1; i < map.y.length; i++) expect(map.y[i]!).toBeGreaterThanOrEqual(map.y[i - 1]!);
    });
  }

  it("has no map without labels", () => {
    expect(fitCalibrationMap([])).toBeNull();
  });
});
