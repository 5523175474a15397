/**
 * Isotonic regression by pool-adjacent-violators (Ayer et al. 1955; Best & Chakravarti 1990),
 * with case weights: the non-decreasing fit minimising Σ wᵢ(yᵢ − fᵢ)², as
 * `scipy.optimize.isotonic_regression(y, weights=w)` computes it. O(n) after sorting.
 *
 * Recalibration fits it to labels against raw confidence and serves the result as a
 * piecewise-linear map from raw to calibrated confidence.
 */

/** The fitted values for `y` in the given order (weights default to 1; must be positive). */
export function isotonicRegression(y: readonly number[], weights?: readonly number[]): number[] {
  const n = y.length;
  // Blocks as a stack: mean, weight and length of each pool.
  const mean = new Float64Array(n);
  const weight = new Float64Array(n);
  const length = new Int32Array(n);
  let top = -1;
  for (let i = 0; i < n; i++) {
    let m = y[i]!;
    let w = weights?.[i] ?? 1;
    let len = 1;
    // Pool with the previous block while it is higher: the fit must not decrease.
    while (top >= 0 && mean[top]! >= m) {
      const W = weight[top]! + w;
      m = (mean[top]! * weight[top]! + m * w) / W;
      w = W;
      len += length[top]!;
      top--;
    }
    top++;
    mean[top] = m;
    weight[top] = w;
    length[top] = len;
  }
  const out = new Array<number>(n);
  let k = 0;
  for (let b = 0; b <= top; b++) for (let j = 0; j < length[b]!; j++) out[k++] = mean[b]!;
  return out;
}

/** A monotone map from raw to calibrated confidence, read by linear interpolation. */
export interface CalibrationMap {
  /** Strictly increasing raw confidences. */
  x: number[];
  /** Calibrated values at `x`, non-decreasing. */
  y: number[];
}

export interface CalibrationPoint {
  confidence: number;
  /** Observed accuracy at this confidence (1/0 for one label, a share for a bin). */
  accuracy: number;
  weight: number;
}

/**
 * Fits the map: points at the same confidence are pooled (weighted mean) first, then PAV. Flat
 * runs are reduced to their two ends, which leaves the interpolated function unchanged and the
 * served map short. Null without points.
 */
export function fitCalibrationMap(points: readonly CalibrationPoint[]): CalibrationMap | null {
  const usable = points.filter((p) => p.weight > 0 && Number.isFinite(p.confidence) && Number.isFinite(p.accuracy));
  if (usable.length === 0) return null;
  const sorted = [...usable].sort((a, b) => a.confidence - b.confidence);
  const xs: number[] = [];
  const ys: number[] = [];
  const ws: number[] = [];
  const sums: number[] = [];
  for (const p of sorted) {
    const last = xs.length - 1;
    if (last >= 0 && xs[last] === p.confidence) {
      ws[last]! += p.weight;
      sums[last]! += p.weight * p.accuracy;
    } else {
      xs.push(p.confidence);
      ws.push(p.weight);
      sums.push(p.weight * p.accuracy);
    }
  }
  for (let i = 0; i < xs.length; i++) ys.push(sums[i]! / ws[i]!);
  return compress({ x: xs, y: isotonicRegression(ys, ws) });
}

function compress(map: CalibrationMap): CalibrationMap {
  const x: number[] = [];
  const y: number[] = [];
  const n = map.x.length;
  for (let i = 0; i < n; i++) {
    const v = map.y[i]!;
    // Inside a flat run only the first and the last point matter to interpolation.
    if (i > 0 && i < n - 1 && map.y[i - 1] === v && map.y[i + 1] === v) continue;
    x.push(map.x[i]!);
    y.push(v);
  }
  return { x, y };
}

/** The calibrated value of `c`: linear between points, flat beyond the ends (numpy.interp). */
export function applyCalibrationMap(map: CalibrationMap, c: number): number {
  const { x, y } = map;
  const n = x.length;
  if (n === 0) return c;
  if (c <= x[0]!) return y[0]!;
  if (c >= x[n - 1]!) return y[n - 1]!;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid]! <= c) lo = mid;
    else hi = mid;
  }
  const t = (c - x[lo]!) / (x[hi]! - x[lo]!);
  return y[lo]! + t * (y[hi]! - y[lo]!);
}
