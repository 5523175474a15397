import { describe, expect, it } from "vitest";
import { formatDuration, shortId } from "./format.js";

describe("format", () => {
  it("formats durations by magnitude", () => {
    expect(formatDuration(12.4)).toBe("12 ms");
    expect(formatDuration(1500)).toBe("1.5 s");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
    expect(formatDuration(null)).toBe("—");
  });
  it("shortens long ids but keeps short ones", () => {
    expect(shortId("01a20b33-eca5-7324-b1aa-edb3468a927b")).toBe("01a20b33…927b");
    expect(shortId("run-1")).toBe("run-1");
  });
});
