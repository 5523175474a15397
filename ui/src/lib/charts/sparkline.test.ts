import { describe, expect, it } from "vitest";
import { countByBucket, sparkline } from "./sparkline.js";

describe("sparkline", () => {
  it("draws nothing for an empty or all-missing series", () => {
    expect(sparkline([], 100, 20)).toEqual({ path: "", last: null, domain: null });
    expect(sparkline([null, null], 100, 20).path).toBe("");
  });

  it("spans the width by index and maps the extent to the height (inverted)", () => {
    const g = sparkline([0, 5, 10], 100, 20, { pad: 0 });
    expect(g.path).toBe("M0,20L50,10L100,0");
    expect(g.last).toEqual({ x: 100, y: 0 });
  });

  it("uses a fixed domain when given, so rates compare across cards", () => {
    const g = sparkline([0.5, 0.5], 10, 10, { fixed: [0, 1], pad: 0 });
    expect(g.path).toBe("M0,5L10,5");
    expect(g.domain).toEqual([0, 1]);
  });

  it("draws a flat series across the middle instead of dividing by zero", () => {
    const g = sparkline([3, 3, 3], 10, 10, { pad: 0 });
    expect(g.path).toBe("M0,5L5,5L10,5");
  });

  it("leaves gaps for missing buckets and marks the last defined value", () => {
    const g = sparkline([1, null, 3, null], 30, 10, { pad: 0 });
    // d3 draws an isolated point as a zero-length closed subpath (M…Z).
    expect(g.path).toBe("M0,10ZM20,0Z");
    expect(g.last).toEqual({ x: 20, y: 0 });
  });

  it("places a single value at the left edge", () => {
    const g = sparkline([7], 50, 10, { pad: 0 });
    expect(g.path).toBe("M0,5Z");
    expect(g.last).toEqual({ x: 0, y: 5 });
  });
});

describe("countByBucket", () => {
  const DAY = 86_400_000;
  it("counts times into equal slices, lower edge inclusive", () => {
    const times = [0, DAY - 1, DAY, 2 * DAY + 5, new Date(2 * DAY + 6).toISOString()];
    expect(countByBucket(times, 0, 3 * DAY, 3)).toEqual([2, 1, 2]);
  });
  it("ignores times outside the window and unparseable ones", () => {
    expect(countByBucket([-1, 3 * DAY, "not a date"], 0, 3 * DAY, 3)).toEqual([0, 0, 0]);
  });
  it("returns no buckets for an empty window", () => {
    expect(countByBucket([1], 5, 5, 3)).toEqual([0, 0, 0]);
    expect(countByBucket([1], 0, 5, 0)).toEqual([]);
  });
});
