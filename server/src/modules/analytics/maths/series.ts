import { agreementFromMatrix, type Agreement } from "./agreement.js";
import { windowSample, WINDOW_SAMPLE } from "./bottom-k.js";
import { chiSquareContingency, dropEmpty } from "./chi-square.js";
import { ks2Samp } from "./ks.js";
import { latencyQuantile, mergeLatency, type LatencyHistogram } from "./latency.js";
import { countByEdges, psi, quantileEdges } from "./psi.js";
import { reliability, type Reliability } from "./reliability.js";
import { CONFIDENCE_BINS } from "./reliability.js";
import { labelBins, LABEL_GROUPS, type LabelGroup, type RollupRow } from "./rollup.js";

/**
 * What the jobs and the query API read off a window of rollup rows of one series (workflow ×
 * version × step): calibration, rates, drift, latency, evaluator agreement. Pure functions of
 * the rows, so a job and an API answer over the same window agree.
 */

export const seriesKey = (r: RollupRow) => JSON.stringify([r.key.projectId, r.key.workflow, r.key.version, r.key.step]);

/** Rows grouped by series, each group in hour order (as read). */
export function bySeries(rows: readonly RollupRow[]): Map<string, RollupRow[]> {
  const out = new Map<string, RollupRow[]>();
  for (const r of rows) {
    const k = seriesKey(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

export function calibrationOf(rows: readonly RollupRow[], groups: readonly LabelGroup[] = LABEL_GROUPS): Reliability {
  return reliability(labelBins(rows, groups));
}

export interface Rates {
  steps: number;
  failed: number;
  escalated: number;
  flagged: number;
  spotChecks: number;
  auto: number;
  human: number;
  /** Completed model outputs without a confidence: outside every calibration bin. */
  unscored: number;
  escalationRate: number | null;
  flagRate: number | null;
  spotCheckRate: number | null;
  autoRate: number | null;
  failureRate: number | null;
}

export function ratesOf(rows: readonly RollupRow[]): Rates {
  const t = { steps: 0, failed: 0, escalated: 0, flagged: 0, spotChecks: 0, auto: 0, human: 0, unscored: 0 };
  for (const r of rows) {
    t.steps += r.steps;
    t.failed += r.failed;
    t.escalated += r.escalated;
    t.flagged += r.flagged;
    t.spotChecks += r.spotChecks;
    t.auto += r.auto;
    t.human += r.human;
    t.unscored += r.unscored;
  }
  const rate = (x: number) => (t.steps > 0 ? x / t.steps : null);
  return {
    ...t,
    escalationRate: rate(t.escalated),
    flagRate: rate(t.flagged),
    spotCheckRate: rate(t.spotChecks),
    autoRate: rate(t.auto),
    failureRate: rate(t.failed),
  };
}

export function latencyOf(rows: readonly RollupRow[]): { count: number; p50: number | null; p90: number | null; p95: number | null; p99: number | null } {
  const h: LatencyHistogram = {};
  for (const r of rows) mergeLatency(h, r.latency);
  const count = Object.values(h).reduce((s, v) => s + v, 0);
  return { count, p50: latencyQuantile(h, 0.5), p90: latencyQuantile(h, 0.9), p95: latencyQuantile(h, 0.95), p99: latencyQuantile(h, 0.99) };
}

// --- drift ----------------------------------------------------------------------------------

export interface DriftCutoffs {
  psiWatch: number;
  psiAlert: number;
  pAlert: number;
}

export type DriftLevel = "ok" | "watch" | "alert" | "insufficient";

export interface DriftTest {
  /** `confidence`, `output`, or `f:<feature>`. */
  series: string;
  kind: "numeric" | "categorical";
  psi: number | null;
  test: "ks" | "chi-square";
  statistic: number | null;
  pvalue: number | null;
  /** Observations compared on each side (the bounded samples for KS, all counts otherwise). */
  baselineN: number;
  currentN: number;
  level: DriftLevel;
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
const LEVEL_ORDER: Record<DriftLevel, number> = { insufficient: -1, ok: 0, watch: 1, alert: 2 };
export const levelValue = (l: DriftLevel) => Math.max(0, LEVEL_ORDER[l]);

function levelOf(psiValue: number | null, p: number | null, c: DriftCutoffs): DriftLevel {
  if ((psiValue !== null && psiValue >= c.psiAlert) || (p !== null && p < c.pAlert)) return "alert";
  if (psiValue !== null && psiValue >= c.psiWatch) return "watch";
  return "ok";
}

/**
 * Baseline window against current window: the confidence (PSI over the fixed bins,
 * two-sample KS on the window samples), every numeric output or feature (PSI over the baseline's
 * deciles, KS), every categorical one (PSI over categories, chi-square of homogeneity).
 */
export function driftOf(baseline: readonly RollupRow[], current: readonly RollupRow[], cutoffs: DriftCutoffs): DriftReport {
  const tests: DriftTest[] = [];
  // Confidence: counts per bin are exact, the KS needs the samples.
  const hb = new Array<number>(CONFIDENCE_BINS).fill(0);
  const hc = new Array<number>(CONFIDENCE_BINS).fill(0);
  for (const r of baseline) r.confidence.forEach((v, i) => (hb[i]! += v));
  for (const r of current) r.confidence.forEach((v, i) => (hc[i]! += v));
  tests.push(numericTest("confidence", baseline, current, cutoffs, { baseline: hb, current: hc }));
  const numeric = new Set<string>();
  const categorical = new Set<string>();
  for (const r of [...baseline, ...current]) {
    for (const s of Object.keys(r.samples)) if (s !== "confidence") numeric.add(s);
    for (const s of Object.keys(r.categories)) categorical.add(s);
  }
  for (const s of [...numeric].sort()) tests.push(numericTest(s, baseline, current, cutoffs));
  for (const s of [...categorical].sort()) tests.push(categoricalTest(s, baseline, current, cutoffs));
  const verdicts = tests.filter((t) => t.level !== "insufficient");
  const level = verdicts.length === 0 ? "insufficient" : verdicts.reduce<DriftLevel>((m, t) => (LEVEL_ORDER[t.level] > LEVEL_ORDER[m] ? t.level : m), "ok");
  return { level, tests };
}

/** Each hour's sample stands for every value the hour saw of that series (its `n`). */
function strata(rows: readonly RollupRow[], series: string) {
  return rows.filter((r) => r.samples[series]).map((r) => ({ count: r.samples[series]!.n ?? r.samples[series]!.v.length, sample: r.samples[series]! }));
}

function numericTest(
  series: string,
  baseline: readonly RollupRow[],
  current: readonly RollupRow[],
  cutoffs: DriftCutoffs,
  histograms?: { baseline: number[]; current: number[] },
): DriftTest {
  const a = windowSample(strata(baseline, series), WINDOW_SAMPLE);
  const b = windowSample(strata(current, series), WINDOW_SAMPLE);
  const baselineN = histograms ? histograms.baseline.reduce((s, v) => s + v, 0) : a.length;
  const currentN = histograms ? histograms.current.reduce((s, v) => s + v, 0) : b.length;
  let histogram: DriftHistogram | null = null;
  if (histograms) {
    if (baselineN + currentN > 0) histogram = { kind: "numeric", edges: Array.from({ length: CONFIDENCE_BINS + 1 }, (_, i) => i / CONFIDENCE_BINS), ...histograms };
  } else if (a.length + b.length > 0) {
    // Deciles of the baseline (of the current side when there is no baseline yet).
    const inner = quantileEdges(a.length > 0 ? a : b, 10);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of a) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    for (const v of b) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    histogram = { kind: "numeric", edges: [Math.min(lo, inner[0] ?? lo), ...inner, Math.max(hi, inner[inner.length - 1] ?? hi)], baseline: countByEdges(a, inner), current: countByEdges(b, inner) };
  }
  const base: DriftTest = { series, kind: "numeric", psi: null, test: "ks", statistic: null, pvalue: null, baselineN, currentN, level: "insufficient", histogram };
  if (a.length < MIN_DRIFT_N || b.length < MIN_DRIFT_N) return base;
  let psiValue: number | null;
  if (histograms) psiValue = psi(histograms.baseline, histograms.current);
  else {
    const edges = quantileEdges(a, 10);
    psiValue = psi(countByEdges(a, edges), countByEdges(b, edges));
  }
  const ks = ks2Samp(a, b);
  return { ...base, psi: psiValue, statistic: ks.statistic, pvalue: ks.pvalue, level: levelOf(psiValue, ks.pvalue, cutoffs) };
}

function categoricalTest(series: string, baseline: readonly RollupRow[], current: readonly RollupRow[], cutoffs: DriftCutoffs): DriftTest {
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
  const base: DriftTest = { series, kind: "categorical", psi: null, test: "chi-square", statistic: null, pvalue: null, baselineN, currentN, level: "insufficient", histogram };
  if (baselineN < MIN_DRIFT_N || currentN < MIN_DRIFT_N) return base;
  const psiValue = psi(eb, ec);
  const table = dropEmpty([eb, ec]);
  const chi = table[0]!.length > 1 ? chiSquareContingency(table) : { statistic: 0, pvalue: 1 };
  return { ...base, psi: psiValue, statistic: chi.statistic, pvalue: chi.pvalue, level: levelOf(psiValue, chi.pvalue, cutoffs) };
}

// --- evaluator agreement ---------------------------------------------------------------------

/**
 * Agreement between a judge and the reviewers: the judge's verdict is "correct" when the step's
 * confidence is at or above `cutoff` (rounded to a bin edge, since rollups keep bins), the
 * truth is the reviewers' label. Counts are the labelled outputs themselves, unweighted: the
 * question is how often the two agree on the items both looked at.
 */
export function agreementOf(rows: readonly RollupRow[], cutoff: number): Agreement & { cutoff: number } {
  const bins = labelBins(rows);
  const edge = Math.min(CONFIDENCE_BINS, Math.max(0, Math.round(cutoff * CONFIDENCE_BINS)));
  // matrix[truth][judge] over ["correct", "incorrect"].
  const m = [
    [0, 0],
    [0, 0],
  ];
  bins.forEach((b, i) => {
    const judge = i >= edge ? 0 : 1;
    m[0]![judge]! += b.ny;
    m[1]![judge]! += b.n - b.ny;
  });
  return { ...agreementFromMatrix(["correct", "incorrect"], m), cutoff: edge / CONFIDENCE_BINS };
}
