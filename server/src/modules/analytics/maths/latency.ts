/**
 * Step latency as a fixed log-bucket histogram (8 buckets per doubling, the scheme of
 * HdrHistogram and Prometheus' native histograms at low resolution), chosen over a mergeable
 * sketch such as t-digest because the buckets are fixed: the hourly rollups add by plain
 * addition in any order and the merge is exact, so a quantile over a week is the same whichever
 * hours were folded first. The price is resolution: a quantile is reported at its bucket's
 * geometric midpoint, within 2^(1/16) − 1 ≈ 4.4% of the true value (any latency ≥ 1 ms).
 *
 * Stored sparse (`{ bucket: count }`): a step's latencies occupy a few dozen of the buckets.
 */

export const BUCKETS_PER_DOUBLING = 8;

export type LatencyHistogram = Record<string, number>;

/** Bucket 0 holds [0, 1) ms; bucket k ≥ 1 holds [2^((k−1)/8), 2^(k/8)) ms. */
export function latencyBucket(ms: number): number {
  if (!(ms >= 1)) return 0;
  return 1 + Math.floor(Math.log2(ms) * BUCKETS_PER_DOUBLING);
}

export function addLatency(h: LatencyHistogram, ms: number, count = 1): void {
  const k = String(latencyBucket(ms));
  h[k] = (h[k] ?? 0) + count;
}

export function mergeLatency(into: LatencyHistogram, other: LatencyHistogram): LatencyHistogram {
  for (const [k, v] of Object.entries(other)) into[k] = (into[k] ?? 0) + v;
  return into;
}

/** A representative value of bucket k: its geometric midpoint (0.5 ms for bucket 0). */
export function bucketValue(k: number): number {
  if (k <= 0) return 0.5;
  return 2 ** ((k - 0.5) / BUCKETS_PER_DOUBLING);
}

/**
 * The q-quantile (q in [0, 1]): the value of the bucket holding the ⌈q·n⌉-th smallest latency
 * (the "nearest rank" definition). Null on an empty histogram.
 */
export function latencyQuantile(h: LatencyHistogram, q: number): number | null {
  const entries = Object.entries(h)
    .map(([k, v]) => [Number(k), v] as const)
    .filter(([, v]) => v > 0)
    .sort((a, b) => a[0] - b[0]);
  const n = entries.reduce((s, [, v]) => s + v, 0);
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (const [k, v] of entries) {
    seen += v;
    if (seen >= rank) return bucketValue(k);
  }
  return bucketValue(entries[entries.length - 1]![0]);
}
