import { describe, expect, it } from "vitest";
import { close, fixture } from "../../../../test-support/reference/load.js";
import { adaptiveCalibrationError } from "./adaptive-calibration.js";

interface Case {
  name: string;
  confidence: number[];
  correct: boolean[];
  weight: number[];
  bins: number;
  ace: number;
}

describe("adaptiveCalibrationError against the NumPy definition (np.array_split of sorted labels)", () => {
  for (const c of fixture<Case>("adaptive-calibration.json")) {
    it(c.name, () => {
      const items = c.confidence.map((confidence, i) => ({ confidence, correct: c.correct[i]!, weight: c.weight[i]! }));
      expect(close(adaptiveCalibrationError(items, c.bins)!, c.ace, 1e-12)).toBe(true);
    });
  }

  it("is null without labels", () => {
    expect(adaptiveCalibrationError([])).toBeNull();
  });
});
