import { scaleLinear, scaleSqrt } from "d3-scale";

/** One bin as the calibration API sends it (server/src/analytics/reliability.ts). */
export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  meanConfidence: number;
  accuracy: number;
  wilson: [number, number];
}

export interface ReliabilityMark {
  /** The bin's span on the x axis (its confidence range). */
  x0: number;
  x1: number;
  /** Accuracy point: at the bin's mean confidence. */
  cx: number;
  cy: number;
  /** Point radius grows with the count (area ∝ count), so thin bins look thin. */
  r: number;
  /** Wilson interval whisker. */
  y0: number;
  y1: number;
  /** Gap to the diagonal: accuracy − mean confidence (negative: over-confident). */
  gap: number;
  count: number;
  /** Baseline of the count label: above the whisker, or below it where the top has no room. */
  labelY: number;
}

export interface ReliabilityGeometry {
  marks: ReliabilityMark[];
  /** The perfect-calibration diagonal. */
  diagonal: { x1: number; y1: number; x2: number; y2: number };
  ticks: Array<{ value: number; x: number; y: number; label: string }>;
  plot: { left: number; top: number; right: number; bottom: number };
  /** Where the axis titles go: x under the tick labels, y rotated left of them. */
  axes: { x: { x: number; y: number }; y: { x: number; y: number } };
}

/** Count labels' font size in px (ReliabilityChart.svelte's .count). */
export const COUNT_FONT = 10;

/**
 * A reliability diagram's geometry: x = confidence, y = observed accuracy, both [0, 1]; one mark
 * per non-empty bin with its Wilson interval. Pure; ReliabilityChart.svelte only draws it.
 */
export function reliabilityGeometry(
  bins: readonly ReliabilityBin[],
  width: number,
  height: number,
  margin = { top: 10, right: 16, bottom: 36, left: 52 },
): ReliabilityGeometry {
  const plot = { left: margin.left, top: margin.top, right: width - margin.right, bottom: height - margin.bottom };
  const x = scaleLinear().domain([0, 1]).range([plot.left, plot.right]).clamp(true);
  const y = scaleLinear().domain([0, 1]).range([plot.bottom, plot.top]).clamp(true);
  const maxCount = Math.max(1, ...bins.map((b) => b.count));
  const r = scaleSqrt().domain([0, maxCount]).range([2, 9]);
  const marks = bins
    .filter((b) => b.count > 0)
    .map((b) => {
      const [cy, rad, y0, y1] = [y(b.accuracy), r(b.count), y(b.wilson[0]), y(b.wilson[1])];
      // A label above a mark near the top would be cut by the chart's edge: it goes below then.
      const above = Math.min(y1, cy - rad) - 4;
      const labelY = above - COUNT_FONT >= 0 ? above : Math.min(height - 2, Math.max(y0, cy + rad) + COUNT_FONT + 2);
      return { x0: x(b.lower), x1: x(b.upper), cx: x(b.meanConfidence), cy, r: rad, y0, y1, gap: b.accuracy - b.meanConfidence, count: b.count, labelY };
    });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((v) => ({ value: v, x: x(v), y: y(v), label: v.toFixed(2) }));
  const axes = { x: { x: (plot.left + plot.right) / 2, y: height - 4 }, y: { x: 12, y: (plot.top + plot.bottom) / 2 } };
  return { marks, diagonal: { x1: x(0), y1: y(0), x2: x(1), y2: y(1) }, ticks, plot, axes };
}
