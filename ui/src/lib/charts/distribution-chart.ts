import { scaleBand, scaleLinear } from "d3-scale";

/** Both sides' counts over the same bins, as the drift API sends them. */
export type Histogram =
  | { kind: "numeric"; edges: number[]; baseline: number[]; current: number[] }
  | { kind: "categorical"; categories: string[]; baseline: number[]; current: number[] };

export interface DistributionBin {
  label: string;
  /** Whether the axis names this bin: every k-th when there are more than ten. */
  labelled: boolean;
  x: number;
  width: number;
  /** Share of the side's total in this bin, and its bar (top y and height). */
  baseline: { share: number; count: number; y: number; h: number };
  current: { share: number; count: number; y: number; h: number };
}

export interface DistributionGeometry {
  plot: { left: number; top: number; right: number; bottom: number };
  bins: DistributionBin[];
  yTicks: Array<{ value: number; y: number; label: string }>;
  totals: { baseline: number; current: number };
}

const short = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : String(+v.toFixed(2)));

/** Bin labels: categories as they are, numeric bins as their range (right-closed, as PSI counts them). */
export function binLabels(h: Histogram): string[] {
  if (h.kind === "categorical") return h.categories;
  return h.baseline.map((_, i) => `${short(h.edges[i]!)}–${short(h.edges[i + 1]!)}`);
}

/**
 * Baseline and current distributions drawn over each other on one scale. Each side is shown as
 * its share of its own total, since the windows hold different numbers of observations and PSI
 * compares shares; the shared y axis runs to the larger share. Bins are equally wide bands
 * (PSI's bins are the baseline's deciles, so equal bands show equal-mass bins as equal-width).
 */
export function distributionGeometry(h: Histogram, width: number, height: number, margin = { top: 10, right: 36, bottom: 48, left: 44 }): DistributionGeometry {
  const plot = { left: margin.left, top: margin.top, right: width - margin.right, bottom: height - margin.bottom };
  const labels = binLabels(h);
  const sum = (xs: readonly number[]) => xs.reduce((s, v) => s + v, 0);
  const totals = { baseline: sum(h.baseline), current: sum(h.current) };
  const share = (c: number, t: number) => (t > 0 ? c / t : 0);
  const top = Math.max(0, ...h.baseline.map((c) => share(c, totals.baseline)), ...h.current.map((c) => share(c, totals.current)));
  const y = scaleLinear()
    .domain([0, top > 0 ? Math.min(1, top * 1.1) : 1])
    .range([plot.bottom, plot.top])
    .nice();
  const x = scaleBand<number>()
    .domain(labels.map((_, i) => i))
    .range([plot.left, plot.right])
    .paddingInner(0.15)
    .paddingOuter(0.05);
  const bar = (count: number, total: number) => {
    const s = share(count, total);
    return { share: s, count, y: y(s), h: plot.bottom - y(s) };
  };
  const every = Math.ceil(labels.length / 10);
  const bins = labels.map((label, i) => ({
    label,
    labelled: i % every === 0,
    x: x(i)!,
    width: x.bandwidth(),
    baseline: bar(h.baseline[i] ?? 0, totals.baseline),
    current: bar(h.current[i] ?? 0, totals.current),
  }));
  const yTicks = y.ticks(4).map((value) => ({ value, y: y(value), label: `${Math.round(value * 100)}%` }));
  return { plot, bins, yTicks, totals };
}
