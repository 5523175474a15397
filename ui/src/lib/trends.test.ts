import { describe, expect, it } from "vitest";
import { levelText, pct, sliceLabel } from "./trends.js";

describe("trend helpers", () => {
  it("labels day slices by UTC date and hour slices by hour", () => {
    expect(sliceLabel("2026-03-05T00:00:00.000Z", "2026-03-06T00:00:00.000Z")).toBe("Mar 5");
    expect(sliceLabel("2026-03-05T14:00:00.000Z", "2026-03-05T15:00:00.000Z")).toBe("14:00");
  });
  it("formats rates as percentages and missing ones as a dash", () => {
    expect(pct(0.0909)).toBe("9.1%");
    expect(pct(null)).toBe("—");
  });
  it("names an insufficient drift verdict in words", () => {
    expect(levelText("insufficient")).toBe("not enough data");
    expect(levelText("alert")).toBe("alert");
  });
});
