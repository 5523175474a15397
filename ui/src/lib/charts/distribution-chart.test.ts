import { describe, expect, it } from "vitest";
import { binLabels, distributionGeometry } from "./distribution-chart.js";

const M = { top: 0, right: 0, bottom: 0, left: 0 };

describe("distributionGeometry", () => {
  it("draws each side as its share of its own total, so windows of different sizes compare", () => {
    const g = distributionGeometry({ kind: "categorical", categories: ["a", "b"], baseline: [10, 30], current: [50, 50] }, 200, 100, M);
    expect(g.totals).toEqual({ baseline: 40, current: 100 });
    expect(g.bins.map((b) => b.baseline.share)).toEqual([0.25, 0.75]);
    expect(g.bins.map((b) => b.current.share)).toEqual([0.5, 0.5]);
    // Bars on one scale: the larger share is the taller bar, and heights are proportional.
    expect(g.bins[1]!.baseline.h).toBeGreaterThan(g.bins[1]!.current.h);
    expect(g.bins[1]!.baseline.h / g.bins[0]!.baseline.h).toBeCloseTo(3);
    expect(g.bins[0]!.baseline.y + g.bins[0]!.baseline.h).toBeCloseTo(100);
  });

  it("lays bins out as equal bands, left to right, inside the plot", () => {
    const g = distributionGeometry({ kind: "numeric", edges: [0, 1, 2, 10], baseline: [1, 1, 1], current: [0, 1, 2] }, 300, 100, M);
    expect(g.bins).toHaveLength(3);
    expect(new Set(g.bins.map((b) => b.width.toFixed(6))).size).toBe(1);
    expect(g.bins[0]!.x).toBeLessThan(g.bins[1]!.x);
    expect(g.bins[2]!.x + g.bins[2]!.width).toBeLessThanOrEqual(300);
    expect(g.bins[0]!.x).toBeGreaterThanOrEqual(0);
  });

  it("names every bin on the axis up to ten, every other one of twenty", () => {
    const ten = distributionGeometry({ kind: "categorical", categories: [..."abcdefghij"], baseline: Array(10).fill(1), current: Array(10).fill(1) }, 500, 100);
    expect(ten.bins.every((b) => b.labelled)).toBe(true);
    const edges = Array.from({ length: 21 }, (_, i) => i / 20);
    const twenty = distributionGeometry({ kind: "numeric", edges, baseline: Array(20).fill(1), current: Array(20).fill(1) }, 500, 100);
    expect(twenty.bins.filter((b) => b.labelled)).toHaveLength(10);
  });

  it("labels numeric bins by their range and categorical bins by name", () => {
    expect(binLabels({ kind: "numeric", edges: [0, 0.5, 1], baseline: [1, 1], current: [1, 1] })).toEqual(["0–0.5", "0.5–1"]);
    expect(binLabels({ kind: "numeric", edges: [900, 1250.4, 2000], baseline: [1, 1], current: [1, 1] })).toEqual(["900.0–1250", "1250–2000"]);
    expect(binLabels({ kind: "categorical", categories: ["storm", "fire"], baseline: [1, 1], current: [1, 1] })).toEqual(["storm", "fire"]);
  });

  it("draws an empty side as zero-height bars rather than dividing by zero", () => {
    const g = distributionGeometry({ kind: "categorical", categories: ["a"], baseline: [0], current: [3] }, 100, 100, M);
    expect(g.bins[0]!.baseline).toMatchObject({ share: 0, h: 0 });
    expect(g.bins[0]!.current.share).toBe(1);
    expect(g.yTicks.at(-1)!.label).toBe("100%");
  });
});
