import { describe, expect, it } from "vitest";
import { COUNT_FONT, reliabilityGeometry, type ReliabilityBin } from "./reliability-chart.js";

const bin = (lower: number, count: number, meanConfidence: number, accuracy: number, wilson: [number, number]): ReliabilityBin => ({
  lower,
  upper: lower + 0.05,
  count,
  meanConfidence,
  accuracy,
  wilson,
});
const M = { top: 0, right: 0, bottom: 0, left: 0 };

describe("reliabilityGeometry", () => {
  it("draws one mark per non-empty bin", () => {
    const g = reliabilityGeometry([bin(0.7, 6, 0.72, 0.5, [0.2, 0.8]), bin(0.8, 0, 0.82, 0, [0, 1]), bin(0.9, 6, 0.94, 1, [0.6, 1])], 100, 100, M);
    expect(g.marks).toHaveLength(2);
  });

  it("places accuracy against mean confidence on unit scales, y inverted", () => {
    const g = reliabilityGeometry([bin(0.7, 4, 0.72, 0.5, [0.25, 0.75])], 100, 200, M);
    const m = g.marks[0]!;
    expect(m.cx).toBeCloseTo(72);
    expect(m.cy).toBeCloseTo(100);
    expect([m.x0, m.x1].map((v) => Math.round(v))).toEqual([70, 75]);
    expect(m.y0).toBeCloseTo(150); // lower bound of the interval sits lower on screen
    expect(m.y1).toBeCloseTo(50);
    expect(m.gap).toBeCloseTo(-0.22);
  });

  it("runs the diagonal from (0,0) to (1,1) inside the margins", () => {
    const g = reliabilityGeometry([], 140, 110, { top: 10, right: 10, bottom: 20, left: 30 });
    expect(g.diagonal).toEqual({ x1: 30, y1: 90, x2: 130, y2: 10 });
    expect(g.ticks.map((t) => t.label)).toEqual(["0.00", "0.25", "0.50", "0.75", "1.00"]);
  });

  it("sizes points by count, area proportional, the largest at the maximum radius", () => {
    const g = reliabilityGeometry([bin(0.1, 1, 0.12, 0, [0, 0.8]), bin(0.5, 100, 0.52, 0.5, [0.4, 0.6])], 100, 100, M);
    expect(g.marks[1]!.r).toBeCloseTo(9);
    expect(g.marks[0]!.r).toBeLessThan(g.marks[1]!.r);
  });

  it("keeps every count label inside the chart: above the mark, or below it at the top edge", () => {
    const height = 340;
    const g = reliabilityGeometry([bin(0.9, 6, 0.94, 1, [0.6, 1]), bin(0.5, 6, 0.52, 0.5, [0.3, 0.7])], 420, height);
    const [top, middle] = g.marks;
    // Baselines: the text spans [labelY − font size, labelY].
    for (const m of g.marks) {
      expect(m.labelY - COUNT_FONT).toBeGreaterThanOrEqual(0);
      expect(m.labelY).toBeLessThanOrEqual(height);
    }
    expect(top!.labelY).toBeGreaterThan(top!.cy);
    expect(middle!.labelY).toBeLessThan(middle!.y1);
  });

  it("leaves room for both axis titles", () => {
    const g = reliabilityGeometry([], 420, 340);
    expect(g.axes.y.x).toBeLessThan(g.plot.left - 30); // left of the tick labels ("0.75" at ~24 px)
    expect(g.axes.x.y).toBeGreaterThan(g.plot.bottom + 20); // under the tick labels
  });
});
