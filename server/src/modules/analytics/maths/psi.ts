import { quantileSorted } from "simple-statistics";

/**
 * Population Stability Index between a baseline and a current distribution over the same bins:
 * Σ (a − e)·ln(a / e) over bin proportions, i.e. KL(a‖e) + KL(e‖a). Customary reading: < 0.1
 * stable, 0.1–0.25 worth watching, > 0.25 shifted (the customary defaults).
 *
 * An empty bin would make the logarithm infinite. Its proportion is floored at PSI_EPSILON
 * (0.01%), the usual convention in credit scoring, without renormalising: a bin that empties
 * out or appears from nothing then adds a large but finite amount (≈ p·ln(p/1e-4)), and bins
 * that are empty on both sides add exactly 0.
 */
export const PSI_EPSILON = 1e-4;

export function psi(expected: readonly number[], actual: readonly number[], epsilon: number = PSI_EPSILON): number | null {
  if (expected.length !== actual.length) throw new RangeError(`psi: ${expected.length} baseline bins against ${actual.length} current bins`);
  const te = total(expected);
  const ta = total(actual);
  if (te <= 0 || ta <= 0) return null;
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i]! / te, epsilon);
    const a = Math.max(actual[i]! / ta, epsilon);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

function total(xs: readonly number[]): number {
  let t = 0;
  for (const x of xs) t += x;
  return t;
}

/**
 * Inner bin edges for a numeric feature: the baseline's quantiles at 1/bins … (bins−1)/bins
 * (linear interpolation, NumPy's default), duplicates removed so a feature with few distinct
 * values gets fewer, non-empty bins. Bins are right-closed: (edge[i−1], edge[i]].
 */
export function quantileEdges(baseline: readonly number[], bins = 10): number[] {
  if (baseline.length === 0) return [];
  const sorted = [...baseline].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const q = quantileSorted(sorted, i / bins);
    if (edges.length === 0 || q !== edges[edges.length - 1]) edges.push(q);
  }
  return edges;
}

/** Counts per bin of `edges` (right-closed, as quantileEdges describes); edges.length + 1 bins. */
export function countByEdges(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    // Number of edges strictly below v: its bin (binary search, like numpy searchsorted 'left').
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]!++;
  }
  return counts;
}

/** PSI of a numeric feature: bins from the baseline's quantiles, applied to both samples. */
export function numericPsi(baseline: readonly number[], current: readonly number[], bins = 10, epsilon: number = PSI_EPSILON): number | null {
  const edges = quantileEdges(baseline, bins);
  return psi(countByEdges(baseline, edges), countByEdges(current, edges), epsilon);
}
