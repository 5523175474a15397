import { extent } from "d3-array";
import { scaleLinear } from "d3-scale";
import { line } from "d3-shape";

export interface SparklineGeometry {
  /** SVG path for the line; "" when there is nothing to draw. */
  path: string;
  /** The last defined point, marked with a dot. */
  last: { x: number; y: number } | null;
  /** Domain actually drawn (after padding a flat series). */
  domain: [number, number] | null;
}

/**
 * A sparkline's geometry: x by index (buckets are evenly spaced in time), y scaled to the
 * values' extent, or to `fixed` (rates in [0, 1]) so two cards compare by eye. Null values are
 * gaps (an hour with no data is not a zero).
 */
export function sparkline(
  values: readonly (number | null)[],
  width: number,
  height: number,
  opts: { fixed?: [number, number]; pad?: number } = {},
): SparklineGeometry {
  const pad = opts.pad ?? 2;
  const defined = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (defined.length === 0) return { path: "", last: null, domain: null };
  let [lo, hi] = opts.fixed ?? (extent(defined) as [number, number]);
  // A flat series is drawn across the middle rather than collapsing the scale.
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const x = scaleLinear()
    .domain([0, Math.max(values.length - 1, 1)])
    .range([pad, width - pad]);
  const y = scaleLinear()
    .domain([lo, hi])
    .range([height - pad, pad])
    .clamp(true);
  const gen = line<number | null>()
    .defined((v) => v !== null && Number.isFinite(v))
    .x((_, i) => x(i))
    .y((v) => y(v as number));
  const path = gen(values as (number | null)[]) ?? "";
  let lastIndex = values.length - 1;
  while (lastIndex >= 0 && (values[lastIndex] === null || !Number.isFinite(values[lastIndex]))) lastIndex--;
  const last = { x: x(lastIndex), y: y(values[lastIndex] as number) };
  return { path, last, domain: [lo, hi] };
}

/**
 * Counts timestamps into `buckets` equal slices of [from, to): a "per day" series for things
 * the API lists but does not aggregate (runs, alerts). Times outside the window are ignored.
 */
export function countByBucket(times: readonly (string | number)[], from: number, to: number, buckets: number): number[] {
  const counts = new Array<number>(Math.max(0, buckets)).fill(0);
  if (buckets <= 0 || to <= from) return counts;
  const span = (to - from) / buckets;
  for (const t of times) {
    const ms = typeof t === "number" ? t : Date.parse(t);
    if (!Number.isFinite(ms) || ms < from || ms >= to) continue;
    counts[Math.min(buckets - 1, Math.floor((ms - from) / span))]!++;
  }
  return counts;
}
