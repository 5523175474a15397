import { describe, expect, it } from "vitest";
import { trendGeometry } from "./trend-chart.js";

describe("trendGeometry", () => {
  it("puts one x per slice, evenly spaced inside the plot, and one point per defined value", () => {
    const g = trendGeometry([{ key: "a", label: "A", values: [0.1, null, 0.3, 0.2] }], 4, 400, 200, { margin: { top: 0, right: 0, bottom: 0, left: 0 } });
    expect(g.xs).toEqual([50, 150, 250, 350]);
    expect(g.lines[0]!.points.map((p) => p.i)).toEqual([0, 2, 3]);
    // A null slice is a gap: the path restarts (two "M" commands).
    expect(g.lines[0]!.path.match(/M/g)).toHaveLength(2);
  });

  it("runs y from 0 to a padded maximum, or to a fixed domain, higher values drawn higher", () => {
    const g = trendGeometry([{ key: "a", label: "A", values: [1, 2] }], 2, 100, 110, { margin: { top: 0, right: 0, bottom: 0, left: 0 } });
    expect(g.domain[0]).toBe(0);
    expect(g.domain[1]).toBeCloseTo(2.2);
    const [p0, p1] = g.lines[0]!.points;
    expect(p1!.y).toBeLessThan(p0!.y);
    expect(p1!.y).toBeCloseTo(10); // 2 of 2.2 on a 110 px plot
    const fixed = trendGeometry([{ key: "a", label: "A", values: [0.5] }], 1, 100, 100, { fixed: [0, 1], margin: { top: 0, right: 0, bottom: 0, left: 0 } });
    expect(fixed.lines[0]!.points[0]!.y).toBe(50);
  });

  it("keeps reference lines inside the domain and lets them raise it", () => {
    const g = trendGeometry([{ key: "psi", label: "PSI", values: [0.05, 0.02] }], 2, 100, 100, {
      refs: [
        { label: "watch", value: 0.1 },
        { label: "alert", value: 0.25 },
      ],
    });
    expect(g.domain[1]).toBeGreaterThanOrEqual(0.25);
    expect(g.refs.map((r) => r.label)).toEqual(["watch", "alert"]);
    const clipped = trendGeometry([{ key: "r", label: "rate", values: [0.5] }], 1, 100, 100, { fixed: [0, 0.2], refs: [{ label: "far", value: 0.9 }] });
    expect(clipped.refs).toEqual([]);
  });

  it("draws an all-empty series as nothing, on a [0, 1] domain", () => {
    const g = trendGeometry([{ key: "a", label: "A", values: [null, null] }], 2, 100, 100);
    expect(g.lines[0]!.path).toBe("");
    expect(g.lines[0]!.points).toEqual([]);
    expect(g.domain).toEqual([0, 1]);
  });

  it("labels at most about eight slices on the x axis, always the last", () => {
    const g = trendGeometry([{ key: "a", label: "A", values: Array(30).fill(1) }], 30, 600, 100);
    expect(g.xTicks.length).toBeLessThanOrEqual(9);
    expect(g.xTicks[g.xTicks.length - 1]!.i).toBe(29);
  });
});
