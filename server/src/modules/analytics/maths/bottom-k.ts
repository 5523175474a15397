/**
 * Bounded samples of raw values for drift tests that need them (two-sample KS, quantile bins
 * for numeric PSI, Wasserstein distance), kept per rollup hour so the drift job never rescans
 * events.
 *
 * Each hour keeps a bottom-k sample: the k items with the smallest hash of their step id. The
 * hash makes it deterministic (re-running a rollup gives the same sample) and uniform over the
 * hour's items, and the same step is picked for every series, so samples stay comparable.
 *
 * A window's sample is the bottom-k of the union of its hours' samples, with k the window's
 * sample size. Every hour keeps that many, so the merge is exact: an item among the window's k
 * smallest hashes is among its own hour's k smallest, so it was kept. The window sample is thus a
 * uniform sample of the window's items whatever the traffic's shape; a burst holding 80% of the
 * window holds about 80% of the sample. (A proportional allocation over hours of a few hundred
 * items each could not: a busy hour ran out of kept items and was under-represented.) It is
 * capped below KS_EXACT_MAX_N, so the KS p-values are the exact ones.
 */

/** Values drawn for one window. */
export const WINDOW_SAMPLE = 2_000;
/** Items kept per rollup hour and series: the window's size, which makes the merge exact. */
export const HOUR_SAMPLE = WINDOW_SAMPLE;

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
  // Both are sorted by hash: one linear merge, cut at k (a window merges hundreds of hours).
  const h: number[] = [];
  const v: number[] = [];
  let i = 0;
  let j = 0;
  while (h.length < k && (i < into.h.length || j < other.h.length)) {
    if (j >= other.h.length || (i < into.h.length && into.h[i]! <= other.h[j]!)) {
      h.push(into.h[i]!);
      v.push(into.v[i++]!);
    } else {
      h.push(other.h[j]!);
      v.push(other.v[j++]!);
    }
  }
  into.h = h;
  into.v = v;
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

/**
 * The values of the `target` smallest hashes over every stratum's sample: a uniform sample of
 * min(target, items) values of the window, exact when each stratum kept at least `target`.
 */
export function windowSample(strata: readonly Stratum[], target: number = WINDOW_SAMPLE): number[] {
  const merged: Sample = emptySample();
  for (const s of strata) mergeSample(merged, s.sample, target);
  return merged.v;
}

// --- distinct values ------------------------------------------------------------------------

/** Distinct value hashes kept per series and hour: ±9% (1/√(k−2)) on a distinct count. */
export const DISTINCT_K = 128;

/**
 * Offers a value's hash to a K-minimum-values sketch (Bar-Yossef et al. 2002): the k smallest
 * DISTINCT hashes, and `n`, every value offered. Merges exactly across hours like the samples.
 */
export function offerDistinct(sketch: Sample, hash: number, k: number = DISTINCT_K): void {
  sketch.n = (sketch.n ?? 0) + 1;
  const h = sketch.h;
  if (h.length >= k && hash >= h[h.length - 1]!) return;
  let lo = 0;
  let hi = h.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (h[mid]! < hash) lo = mid + 1;
    else hi = mid;
  }
  if (h[lo] === hash) return;
  h.splice(lo, 0, hash);
  if (h.length > k) h.pop();
}

/** `into` ∪ `other` as a sketch of distinct hashes (values are not kept). */
export function mergeDistinct(into: Sample, other: Sample, k: number = DISTINCT_K): void {
  const n = (into.n ?? 0) + (other.n ?? 0);
  into.h = [...new Set([...into.h, ...other.h])].sort((a, b) => a - b).slice(0, k);
  into.v = [];
  into.n = n;
}

/** Estimated distinct values behind a sketch: exact below k, (k − 1) / kth-smallest-hash above. */
export function distinctEstimate(sketch: Sample, k: number = DISTINCT_K): number {
  if (sketch.h.length < k) return sketch.h.length;
  return (k - 1) / ((sketch.h[k - 1]! + 1) / 2 ** 32);
}
