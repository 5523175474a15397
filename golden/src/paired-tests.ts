/**
 * The paired tests that decide whether a step regressed against its baseline. Both runs
 * measured the same cases, so each case is compared with itself: only the cases whose outcome
 * changed carry evidence, and a step that fails the same cases as before has not regressed,
 * however its accuracy's denominator moved.
 *
 * - Pass/fail outcomes (accuracy, escalations, wrong end-to-end results): an exact conditional
 *   test. Each case is a stratum, a 2×2 table (run × outcome) of its trials; given the case's
 *   total count of the outcome, the current run's share of it is hypergeometric, and the
 *   statistic is the sum over cases (Birch's exact test of a common odds ratio of 1, the exact
 *   form of the Cochran–Mantel–Haenszel test). With one trial per case in both runs this is
 *   exactly the exact McNemar test: a binomial test with p = ½ on the discordant pairs.
 * - Per-case Brier scores: a paired t-test on the per-case differences.
 *
 * Both are one-sided (a step can only regress one way); `twoSided` is the usual two-sided
 * p-value (statsmodels' `mcnemar(exact=True)`), reported for comparison with other tools.
 * Reference values: golden/scripts/make-stats-fixtures.py (SciPy, statsmodels).
 */

/** One case in an exact paired test: the outcome's count among its trials in each run. */
export interface Stratum {
  /** Trials of the case in the current run, and how many had the outcome. */
  current: { n: number; k: number };
  /** Trials of the case in the baseline, and how many had the outcome. */
  baseline: { n: number; k: number };
}

export interface ExactTestResult {
  /** Σ current k: the statistic. */
  observed: number;
  /** P(statistic ≤ observed) if nothing changed: small when the outcome became rarer. */
  lower: number;
  /** P(statistic ≥ observed) if nothing changed: small when the outcome became more common. */
  upper: number;
  /** min(1, 2 · min(lower, upper)), as statsmodels' exact McNemar reports it. */
  twoSided: number;
}

const logFactorials: number[] = [0];
function logFactorial(n: number): number {
  for (let i = logFactorials.length; i <= n; i++) logFactorials.push(logFactorials[i - 1]! + Math.log(i));
  return logFactorials[n]!;
}
const logChoose = (n: number, k: number) => logFactorial(n) - logFactorial(k) - logFactorial(n - k);

/**
 * The exact conditional test over strata (see the file comment). Cases with no trials in
 * either run, and cases whose outcome could not have split differently, contribute nothing.
 * @example
 * // 5 cases newly failing, none newly passing (exact McNemar): lower = 0.5^5
 * exactPairedTest([...Array(5)].map(() => ({ current: { n: 1, k: 0 }, baseline: { n: 1, k: 1 } }))).lower; // 0.03125
 */
export function exactPairedTest(strata: readonly Stratum[]): ExactTestResult {
  // The null distribution of the statistic: a point mass shifted by the fixed strata, convolved
  // with the hypergeometric of every stratum that can vary.
  let dist = [1];
  let offset = 0;
  let observed = 0;
  for (const { current, baseline } of strata) {
    check(current);
    check(baseline);
    observed += current.k;
    const total = current.n + baseline.n;
    const s = current.k + baseline.k;
    const lo = Math.max(0, s - baseline.n);
    const hi = Math.min(current.n, s);
    if (lo === hi) {
      offset += lo;
      continue;
    }
    const pmf: number[] = [];
    const denom = logChoose(total, current.n);
    for (let k = lo; k <= hi; k++) pmf.push(Math.exp(logChoose(s, k) + logChoose(total - s, current.n - k) - denom));
    offset += lo;
    const next = new Array<number>(dist.length + pmf.length - 1).fill(0);
    for (let i = 0; i < dist.length; i++) for (let j = 0; j < pmf.length; j++) next[i + j]! += dist[i]! * pmf[j]!;
    dist = next;
  }
  const at = observed - offset;
  let lower = 0;
  let upper = 0;
  for (let i = 0; i < dist.length; i++) {
    if (i <= at) lower += dist[i]!;
    if (i >= at) upper += dist[i]!;
  }
  lower = Math.min(1, lower);
  upper = Math.min(1, upper);
  return { observed, lower, upper, twoSided: Math.min(1, 2 * Math.min(lower, upper)) };
}

function check(x: { n: number; k: number }): void {
  if (!(Number.isInteger(x.n) && Number.isInteger(x.k) && x.n >= 0 && x.k >= 0 && x.k <= x.n)) {
    throw new RangeError(`a stratum needs whole counts with 0 ≤ k ≤ n, got k=${x.k} n=${x.n}`);
  }
}

export interface PairedTResult {
  n: number;
  /** Mean of current − baseline. */
  meanDifference: number;
  t: number | null;
  /** P(T ≥ t) under no change: small when the values grew. 1 when nothing differs. */
  upper: number;
}

/**
 * One-sided paired t-test that `current` is larger than `baseline` (as `scipy.stats.ttest_rel(
 * current, baseline, alternative="greater")`). Differences that are all equal and positive are
 * certain growth (p = 0); all zero, no evidence (p = 1).
 * @example pairedTTest([0.2, 0.3, 0.5], [0.1, 0.1, 0.2]).upper; // ≈ 0.037
 */
export function pairedTTest(current: readonly number[], baseline: readonly number[]): PairedTResult {
  if (current.length !== baseline.length) throw new RangeError("paired samples must have the same length");
  const n = current.length;
  if (n === 0) return { n, meanDifference: 0, t: null, upper: 1 };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += current[i]! - baseline[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (current[i]! - baseline[i]! - mean) ** 2;
  // Below this the differences are equal up to rounding: the t statistic would be noise over zero.
  if (n < 2 || ss <= 1e-24 * Math.max(1, mean * mean) * n) {
    return { n, meanDifference: mean, t: null, upper: mean > 1e-12 ? 0 : 1 };
  }
  const sd = Math.sqrt(ss / (n - 1));
  const t = mean / (sd / Math.sqrt(n));
  return { n, meanDifference: mean, t, upper: studentTUpper(t, n - 1) };
}

/** P(T ≥ t) for Student's t with `df` degrees of freedom. */
export function studentTUpper(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * regularizedBeta(x, df / 2, 0.5); // P(|T| ≥ |t|) / 2
  return t >= 0 ? tail : 1 - tail;
}

/** The regularised incomplete beta function I_x(a, b), by Lentz's continued fraction. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - logBeta(a, b));
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x > (a + 1) / (a + b + 2)) return 1 - regularizedBeta(1 - x, b, a);
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    f *= d * c;
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return (front * f) / a;
}

function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

// Lanczos approximation (g = 7, n = 9): about 15 significant digits for positive arguments.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];
function logGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * z))) - logGamma(1 - z);
  z -= 1;
  let x = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) x += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(x);
}
