/**
 * Bounded samples of raw values for drift tests that need them (two-sample KS, quantile bins
 * for numeric PSI), kept per rollup hour so the drift job never rescans events.
 *
 * Each hour keeps a bottom-k sample: the k items with the smallest hash of their step id. The
 * hash makes it deterministic (re-running a rollup gives the same sample) and uniform over the
 * hour's items, and the same step is picked for every series, so samples stay comparable.
 *
 * A window's sample is stratified by hour with proportional allocation: each hour contributes
 * its smallest-hash items in proportion to how many items it had, which is again a uniform
 * sample of the window (an hour that would need more than it kept gives what it has). The
 * window sample is capped below KS_EXACT_MAX_N, so the KS p-values are the exact ones.
 */

/** Items kept per rollup hour and series. */
export const HOUR_SAMPLE = 200;
/** Values drawn for one window. */
export const WINDOW_SAMPLE = 2_000;

/** Parallel arrays, ascending by hash: `h` hashes (uint32), `v` values; `n` items offered in all. */
export interface Sample {
  h: number[];
  v: number[];
  /** Every item offered, kept or not: the stratum's size for windowSample. */
  n?: number;
}

export const emptySample = (): Sample => ({ h: [], v: [], n: 0 });

/** FNV-1a, 32-bit: fast, well spread over ids like UUIDs, and the same in every process. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche (murmur3 fmix32): FNV alone leaves the low bits of similar ids correlated.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Offers an item to the sample (in place); keeps the k smallest hashes. */
export function offer(sample: Sample, hash: number, value: number, k: number = HOUR_SAMPLE): void {
  sample.n = (sample.n ?? sample.h.length) + 1;
  keep(sample, hash, value, k);
}

/** `into` ∪ `other`, bottom-k, with both counts added (the same as offering other's items one by one). */
export function mergeSample(into: Sample, other: Sample, k: number = HOUR_SAMPLE): void {
  const total = (into.n ?? into.h.length) + (other.n ?? other.h.length);
  for (let i = 0; i < other.h.length; i++) keep(into, other.h[i]!, other.v[i]!, k);
  into.n = total;
}

function keep(sample: Sample, hash: number, value: number, k: number): void {
  const n = sample.h.length;
  if (n >= k && hash >= sample.h[n - 1]!) return;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sample.h[mid]! <= hash) lo = mid + 1;
    else hi = mid;
  }
  sample.h.splice(lo, 0, hash);
  sample.v.splice(lo, 0, value);
  if (sample.h.length > k) {
    sample.h.pop();
    sample.v.pop();
  }
}

export interface Stratum {
  /** Items the hour saw (all of them, not only those kept). */
  count: number;
  sample: Sample;
}

/** A uniform sample of about `target` values from the union of the strata. */
export function windowSample(strata: readonly Stratum[], target: number = WINDOW_SAMPLE): number[] {
  const total = strata.reduce((s, x) => s + x.count, 0);
  if (total === 0) return [];
  const out: number[] = [];
  for (const s of strata) {
    const take = Math.min(s.sample.v.length, Math.round((target * s.count) / total));
    for (let i = 0; i < take; i++) out.push(s.sample.v[i]!);
  }
  return out;
}
