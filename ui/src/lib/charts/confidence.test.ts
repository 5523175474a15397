import { describe, expect, it } from "vitest";
import { confidenceBand, formatConfidence, formatRate } from "./confidence.js";

describe("confidence bands", () => {
  it("bands confidence at 0.6 and 0.85, lower bound inclusive", () => {
    expect([0, 0.59, 0.6, 0.84, 0.85, 1].map(confidenceBand)).toEqual(["low", "low", "mid", "mid", "high", "high"]);
  });
  it("calls missing or non-finite confidence unknown", () => {
    expect([null, undefined, Number.NaN].map(confidenceBand)).toEqual(["unknown", "unknown", "unknown"]);
  });
  it("formats confidence and rates for display", () => {
    expect(formatConfidence(0.456)).toBe("0.46");
    expect(formatConfidence(null)).toBe("—");
    expect(formatRate(0.1234)).toBe("12.3%");
    expect(formatRate(null)).toBe("—");
  });
});
