import { addToBin, binOf, CONFIDENCE_BINS, emptyBin, mergeBins, packBin, unpackBin, type BinSums, type PackedBin } from "./reliability.js";
import { addLatency, mergeLatency, type LatencyHistogram } from "./latency.js";
import { emptySample, hash32, HOUR_SAMPLE, mergeDistinct, mergeSample, offer, offerDistinct, type Sample } from "./bottom-k.js";

/**
 * The hourly rollup of one series (project × workflow × version × step × hour) and how events
 * and labels fold into it. Pure: the rollup job reads, folds here, and writes; every field adds
 * up (or, for samples, merges) in any order, so folding a chunk of events into a fresh row and
 * merging that into the stored row gives the same result as folding into the stored row.
 */

/** Label groups: how labels were sampled decides how they are weighted. */
export type LabelGroup = "spot" | "review" | "other";
export const LABEL_GROUPS: readonly LabelGroup[] = ["spot", "review", "other"];

/** Most distinct categories kept per series and hour; the rest count under OTHER_CATEGORY. */
export const MAX_CATEGORIES = 50;
export const OTHER_CATEGORY = "__other__";
/** Longer strings are free text, not categories. */
export const MAX_CATEGORY_LENGTH = 100;

export interface RollupKey {
  projectId: string;
  workflow: string;
  version: string;
  /** "" for the workflow as a whole. */
  step: string;
  hour: number;
}

export interface RollupRow {
  key: RollupKey;
  steps: number;
  failed: number;
  human: number;
  escalated: number;
  flagged: number;
  spotChecks: number;
  auto: number;
  /** Completed model outputs without a confidence (unscored): counted, never binned. */
  unscored: number;
  confidence: number[];
  labels: Partial<Record<LabelGroup, Record<string, BinSums>>>;
  latency: LatencyHistogram;
  samples: Record<string, Sample>;
  categories: Record<string, Record<string, number>>;
  /** Outputs with a confidence, by how it was obtained (`unknown` when the event did not say). */
  sources: Record<string, number>;
}

export const HOUR_MS = 3_600_000;
export const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
export const DAY_MS = 24 * HOUR_MS;
/** The UTC day's start (the query API's day buckets are UTC days too). */
export const dayOf = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

export const keyString = (k: RollupKey) => JSON.stringify([k.projectId, k.workflow, k.version, k.step, k.hour]);

export function emptyRow(key: RollupKey): RollupRow {
  return {
    key,
    steps: 0,
    failed: 0,
    human: 0,
    escalated: 0,
    flagged: 0,
    spotChecks: 0,
    auto: 0,
    unscored: 0,
    confidence: new Array<number>(CONFIDENCE_BINS).fill(0),
    labels: {},
    latency: {},
    samples: {},
    categories: {},
    sources: {},
  };
}

/** What the fold needs of a step event (a subset of the SDK's StepEvent). */
export interface StepFacts {
  stepId: string;
  failed: boolean;
  source: string;
  confidence: number | undefined;
  confidenceSource?: string | undefined;
  cumulative: number | undefined;
  gate: "pass" | "escalate" | "flag" | undefined;
  spotCheck: boolean;
  durationMs: number;
  output: unknown;
  features: Record<string, unknown> | undefined;
}

/**
 * Folds one step event into its step's row and its workflow's ("") row. Reviewer outputs
 * (source `human`, reported when a run resumes) are counted apart: they are not the model's.
 */
export function foldStep(stepRow: RollupRow, workflowRow: RollupRow, e: StepFacts): void {
  if (e.source === "human") {
    stepRow.human++;
    workflowRow.human++;
    return;
  }
  // One hash per step for every series, so all samples pick the same steps.
  const hash = hash32(e.stepId);
  for (const row of [stepRow, workflowRow]) {
    row.steps++;
    if (e.failed) row.failed++;
    else if (e.gate === "escalate") row.escalated++;
    else if (e.gate === "flag") row.flagged++;
    else if (e.spotCheck) row.spotChecks++;
    else row.auto++;
    addLatency(row.latency, e.durationMs);
  }
  if (e.confidence === undefined) {
    // An unscored output says nothing about calibration; a failed step has no output to score.
    if (!e.failed) {
      stepRow.unscored++;
      workflowRow.unscored++;
    }
  } else {
    const source = e.confidenceSource ?? "unknown";
    stepRow.sources[source] = (stepRow.sources[source] ?? 0) + 1;
    stepRow.confidence[binOf(e.confidence)]!++;
    offer((stepRow.samples.confidence ??= emptySample()), hash, e.confidence, HOUR_SAMPLE);
  }
  if (e.cumulative !== undefined) {
    workflowRow.confidence[binOf(e.cumulative)]!++;
    offer((workflowRow.samples.confidence ??= emptySample()), hash, e.cumulative, HOUR_SAMPLE);
  }
  if (e.failed) return;
  observe(stepRow, "output", e.output, hash);
  if (e.features) for (const [name, value] of Object.entries(e.features)) observe(stepRow, `f:${name}`, value, hash);
}

/**
 * Series derived from a string series, for when its values turn out id-like (nearly all
 * distinct): a sketch of its distinct values, and its values' length and pattern as categories.
 * Kept for every string series because whether it is id-like is only known over a window.
 */
export const DISTINCT_PREFIX = "distinct:";
export const LENGTH_PREFIX = "len:";
export const PATTERN_PREFIX = "shape:";
export const isDerivedSeries = (s: string) => s.startsWith(LENGTH_PREFIX) || s.startsWith(PATTERN_PREFIX) || s.startsWith(DISTINCT_PREFIX);

/** A string's pattern: letters to A/a, digits to 9, runs of one class collapsed ("PX-004211" → "A-9"). */
export function patternOf(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch >= "A" && ch <= "Z" ? "A" : ch >= "a" && ch <= "z" ? "a" : ch >= "0" && ch <= "9" ? "9" : ch;
    if (out[out.length - 1] !== c || !(c === "A" || c === "a" || c === "9")) out += c;
  }
  return out;
}

/** A value for drift: numbers into the series' sample, short strings and booleans into its categories. */
function observe(row: RollupRow, series: string, value: unknown, hash: number): void {
  if (typeof value === "number") {
    if (Number.isFinite(value)) offer((row.samples[series] ??= emptySample()), hash, value, HOUR_SAMPLE);
  } else if (typeof value === "boolean" || (typeof value === "string" && value.length <= MAX_CATEGORY_LENGTH)) {
    const category = String(value);
    countCategory((row.categories[series] ??= {}), category, 1);
    if (typeof value !== "string") return;
    offerDistinct((row.samples[DISTINCT_PREFIX + series] ??= emptySample()), hash32(category));
    countCategory((row.categories[LENGTH_PREFIX + series] ??= {}), String(value.length), 1);
    countCategory((row.categories[PATTERN_PREFIX + series] ??= {}), patternOf(value), 1);
  }
}

function countCategory(counts: Record<string, number>, category: string, n: number): void {
  if (category in counts || Object.keys(counts).length < MAX_CATEGORIES) counts[category] = (counts[category] ?? 0) + n;
  else counts[OTHER_CATEGORY] = (counts[OTHER_CATEGORY] ?? 0) + n;
}

/** Adds (sign 1) or takes back (sign −1) one label in a row's group and confidence bin. */
export function foldLabel(row: RollupRow, group: LabelGroup, confidence: number, correct: boolean, weight: number, sign: 1 | -1): void {
  const bins = (row.labels[group] ??= {});
  const b = String(binOf(confidence));
  addToBin((bins[b] ??= emptyBin()), confidence, correct, weight, sign);
}

/** `into` += `other`, field by field (samples: the bottom-k of both). */
export function mergeRow(into: RollupRow, other: RollupRow): RollupRow {
  into.steps += other.steps;
  into.failed += other.failed;
  into.human += other.human;
  into.escalated += other.escalated;
  into.flagged += other.flagged;
  into.spotChecks += other.spotChecks;
  into.auto += other.auto;
  into.unscored += other.unscored;
  other.confidence.forEach((v, i) => (into.confidence[i] = (into.confidence[i] ?? 0) + v));
  for (const g of LABEL_GROUPS) {
    const src = other.labels[g];
    if (!src) continue;
    const dst = (into.labels[g] ??= {});
    for (const [b, sums] of Object.entries(src)) mergeBins((dst[b] ??= emptyBin()), sums);
  }
  mergeLatency(into.latency, other.latency);
  for (const [source, n] of Object.entries(other.sources ?? {})) into.sources[source] = (into.sources[source] ?? 0) + n;
  for (const [series, sample] of Object.entries(other.samples)) {
    if (series.startsWith(DISTINCT_PREFIX)) mergeDistinct((into.samples[series] ??= emptySample()), sample);
    else mergeSample((into.samples[series] ??= emptySample()), sample, HOUR_SAMPLE);
  }
  for (const [series, counts] of Object.entries(other.categories)) {
    const dst = (into.categories[series] ??= {});
    for (const [c, n] of Object.entries(counts)) countCategory(dst, c, n);
  }
  return into;
}

/**
 * Hourly rows (or deltas) summed per series and UTC day: the daily rows, keyed by the day's start
 * in `hour`. Without samples and categories (drift reads those from the hourly rows only).
 */
export function dayRows(rows: Iterable<RollupRow>): Map<string, RollupRow> {
  const out = new Map<string, RollupRow>();
  for (const r of rows) {
    const key = { ...r.key, hour: dayOf(r.key.hour) };
    const k = keyString(key);
    let day = out.get(k);
    if (!day) out.set(k, (day = emptyRow(key)));
    mergeRow(day, { ...r, samples: {}, categories: {} });
  }
  return out;
}

/** The labelled bins of a row (or rows), summed over the chosen groups, indexed by bin. */
export function labelBins(rows: readonly RollupRow[], groups: readonly LabelGroup[] = LABEL_GROUPS): BinSums[] {
  const out = Array.from({ length: CONFIDENCE_BINS }, emptyBin);
  for (const row of rows) {
    for (const g of groups) {
      for (const [b, sums] of Object.entries(row.labels[g] ?? {})) mergeBins(out[Number(b)]!, sums);
    }
  }
  return out;
}

// --- the stored form ---------------------------------------------------------------------------

export interface StoredRollup {
  steps: number;
  failed: number;
  human: number;
  escalated: number;
  flagged: number;
  spotChecks: number;
  auto: number;
  unscored: number;
  confidence: string;
  labels: string;
  latency: string;
  samples: string;
  categories: string;
  sources: string;
}

export function toStored(row: RollupRow): StoredRollup {
  const labels: Record<string, Record<string, PackedBin>> = {};
  for (const g of LABEL_GROUPS) {
    const bins = row.labels[g];
    if (!bins) continue;
    const packed: Record<string, PackedBin> = {};
    // A label taken back leaves zeros (and float dust in the sums): drop the emptied bin.
    for (const [b, sums] of Object.entries(bins)) if (sums.n > 0) packed[b] = packBin(sums);
    if (Object.keys(packed).length > 0) labels[g] = packed;
  }
  return {
    steps: row.steps,
    failed: row.failed,
    human: row.human,
    escalated: row.escalated,
    flagged: row.flagged,
    spotChecks: row.spotChecks,
    auto: row.auto,
    unscored: row.unscored,
    confidence: JSON.stringify(row.confidence),
    labels: JSON.stringify(labels),
    latency: JSON.stringify(row.latency),
    samples: JSON.stringify(row.samples),
    categories: JSON.stringify(row.categories),
    sources: JSON.stringify(row.sources),
  };
}

export function fromStored(key: RollupKey, s: StoredRollup): RollupRow {
  const labels: RollupRow["labels"] = {};
  const packed = JSON.parse(s.labels) as Record<string, Record<string, number[]>>;
  for (const g of LABEL_GROUPS) {
    const bins = packed[g];
    if (!bins) continue;
    labels[g] = Object.fromEntries(Object.entries(bins).map(([b, p]) => [b, unpackBin(p)]));
  }
  return {
    key,
    steps: s.steps,
    failed: s.failed,
    human: s.human,
    escalated: s.escalated,
    flagged: s.flagged,
    spotChecks: s.spotChecks,
    auto: s.auto,
    unscored: s.unscored,
    confidence: JSON.parse(s.confidence) as number[],
    labels,
    latency: JSON.parse(s.latency) as LatencyHistogram,
    samples: JSON.parse(s.samples) as Record<string, Sample>,
    categories: JSON.parse(s.categories) as Record<string, Record<string, number>>,
    sources: JSON.parse(s.sources) as Record<string, number>,
  };
}
