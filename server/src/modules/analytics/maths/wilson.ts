/**
 * Wilson score interval for a proportion (Wilson 1927). Preferred over the normal ("Wald")
 * interval because it stays inside [0, 1] and keeps close to its nominal coverage at the small
 * counts and extreme accuracies calibration bins and auto-tightening meet (0 or n successes).
 */

/** Φ⁻¹(0.975): the two-sided 95% normal quantile, to full double precision (scipy.stats.norm.ppf). */
export const Z95 = 1.959963984540054;

export type Interval = [lower: number, upper: number];

/**
 * The interval for an observed proportion `p` over `n` trials. `n` may be fractional: for
 * weighted samples pass the Kish effective size (see {@link effectiveSize}). With no trials
 * nothing is known, so the whole of [0, 1] comes back.
 * @example wilsonInterval(81 / 263, 263) // [0.2553, 0.3662] (approximately)
 */
export function wilsonInterval(p: number, n: number, z: number = Z95): Interval {
  if (!(n > 0)) return [0, 1];
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Rounding can push an end a hair past [0, 1] at p = 0 or 1.
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Kish's effective sample size, (Σw)² / Σw²: how many unweighted observations carry as much
 * information as these weighted ones. Spot checks weighted by 1/rate count as fewer than their
 * weighted total, so an interval over them is not falsely narrow.
 */
export function effectiveSize(weight: number, weightSquared: number): number {
  return weightSquared > 0 ? (weight * weight) / weightSquared : 0;
}
