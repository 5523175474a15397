import { describe, expect, it } from "vitest";
import { formatDuration, shortId } from "./format.js";

describe("format", () => {
  it("formats durations by magnitude", () => {
    expect(formatDuration(12.4)).toBe("12 ms");
    expect(formatDuration(1500)).toBe("1.5 s");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
    expect(formatDuration(null)).toBe("—");
  });
  it("reads long durations in natural units, leaving zero parts out", () => {
    expect(formatDuration(1440 * 60_000)).toBe("1 day");
    expect(formatDuration(3 * 86_400_000)).toBe("3 days");
    expect(formatDuration(86_400_000 + 5 * 3_600_000)).toBe("1 day 5 h");
    expect(formatDuration(3_600_000)).toBe("1 h");
    expect(formatDuration(90 * 60_000)).toBe("1 h 30 min");
    expect(formatDuration(5 * 60_000)).toBe("5 min");
    // Rounding never shows "60 min" or "24 h 0 min".
    expect(formatDuration(3_600_000 - 200)).toBe("1 h");
    expect(formatDuration(86_400_000 - 1000)).toBe("1 day");
  });
  it("shortens long ids but keeps short ones", () => {
    expect(shortId("01a20b33-eca5-7324-b1aa-edb3468a927b")).toBe("01a20b33…927b");
    expect(shortId("run-1")).toBe("run-1");
  });
});
