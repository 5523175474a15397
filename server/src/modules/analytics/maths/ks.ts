/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, as `scipy.stats.ks_2samp(a, b)` computes it
 * with its default `method='auto'`:
 *
 * - the statistic D = sup |F_a − F_b| over the pooled values (ties handled by taking every
 *   empirical CDF right-continuously);
 * - when both samples hold at most KS_EXACT_MAX_N (10,000) values, the EXACT p-value: D is
 *   snapped to the lattice h / lcm(n₁, n₂) and P(D ≥ h / lcm) is counted over lattice paths
 *   (Hodges 1958), for n₁ = n₂ with the closed-form alternating sum, otherwise with the
 *   "inside" recursion written to carry 1 − p directly, which stays accurate in the far tail
 *   (Viehmann 2021, arXiv:2102.08037). Agrees with SciPy to ~1e-15.
 * - past that, the ASYMPTOTIC p-value. Here we DIFFER from SciPy on purpose: SciPy evaluates the
 *   finite-n Kolmogorov distribution `kstwo.sf(D, round(n₁n₂/(n₁+n₂)))`, which needs several
 *   numerical regimes (Durbin matrix, Pomeranz, Pelz–Good, Smirnov); we use its limit,
 *   Kolmogorov's distribution Q(√en · D) (`scipy.stats.kstwobign.sf`). The two agree to a few
 *   percent of p at these sizes. The drift job never gets here: its window samples are capped
 *   below 10,000 (analytics/bottom-k.ts), so its p-values are SciPy's exact ones.
 */

export const KS_EXACT_MAX_N = 10_000;

export interface KsResult {
  statistic: number;
  pvalue: number;
  method: "exact" | "asymp";
}

const byValue = (x: number, y: number) => x - y;

/** D = sup |F_a(x) − F_b(x)|: the larger of SciPy's D⁺ and D⁻. */
export function ksStatistic(a: readonly number[], b: readonly number[]): number {
  const xs = [...a].sort(byValue);
  const ys = [...b].sort(byValue);
  const n1 = xs.length;
  const n2 = ys.length;
  let i = 0;
  let j = 0;
  let maxPlus = 0;
  let maxMinus = 0;
  while (i < n1 || j < n2) {
    // The next pooled value; both CDFs step past every copy of it before the difference counts.
    const v = j >= n2 || (i < n1 && xs[i]! <= ys[j]!) ? xs[i]! : ys[j]!;
    while (i < n1 && xs[i]! <= v) i++;
    while (j < n2 && ys[j]! <= v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxPlus) maxPlus = diff;
    if (-diff > maxMinus) maxMinus = -diff;
  }
  return Math.min(1, Math.max(maxPlus, maxMinus));
}

export function ks2Samp(a: readonly number[], b: readonly number[]): KsResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new RangeError("ks2Samp needs two non-empty samples");
  const d = ksStatistic(a, b);
  if (Math.max(n1, n2) <= KS_EXACT_MAX_N) {
    const exact = exactPvalue(n1, n2, d);
    if (exact) return { ...exact, method: "exact" };
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = (m * n) / (m + n);
  return { statistic: d, pvalue: clamp01(kolmogorovSf(Math.sqrt(en) * d)), method: "asymp" };
}

function gcd(x: number, y: number): number {
  while (y) [x, y] = [y, x % y];
  return x;
}

/** SciPy's `_attempt_exact_2kssamp`, two-sided; null when the arithmetic leaves [0, 1]. */
function exactPvalue(n1: number, n2: number, d: number): { statistic: number; pvalue: number } | null {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  // D only takes values h/lcm; snapping removes the rounding of i/n₁ − j/n₂.
  const h = roundHalfEven(d * lcm);
  const statistic = h / lcm;
  if (h === 0) return { statistic, pvalue: 1 };
  const p = n1 === n2 ? outsideSquare(n1, h) : outsideBand(n1, n2, g, h);
  if (!(p >= 0 && p <= 1)) return null;
  return { statistic, pvalue: p };
}

/** numpy.round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * P(D ≥ h/n) for two samples of size n: 2·Σ_k (−1)^(k−1) C(2n, n−kh) / C(2n, n), evaluated
 * Horner-style from the innermost term with each ratio built as a product of h factors, which
 * avoids both the huge binomials and the cancellation of the plain alternating sum.
 */
function outsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let term = 1;
    for (let j = 0; j < h; j++) term = ((n - k * h - j) * term) / (n + k * h + j + 1);
    p = term * (1 - p);
  }
  return 2 * p;
}

/**
 * P(D ≥ h/lcm) for sizes m ≠ n: the share of monotone lattice paths from (0,0) to (m,n) that
 * touch |i·n/g − j·m/g| ≥ h. q(i,j), the share of paths to (i,j) that touched it, satisfies
 * q(i,j) = (i·q(i−1,j) + j·q(i,j−1)) / (i+j) inside the band and 1 outside; one column is kept,
 * updated in place, and only the band's window of it is visited (O(m · window)).
 */
function outsideBand(n1: number, n2: number, g: number, h: number): number {
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const mg = m / g;
  const ng = n / g;
  // q over j for the current column; cells never inside a window keep 1 (outside the band).
  const q = new Float64Array(n + 1).fill(1);
  const firstHi = Math.min(Math.ceil(h / mg), n + 1);
  for (let j = 0; j < firstHi; j++) q[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lo = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    const hi = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (hi <= lo) return 1;
    // q(i, lo − 1) is outside the band unless lo is the axis.
    let below = lo === 0 ? 0 : 1;
    for (let j = lo; j < hi; j++) {
      below = (q[j]! * i + below * j) / (i + j);
      q[j] = below;
    }
  }
  return q[n]!;
}

/**
 * Kolmogorov's limiting distribution, P(K > x) = 2 Σ_{k≥1} (−1)^(k−1) e^(−2k²x²); for small x,
 * where that series converges slowly, 1 − (√(2π)/x) Σ_{k≥1} e^(−(2k−1)²π²/(8x²)).
 */
export function kolmogorovSf(x: number): number {
  if (!(x > 0)) return 1;
  if (x < 1) {
    const f = -(Math.PI * Math.PI) / (8 * x * x);
    let s = 0;
    for (let k = 1; k < 100; k += 2) {
      const t = Math.exp(k * k * f);
      s += t;
      if (t < 1e-17 * s) break;
    }
    return 1 - (Math.sqrt(2 * Math.PI) / x) * s;
  }
  let s = 0;
  for (let k = 1; k < 100; k++) {
    const t = Math.exp(-2 * k * k * x * x);
    s += k % 2 ? t : -t;
    if (t < 1e-17) break;
  }
  return 2 * s;
}

const clamp01 = (p: number) => Math.max(0, Math.min(1, p));
