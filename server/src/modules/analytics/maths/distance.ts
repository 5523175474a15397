/**
 * Effect sizes for drift that, unlike p-values, do not grow with the sample: the same shift
 * reads the same at 200 values as at 50,000.
 *
 * - Wasserstein-1 (earth mover's) distance between two samples, as
 *   `scipy.stats.wasserstein_distance(a, b)`: ∫|F_a − F_b|, in the feature's own unit. Divided by
 *   the baseline's standard deviation it is scale-free: "the distribution moved by this many
 *   standard deviations" (a mean shift of d·σ in a normal reads d).
 * - Jensen–Shannon distance between two count vectors over the same bins, as
 *   `scipy.spatial.distance.jensenshannon(p, q, base=2)`: √JSD, in [0, 1], finite when a bin is
 *   empty on one side (where PSI needs an arbitrary floor).
 */

/** ∫|F_a(x) − F_b(x)| dx over the pooled values. */
export function wasserstein1(a: readonly number[], b: readonly number[]): number {
  if (a.length === 0 || b.length === 0) throw new RangeError("wasserstein1 needs two non-empty samples");
  const xs = [...a].sort((x, y) => x - y);
  const ys = [...b].sort((x, y) => x - y);
  let i = 0;
  let j = 0;
  let prev = Math.min(xs[0]!, ys[0]!);
  let sum = 0;
  while (i < xs.length || j < ys.length) {
    const v = j >= ys.length || (i < xs.length && xs[i]! <= ys[j]!) ? xs[i]! : ys[j]!;
    // Between prev and v both CDFs are flat at their values after prev.
    sum += Math.abs(i / xs.length - j / ys.length) * (v - prev);
    while (i < xs.length && xs[i]! <= v) i++;
    while (j < ys.length && ys[j]! <= v) j++;
    prev = v;
  }
  return sum;
}

/** Population standard deviation (ddof 0, numpy.std's default). */
export function standardDeviation(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let mean = 0;
  for (const x of xs) mean += x;
  mean /= xs.length;
  let ss = 0;
  for (const x of xs) ss += (x - mean) * (x - mean);
  return Math.sqrt(ss / xs.length);
}

/**
 * W1 over the baseline's standard deviation; over the pooled one when the baseline is constant;
 * null when both are (nothing to scale by, and nothing moved unless the values differ).
 */
export function normalisedWasserstein(baseline: readonly number[], current: readonly number[]): number | null {
  const w = wasserstein1(baseline, current);
  const sd = standardDeviation(baseline) || standardDeviation([...baseline, ...current]);
  if (sd > 0) return w / sd;
  return w === 0 ? 0 : null;
}

/** √JSD(p‖q) in bits between two count (or probability) vectors; null when a side is empty. */
export function jensenShannon(p: readonly number[], q: readonly number[]): number | null {
  if (p.length !== q.length) throw new RangeError(`jensenShannon: ${p.length} bins against ${q.length}`);
  const tp = p.reduce((s, v) => s + v, 0);
  const tq = q.reduce((s, v) => s + v, 0);
  if (!(tp > 0 && tq > 0)) return null;
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / tp;
    const b = q[i]! / tq;
    const m = (a + b) / 2;
    if (a > 0) js += a * Math.log2(a / m);
    if (b > 0) js += b * Math.log2(b / m);
  }
  return Math.sqrt(Math.max(0, js / 2));
}
