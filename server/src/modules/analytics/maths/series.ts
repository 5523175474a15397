import { agreementFromMatrix, type Agreement } from "./agreement.js";
import { latencyQuantile, mergeLatency, type LatencyHistogram } from "./latency.js";
import { reliability, type Reliability } from "./reliability.js";
import { CONFIDENCE_BINS } from "./reliability.js";
import { labelBins, LABEL_GROUPS, type LabelGroup, type RollupRow } from "./rollup.js";

/**
 * What the jobs and the query API read off a window of rollup rows of one series (workflow ×
 * version × step): calibration and the labels it misses, rates, latency, evaluator agreement
 * (drift: drift.ts). Pure functions of
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

/** Queued review items the labels do not answer yet: spot checks and escalations never decided. */
export function missingLabels(rows: readonly RollupRow[]) {
  const queued = { spot: 0, review: 0 };
  for (const r of rows) {
    queued.spot += r.spotChecks;
    queued.review += r.escalated;
  }
  const labelled = { spot: labelBins(rows, ["spot"]).reduce((s, b) => s + b.n, 0), review: labelBins(rows, ["review"]).reduce((s, b) => s + b.n, 0) };
  const missing = { spot: Math.max(0, queued.spot - labelled.spot), review: Math.max(0, queued.review - labelled.review) };
  return { queued, labelled, missing, spotCoverage: queued.spot > 0 ? labelled.spot / queued.spot : null };
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
