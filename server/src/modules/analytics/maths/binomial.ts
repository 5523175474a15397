import { betaIncomplete } from "./beta.js";

/**
 * Binomial tails and the Clopper–Pearson ("exact") interval, the statistics under Learn-then-Test
 * thresholds (thresholds.ts). Both come from the regularized incomplete beta function
 * I_x(a, b) (beta.ts, within 1e-10 of SciPy's), which also extends them to the
 * fractional counts of weighted labels: with an effective size n and effective successes k,
 * P(X ≤ k) = I_{1−p}(n − k, k + 1) is the same formula at non-integer arguments.
 */

/** P(X ≤ k) for X ~ Binomial(n, p); k and n may be fractional (effective counts). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (!(n > 0) || k >= n || p <= 0) return 1;
  if (k < 0) return 0;
  if (p >= 1) return 0;
  return betaIncomplete(1 - p, n - k, k + 1);
}

/** The x with I_x(a, b) = q, by bisection (I is increasing in x): 1e-15 in 60 halvings. */
export function betaQuantile(q: number, a: number, b: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 1e-16; i++) {
    const mid = (lo + hi) / 2;
    if (betaIncomplete(mid, a, b) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The two-sided Clopper–Pearson interval of level 1 − alpha for k successes in n trials, as
 * statsmodels' `proportion_confint(k, n, alpha, method="beta")`: the quantiles α/2 of
 * Beta(k, n − k + 1) and 1 − α/2 of Beta(k + 1, n − k). It never undercovers, at any n.
 * @example clopperPearson(0, 59, 0.05) // [0, 0.0606]
 */
export function clopperPearson(k: number, n: number, alpha = 0.05): [number, number] {
  if (!(n > 0)) return [0, 1];
  const lower = k <= 0 ? 0 : betaQuantile(alpha / 2, k, n - k + 1);
  const upper = k >= n ? 1 : betaQuantile(1 - alpha / 2, k + 1, n - k);
  return [lower, upper];
}
