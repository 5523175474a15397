import { betaIncomplete } from "./beta.js";

/**
 * A trend test for rates that vary more from window to window than a binomial allows
 * (quasi-binomial; McCullagh & Nelder 1989, §4.5). Escalation rates do: traffic mixes change
 * over the day and the week, so a plain two-proportion z-test on thousands of steps flags
 * ordinary day-to-day wobble as a "change".
 *
 * The model is a binomial GLM with a logit link on the windows — an intercept for the baseline
 * windows and an indicator for the current one — whose dispersion φ is estimated from the
 * baseline windows' Pearson χ² over its degrees of freedom (windows − 2), as statsmodels'
 * `GLM(..., family=Binomial(), var_weights=n).fit(scale="X2", use_t=True)`. The current window's
 * coefficient is tested with Student's t on those degrees of freedom. Closed form: the fit of
 * this model is the pooled baseline rate and the current rate.
 */

export interface QuasiBinomialResult {
  /** logit(current rate) − logit(pooled baseline rate). */
  coef: number;
  se: number;
  t: number;
  pvalue: number;
  /** Pearson χ² / df, before the floor at 1 when `floorDispersion` is on. */
  dispersion: number;
  df: number;
}

/** Two-sided P(|T| > |t|) for Student's t with `df` degrees of freedom. */
export function studentTwoSided(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  return betaIncomplete(df / (df + t * t), df / 2, 0.5);
}

const logit = (p: number) => Math.log(p / (1 - p));

/**
 * Tests the last point against all the points before it. Null when fewer than two baseline
 * windows have data (no dispersion to estimate) or a rate is exactly 0 or 1 (the logit is
 * infinite; such windows are reported, not tested). `floorDispersion` (default true) never lets
 * φ fall below 1: windows steadier than binomial do not make the test bolder than a binomial one.
 */
export function quasiBinomialTest(
  points: ReadonlyArray<{ count: number; total: number }>,
  options: { floorDispersion?: boolean } = {},
): QuasiBinomialResult | null {
  const baseline = points.slice(0, -1).filter((p) => p.total > 0);
  const current = points.at(-1);
  if (!current || current.total <= 0 || baseline.length < 2) return null;
  const bc = baseline.reduce((s, p) => s + p.count, 0);
  const bt = baseline.reduce((s, p) => s + p.total, 0);
  const p0 = bc / bt;
  const p1 = current.count / current.total;
  if (p0 <= 0 || p0 >= 1 || p1 <= 0 || p1 >= 1) return null;
  let x2 = 0;
  for (const p of baseline) {
    const e = p.total * p0;
    x2 += ((p.count - e) * (p.count - e)) / (e * (1 - p0));
  }
  const df = baseline.length + 1 - 2;
  const dispersion = x2 / df;
  const phi = options.floorDispersion === false ? dispersion : Math.max(1, dispersion);
  const coef = logit(p1) - logit(p0);
  const se = Math.sqrt(phi * (1 / (current.total * p1 * (1 - p1)) + 1 / (bt * p0 * (1 - p0))));
  const t = coef / se;
  return { coef, se, t, pvalue: studentTwoSided(t, df), dispersion, df };
}
