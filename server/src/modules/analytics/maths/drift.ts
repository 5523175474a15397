import { distinctEstimate, emptySample, mergeDistinct, windowSample, WINDOW_SAMPLE } from "./bottom-k.js";
import { chiSquareContingency, dropEmpty } from "./chi-square.js";
import { jensenShannon, normalisedWasserstein } from "./distance.js";
import { ks2Samp } from "./ks.js";
import { benjaminiHochberg } from "./multiple-testing.js";
import { countByEdges, psi, quantileEdges } from "./psi.js";
import { CONFIDENCE_BINS } from "./reliability.js";
import { DISTINCT_PREFIX, isDerivedSeries, LENGTH_PREFIX, PATTERN_PREFIX, type RollupRow } from "./rollup.js";

/**
 * Drift: a baseline window of rollup rows against a current one, series by series (the
 * confidence, every numeric output or feature, every categorical one). The method and its
 * guarantees are written down in docs/statistics.md; in short:
 *
 * - the verdict comes from effect sizes, which do not grow with the sample: PSI (watch 0.1, alert
 *   0.25) AND a distance — Wasserstein-1 over the baseline's standard deviation for numbers,
 *   Jensen–Shannon for categories — must both reach a level for the series to reach it;
 * - a p-value (KS, chi-square) only guards small samples: a level above `ok` also needs the
 *   Benjamini–Hochberg adjusted p-value, over every series judged together, below `pAlert`;
 * - id-like strings (most values distinct) are not categories: they are compared by their
 *   values' length and pattern instead, and the series itself says why it was skipped.
 */

export interface DriftCutoffs {
  psiWatch: number;
  psiAlert: number;
  pAlert: number;
}

export type DistanceKind = "wasserstein" | "jensen-shannon";

/**
 * Distance cut-offs at the PSI levels for small shifts: a normal's mean moved by d standard
 * deviations has PSI ≈ d² and normalised W1 = d (PSI 0.1 ↔ 0.32, 0.25 ↔ 0.5); for proportions
 * JSD in bits ≈ PSI / (8 ln 2), so the JS distance ≈ 0.134 at PSI 0.1 and 0.212 at 0.25.
 */
export const DISTANCE_CUTOFFS: Record<DistanceKind, { watch: number; alert: number }> = {
  wasserstein: { watch: 0.3, alert: 0.5 },
  "jensen-shannon": { watch: 0.13, alert: 0.21 },
};

/** A string series whose values are at least this share distinct (in either window) is id-like. */
export const ID_DISTINCT_RATIO = 0.5;

export type DriftLevel = "ok" | "watch" | "alert" | "insufficient" | "skipped";

export interface DriftTest {
  /** `confidence`, `output`, `f:<feature>`, or a derived `len:<series>` / `shape:<series>`. */
  series: string;
  kind: "numeric" | "categorical";
  psi: number | null;
  /** Normalised Wasserstein-1 (numeric) or Jensen–Shannon distance (categorical). */
  distance: number | null;
  distanceKind: DistanceKind;
  test: "ks" | "chi-square";
  statistic: number | null;
  pvalue: number | null;
  /** The p-value after Benjamini–Hochberg over every series judged together. */
  adjustedP: number | null;
  /** Observations compared on each side (the bounded samples for KS, all counts otherwise). */
  baselineN: number;
  currentN: number;
  level: DriftLevel;
  /** Why a series has no verdict or a lower one than its effect size (null when nothing to say). */
  reason: string | null;
  /** For a length or pattern series: the id-like series it stands in for. */
  derivedFrom: string | null;
  /** What was compared, for drawing the two distributions over each other; null with no data. */
  histogram: DriftHistogram | null;
}

/**
 * The two sides' counts over the same bins. Numeric: `edges` are every bin boundary (counts have
 * one fewer), the fixed confidence bins or the baseline's deciles bounded by the samples'
 * extent; bins are right-closed as in psi.ts. Categorical: one count per category.
 */
export type DriftHistogram =
  | { kind: "numeric"; edges: number[]; baseline: number[]; current: number[] }
  | { kind: "categorical"; categories: string[]; baseline: number[]; current: number[] };

export interface DriftReport {
  level: DriftLevel;
  tests: DriftTest[];
}

/** Fewer observations than this on either side: no verdict. */
export const MIN_DRIFT_N = 30;
const LEVEL_ORDER: Record<DriftLevel, number> = { skipped: -2, insufficient: -1, ok: 0, watch: 1, alert: 2 };
export const levelValue = (l: DriftLevel) => Math.max(0, LEVEL_ORDER[l]);
const judged = (t: DriftTest) => t.level !== "insufficient" && t.level !== "skipped";

/** Every series' measurements, without verdicts (judgeDrift gives them, over many reports at once). */
export function measureDrift(baseline: readonly RollupRow[], current: readonly RollupRow[]): DriftTest[] {
  const tests: DriftTest[] = [];
  // Confidence: counts per bin are exact, the KS and the distance need the samples.
  const hb = new Array<number>(CONFIDENCE_BINS).fill(0);
  const hc = new Array<number>(CONFIDENCE_BINS).fill(0);
  for (const r of baseline) r.confidence.forEach((v, i) => (hb[i]! += v));
  for (const r of current) r.confidence.forEach((v, i) => (hc[i]! += v));
  tests.push(numericTest("confidence", baseline, current, { baseline: hb, current: hc }));
  const numeric = new Set<string>();
  const categorical = new Set<string>();
  for (const r of [...baseline, ...current]) {
    for (const s of Object.keys(r.samples)) if (s !== "confidence" && !isDerivedSeries(s)) numeric.add(s);
    for (const s of Object.keys(r.categories)) if (!isDerivedSeries(s)) categorical.add(s);
  }
  for (const s of [...numeric].sort()) tests.push(numericTest(s, baseline, current));
  for (const s of [...categorical].sort()) {
    const test = categoricalTest(s, baseline, current);
    const idLike = idLikeShare(s, baseline, current);
    if (idLike === null || test.level === "insufficient") {
      tests.push(test);
      continue;
    }
    const pct = Math.round(idLike * 100);
    tests.push({
      ...test,
      level: "skipped",
      psi: null,
      distance: null,
      statistic: null,
      pvalue: null,
      reason: `id-like: ${pct}% of its values are distinct; compared by their length and pattern instead`,
    });
    for (const prefix of [LENGTH_PREFIX, PATTERN_PREFIX]) tests.push({ ...categoricalTest(prefix + s, baseline, current), derivedFrom: s });
  }
  return tests;
}

/**
 * Verdicts for many reports evaluated together (a drift job's run, an API answer): one
 * Benjamini–Hochberg correction over all their p-values, then each series' level from its
 * effect sizes, kept at `ok` when the adjusted p-value does not clear `pAlert`.
 */
export function judgeDrift(reports: readonly DriftTest[][], cutoffs: DriftCutoffs): DriftReport[] {
  const all = reports.flat().filter(judged);
  const adjusted = benjaminiHochberg(all.map((t) => t.pvalue ?? 1));
  all.forEach((t, i) => {
    t.adjustedP = adjusted[i]!;
    const effect = effectLevel(t, cutoffs);
    if (effect !== "ok" && !(t.adjustedP < cutoffs.pAlert)) {
      t.level = "ok";
      t.reason = `effect at ${effect} level, but too few values to tell it from chance (adjusted p ${t.adjustedP.toPrecision(2)})`;
    } else t.level = effect;
  });
  return reports.map((tests) => {
    const verdicts = tests.filter(judged);
    const level = verdicts.length === 0 ? "insufficient" : verdicts.reduce<DriftLevel>((m, t) => (LEVEL_ORDER[t.level] > LEVEL_ORDER[m] ? t.level : m), "ok");
    return { level, tests };
  });
}

/** One series pair judged on its own (BH over its own series). */
export function driftOf(baseline: readonly RollupRow[], current: readonly RollupRow[], cutoffs: DriftCutoffs): DriftReport {
  return judgeDrift([measureDrift(baseline, current)], cutoffs)[0]!;
}

function effectLevel(t: DriftTest, c: DriftCutoffs): DriftLevel {
  const byPsi = t.psi === null ? null : t.psi >= c.psiAlert ? 2 : t.psi >= c.psiWatch ? 1 : 0;
  const cut = DISTANCE_CUTOFFS[t.distanceKind];
  const byDistance = t.distance === null ? null : t.distance >= cut.alert ? 2 : t.distance >= cut.watch ? 1 : 0;
  // Both must agree: PSI alone is inflated by sparse or empty bins, a distance alone is blind
  // to rare categories appearing; together they read a shift of the same size the same way.
  const level = Math.min(byPsi ?? byDistance ?? 0, byDistance ?? byPsi ?? 0);
  return level === 2 ? "alert" : level === 1 ? "watch" : "ok";
}

/** The share of distinct values of an id-like series (the larger window's), or null when it is not one. */
function idLikeShare(series: string, baseline: readonly RollupRow[], current: readonly RollupRow[]): number | null {
  let worst: number | null = null;
  for (const rows of [baseline, current]) {
    const sketch = emptySample();
    for (const r of rows) {
      const s = r.samples[DISTINCT_PREFIX + series];
      if (s) mergeDistinct(sketch, s);
    }
    const n = sketch.n ?? 0;
    if (n < MIN_DRIFT_N) continue;
    const share = Math.min(1, distinctEstimate(sketch) / n);
    if (share >= ID_DISTINCT_RATIO && (worst === null || share > worst)) worst = share;
  }
  return worst;
}

/** Each hour's sample stands for every value the hour saw of that series (its `n`). */
function strata(rows: readonly RollupRow[], series: string) {
  return rows.filter((r) => r.samples[series]).map((r) => ({ count: r.samples[series]!.n ?? r.samples[series]!.v.length, sample: r.samples[series]! }));
}

const blank = (series: string, kind: "numeric" | "categorical", baselineN: number, currentN: number, histogram: DriftHistogram | null): DriftTest => ({
  series,
  kind,
  psi: null,
  distance: null,
  distanceKind: kind === "numeric" ? "wasserstein" : "jensen-shannon",
  test: kind === "numeric" ? "ks" : "chi-square",
  statistic: null,
  pvalue: null,
  adjustedP: null,
  baselineN,
  currentN,
  level: "insufficient",
  reason: null,
  derivedFrom: null,
  histogram,
});

function numericTest(
  series: string,
  baseline: readonly RollupRow[],
  current: readonly RollupRow[],
  histograms?: { baseline: number[]; current: number[] },
): DriftTest {
  const a = windowSample(strata(baseline, series), WINDOW_SAMPLE);
  const b = windowSample(strata(current, series), WINDOW_SAMPLE);
  const baselineN = histograms ? histograms.baseline.reduce((s, v) => s + v, 0) : a.length;
  const currentN = histograms ? histograms.current.reduce((s, v) => s + v, 0) : b.length;
  let histogram: DriftHistogram | null = null;
  if (histograms) {
    if (baselineN + currentN > 0)
      histogram = { kind: "numeric", edges: Array.from({ length: CONFIDENCE_BINS + 1 }, (_, i) => i / CONFIDENCE_BINS), ...histograms };
  } else if (a.length + b.length > 0) {
    // Deciles of the baseline (of the current side when there is no baseline yet).
    const inner = quantileEdges(a.length > 0 ? a : b, 10);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of a) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    for (const v of b) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    histogram = {
      kind: "numeric",
      edges: [Math.min(lo, inner[0] ?? lo), ...inner, Math.max(hi, inner[inner.length - 1] ?? hi)],
      baseline: countByEdges(a, inner),
      current: countByEdges(b, inner),
    };
  }
  const base = blank(series, "numeric", baselineN, currentN, histogram);
  if (a.length < MIN_DRIFT_N || b.length < MIN_DRIFT_N) return { ...base, reason: `fewer than ${MIN_DRIFT_N} values on a side` };
  let psiValue: number | null;
  if (histograms) psiValue = psi(histograms.baseline, histograms.current);
  else {
    const edges = quantileEdges(a, 10);
    psiValue = psi(countByEdges(a, edges), countByEdges(b, edges));
  }
  const ks = ks2Samp(a, b);
  return { ...base, psi: psiValue, distance: normalisedWasserstein(a, b), statistic: ks.statistic, pvalue: ks.pvalue, level: "ok" };
}

function categoricalTest(series: string, baseline: readonly RollupRow[], current: readonly RollupRow[]): DriftTest {
  const sum = (rows: readonly RollupRow[]) => {
    const out: Record<string, number> = {};
    for (const r of rows) for (const [c, n] of Object.entries(r.categories[series] ?? {})) out[c] = (out[c] ?? 0) + n;
    return out;
  };
  const cb = sum(baseline);
  const cc = sum(current);
  const cats = [...new Set([...Object.keys(cb), ...Object.keys(cc)])].sort();
  const eb = cats.map((c) => cb[c] ?? 0);
  const ec = cats.map((c) => cc[c] ?? 0);
  const baselineN = eb.reduce((s, v) => s + v, 0);
  const currentN = ec.reduce((s, v) => s + v, 0);
  const histogram: DriftHistogram | null = baselineN + currentN > 0 ? { kind: "categorical", categories: cats, baseline: eb, current: ec } : null;
  const base = blank(series, "categorical", baselineN, currentN, histogram);
  if (baselineN < MIN_DRIFT_N || currentN < MIN_DRIFT_N) return { ...base, reason: `fewer than ${MIN_DRIFT_N} values on a side` };
  const table = dropEmpty([eb, ec]);
  const chi = table[0]!.length > 1 ? chiSquareContingency(table) : { statistic: 0, pvalue: 1 };
  return { ...base, psi: psi(eb, ec), distance: jensenShannon(eb, ec), statistic: chi.statistic, pvalue: chi.pvalue, level: "ok" };
}
