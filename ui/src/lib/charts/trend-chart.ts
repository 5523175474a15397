import { max } from "d3-array";
import { scaleLinear } from "d3-scale";
import { line } from "d3-shape";

/** One line of a trend chart: a value per time slice (null: no data in that slice, a gap). */
export interface TrendSeries {
  key: string;
  label: string;
  values: readonly (number | null)[];
}

export interface TrendGeometry {
  plot: { left: number; top: number; right: number; bottom: number };
  /** Centre x of each slice; slices are evenly spaced in time. */
  xs: number[];
  lines: Array<{ key: string; label: string; path: string; points: Array<{ i: number; x: number; y: number; value: number }> }>;
  yTicks: Array<{ value: number; y: number; label: string }>;
  /** A tick under every slice when there are few, every k-th otherwise, always the last. */
  xTicks: Array<{ i: number; x: number }>;
  /** Horizontal reference lines (PSI cut-offs), clipped to the domain. */
  refs: Array<{ label: string; value: number; y: number }>;
  domain: [number, number];
}

/**
 * A multi-line trend over time slices: x by slice index, y from 0 (rates, PSI and p-values are
 * all non-negative) to `fixed` or the largest value and reference line, padded so the top point
 * is not on the frame. Gaps stay gaps. Pure: TrendChart.svelte only draws it.
 */
export function trendGeometry(
  series: readonly TrendSeries[],
  slices: number,
  width: number,
  height: number,
  opts: {
    fixed?: [number, number];
    refs?: Array<{ label: string; value: number }>;
    format?: (v: number) => string;
    margin?: { top: number; right: number; bottom: number; left: number };
  } = {},
): TrendGeometry {
  const m = opts.margin ?? { top: 10, right: 12, bottom: 26, left: 46 };
  const plot = { left: m.left, top: m.top, right: width - m.right, bottom: height - m.bottom };
  const finite = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);
  const refs = opts.refs ?? [];
  let domain: [number, number];
  if (opts.fixed) domain = opts.fixed;
  else {
    const top = max([...series.flatMap((s) => s.values.filter(finite)), ...refs.map((r) => r.value)]) ?? 0;
    domain = [0, top > 0 ? top * 1.1 : 1];
  }
  const n = Math.max(slices, 1);
  const band = (plot.right - plot.left) / n;
  const xs = Array.from({ length: slices }, (_, i) => plot.left + band * (i + 0.5));
  const y = scaleLinear().domain(domain).range([plot.bottom, plot.top]).clamp(true);
  const fmt = opts.format ?? ((v: number) => String(+v.toFixed(3)));
  const lines = series.map((s) => {
    const gen = line<number | null>()
      .defined((v) => finite(v))
      .x((_, i) => xs[i] ?? plot.left)
      .y((v) => y(v as number));
    const values = s.values.slice(0, slices);
    const points = values.flatMap((v, i) => (finite(v) ? [{ i, x: xs[i]!, y: y(v), value: v }] : []));
    return { key: s.key, label: s.label, path: gen(values as (number | null)[]) ?? "", points };
  });
  const yTicks = y.ticks(4).map((value) => ({ value, y: y(value), label: fmt(value) }));
  const every = Math.max(1, Math.ceil(slices / 8));
  const xTicks = xs.flatMap((x, i) => (i % every === 0 || i === slices - 1 ? [{ i, x }] : []));
  const refLines = refs.filter((r) => r.value >= domain[0] && r.value <= domain[1]).map((r) => ({ ...r, y: y(r.value) }));
  return { plot, xs, lines, yTicks, xTicks, refs: refLines, domain };
}
