import { gammaQ } from "./gamma.js";
import { quasiBinomialTest } from "./overdispersion.js";

/**
 * Change detection for rate series (escalation, flag, spot-check, auto-completion rates).
 *
 * Each window's rate is compared with the windows before it by a quasi-binomial test
 * (overdispersion.ts): the baseline windows' own spread around their pooled rate sets the
 * dispersion, so the ordinary day-to-day wobble of a rate over thousands of steps is not a
 * "change" (a plain binomial z-test, used before, flagged it: its variance assumes every step is
 * an independent draw at one rate). Chosen over CUSUM because the rollups already give exact
 * counts per window, so the test needs no tuning, gives a p-value an analyst can read, and its
 * answer for a window does not depend on when the job last ran. The price: it sees steps, not
 * slow creep; the trend chart shows creep, and drift catches distribution shifts.
 */

export interface ZTest {
  z: number;
  pvalue: number;
}

/** Two-sided P(|Z| > |z|) = erfc(|z|/√2) = Q(½, z²/2), exact in the far tail. */
export function normalTwoSided(z: number): number {
  if (!Number.isFinite(z)) return 0;
  if (z === 0) return 1;
  return gammaQ(0.5, (z * z) / 2);
}

/** Is x₂/n₂ different from x₁/n₁? z > 0 when the second rate is higher. */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): ZTest {
  if (!(n1 > 0 && n2 > 0)) return { z: 0, pvalue: 1 };
  const p = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  const z = se > 0 ? (x2 / n2 - x1 / n1) / se : 0;
  return { z, pvalue: normalTwoSided(z) };
}

export interface RatePoint {
  /** Events of the kind counted (e.g. escalations). */
  count: number;
  /** Out of this many (e.g. steps). */
  total: number;
}

export interface RateChange {
  rate: number | null;
  /** Pooled rate of the baseline windows it was compared with. */
  baseline: number | null;
  /** The test statistic: Student's t of the quasi-binomial test. */
  z: number | null;
  pvalue: number | null;
  /** The baseline windows' dispersion (1 = binomial; floored at 1 in the test). */
  dispersion: number | null;
  /**
   * `quasi-binomial`; `binomial` (the pooled z-test) where the dispersion cannot be estimated:
   * fewer than two baseline windows, or a rate of exactly 0 or 1.
   */
  test: "quasi-binomial" | "binomial" | null;
  changed: boolean;
  direction: "up" | "down" | null;
}

export interface ChangeOptions {
  /** Windows pooled as the baseline for each point. Default 6. */
  baselineWindows?: number;
  /** Significance level. Default 0.01. */
  alpha?: number;
  /** Fewer items than this, on either side, is no evidence either way. Default 30. */
  minTotal?: number;
}

/** For each point of the series: its rate and whether it differs from the windows before it. */
export function detectRateChanges(series: readonly RatePoint[], options: ChangeOptions = {}): RateChange[] {
  const k = options.baselineWindows ?? 6;
  const alpha = options.alpha ?? 0.01;
  const minTotal = options.minTotal ?? 30;
  return series.map((point, i) => {
    const rate = point.total > 0 ? point.count / point.total : null;
    let bc = 0;
    let bt = 0;
    for (let j = Math.max(0, i - k); j < i; j++) {
      bc += series[j]!.count;
      bt += series[j]!.total;
    }
    const baseline = bt > 0 ? bc / bt : null;
    if (bt < minTotal || point.total < minTotal)
      return { rate, baseline, z: null, pvalue: null, dispersion: null, test: null, changed: false, direction: null };
    const quasi = quasiBinomialTest(series.slice(Math.max(0, i - k), i + 1));
    const { z, pvalue } = quasi ? { z: quasi.t, pvalue: quasi.pvalue } : twoProportionZTest(bc, bt, point.count, point.total);
    const changed = pvalue < alpha;
    return {
      rate,
      baseline,
      z,
      pvalue,
      dispersion: quasi?.dispersion ?? null,
      test: quasi ? "quasi-binomial" : "binomial",
      changed,
      direction: changed ? (z > 0 ? "up" : "down") : null,
    };
  });
}
