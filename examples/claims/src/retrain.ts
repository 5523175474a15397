/**
 * The learning loop: a new model version fitted from a corrections export. Each row is one
 * reviewer decision on one step's output (golden/src/export-formats.ts `CorrectionRow`, one JSON
 * object per line): `accept` says the model's output was right, `correct` gives the right one,
 * `reject` says only that it was wrong. What the models learn from them:
 *
 * - **classify**: a multinomial logistic regression over description stems, started from the
 *   current weights and pulled back towards them (L2), so a handful of corrections teaches a new
 *   claim type (cyber) without unlearning the old ones; its softmax temperature is chosen on a
 *   held-out fifth of the rows, so the new confidences stay honest rather than memorised.
 * - **extract**: rules for formats the current version cannot read, each kept only when the
 *   corrected values support it — the order of dotted dates (`03.02.2025`) and decimal-comma
 *   amounts (`1.234,50`) — with a confidence equal to how often that reading matched the
 *   reviewer's value (Laplace-smoothed): per-evidence calibration fitted on the labels.
 *
 * Deterministic and order-free: the same rows, in any order, give the same parameters byte for
 * byte (an export's order follows decision times, which concurrent reviewers interleave).
 */
import { CLAIM_TYPES, type ClaimEmail, type ClaimFields, type ClaimType } from "./domain.js";
import { DECIMAL_COMMA, parseDecimalComma } from "./extract-amount.js";
import { readFields } from "./extract.js";
import type { ClassifyParams, ExtractParams, ModelParams, ReserveParams } from "./params.js";
import type { PolicyDb } from "./policy-db.js";
import { estimateReserve } from "./reserve.js";
import { reservesAgree } from "./rules.js";
import { stem, stems } from "./text.js";

/** The fields of a correction-export row that training reads (a `CorrectionRow` is one). */
export interface TrainingRow {
  step: string;
  input: unknown;
  output: unknown;
  corrected: unknown;
  decision: "accept" | "correct" | "reject";
  version?: string;
}

export interface RetrainOptions {
  /** The new version's name. Default: the base version plus one ("1" → "2"). */
  version?: string;
  /** Fewer usable examples than this and a rule is not learned. Default 5. */
  minExamples?: number;
  /** The policy book, to re-derive the reserve step's evidence from its recorded input. Without it, reserve is left as it was. */
  policies?: PolicyDb;
}

/** One evidence kind's confidence, refitted as its observed accuracy. */
export interface Recalibrated {
  step: "extract" | "reserve";
  /** `claimant.labelOnly`, `reserve.stated`, … (the parameter's path under `confidence`). */
  evidence: string;
  examples: number;
  before: number;
  after: number;
}

/** What the fit did, for the demo's printout and the model file. */
export interface RetrainReport {
  from: string;
  version: string;
  rows: number;
  classify: { examples: number; types: ClaimType[]; newTypes: ClaimType[]; temperature: number; heldOutLogLoss: number | null };
  extract: {
    examples: number;
    dottedDates: { examples: number; order: "dmy" | "mdy"; confidence: number } | null;
    decimalComma: { examples: number; confidence: number } | null;
  };
  /** Per-evidence calibration: each kind with enough labelled examples gets its observed accuracy. */
  recalibrated: Recalibrated[];
  /** What makes this fit suspect, for the caller to show (empty when nothing does). */
  warnings: string[];
}

/** A saved model version: the parameters and how they were fitted. */
export interface ModelFile {
  kind: "seamtrace-claims-model";
  params: ModelParams;
  report: RetrainReport;
}

const EPOCHS = 300;
const LEARNING_RATE = 0.5;
/** Pull towards the base weights: corrections are few and biased towards hard cases. */
const L2 = 0.02;
const TEMPERATURES = Array.from({ length: 27 }, (_, i) => 0.8 + i * 0.1);

/**
 * Fits a new model version on corrections.
 * @example
 * const rows = parseCorrections(readFileSync("corrections.jsonl", "utf8"));
 * const { params } = retrainModels(defaultModelParams, rows);
 * const claims = claimsWorkflow(st, { params }); // version "2"
 */
export function retrainModels(base: ModelParams, rows: Iterable<TrainingRow>, options: RetrainOptions = {}): { params: ModelParams; report: RetrainReport } {
  const all = [...rows];
  const minExamples = options.minExamples ?? 5;
  const version = options.version ?? nextVersion(base.version);
  const params = structuredClone(base) as ModelParams;
  params.version = version;

  const classify = fitClassify(
    base.classify,
    all.filter((r) => r.step === "classify"),
  );
  params.classify = classify.params;
  const extract = fitExtract(
    base.extract,
    all.filter((r) => r.step === "extract"),
    minExamples,
  );
  params.extract = extract.params;
  const recalibrated = calibrateExtract(
    base.extract,
    params.extract,
    all.filter((r) => r.step === "extract"),
    minExamples,
  );
  if (options.policies)
    recalibrated.push(
      ...calibrateReserve(
        base.reserve,
        params.reserve,
        all.filter((r) => r.step === "reserve"),
        options.policies,
        minExamples,
      ),
    );

  return {
    params,
    report: { from: base.version, version, rows: all.length, classify: classify.report, extract: extract.report, recalibrated, warnings: exportWarnings(all) },
  };
}

/**
 * Warnings about the export itself. Corrections alone are a biased sample: every row says the
 * model was wrong, so a fit on them pulls confidence down on inputs the model already gets right
 * (measured: retraining on the default corrections-only export raised the escalation rate on
 * settled traffic from 52.7% to 60.0%). Accepted outputs are the counterweight.
 */
function exportWarnings(rows: readonly TrainingRow[]): string[] {
  if (rows.length === 0) return ["the export holds no decisions: nothing was learned"];
  if (rows.some((r) => r.decision === "accept")) return [];
  const corrections = rows.filter((r) => r.decision === "correct").length;
  return [
    `the export holds no accepted outputs (${rows.length} rows: ${corrections} corrections, ${rows.length - corrections} rejections), so the models ` +
      "learn only from their mistakes and will be less confident on traffic they already get right; export accepts too " +
      "(seamtrace export corrections --include corrections,accepts)",
  ];
}

/** Rows of a JSONL export (blank lines skipped). */
export function parseCorrections(jsonl: string): TrainingRow[] {
  return jsonl
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as TrainingRow);
}

/** The model file's text. */
export function serializeModel(params: ModelParams, report: RetrainReport): string {
  const file: ModelFile = { kind: "seamtrace-claims-model", params, report };
  return JSON.stringify(file, null, 2) + "\n";
}

/** Reads a model file back; throws on anything that is not one. */
export function parseModel(text: string): ModelFile {
  const file = JSON.parse(text) as Partial<ModelFile>;
  const p = file.params as Partial<ModelParams> | undefined;
  if (file.kind !== "seamtrace-claims-model" || !p || typeof p.version !== "string" || !p.extract || !p.classify || !p.matchPolicy || !p.reserve || !p.route) {
    throw new TypeError("not a claims model file");
  }
  return file as ModelFile;
}

function nextVersion(v: string): string {
  return /^\d+$/.test(v) ? String(Number(v) + 1) : `${v}.1`;
}

// ---- classify -------------------------------------------------------------------------------

interface Example {
  features: string[];
  label: number;
}

function isClaimType(v: unknown): v is ClaimType {
  return typeof v === "string" && (CLAIM_TYPES as readonly string[]).includes(v);
}

/** The label a decision gives: the accepted output or the correction; nothing for a rejection. */
function labelOf(r: TrainingRow): unknown {
  if (r.decision === "accept") return r.output;
  if (r.decision === "correct") return r.corrected;
  return undefined;
}

function fitClassify(base: ClassifyParams, rows: readonly TrainingRow[]): { params: ClassifyParams; report: RetrainReport["classify"] } {
  const examples0: Array<{ features: string[]; type: ClaimType }> = [];
  for (const r of rows) {
    const label = labelOf(r);
    const description = (r.input as { description?: unknown } | null)?.description;
    if (!isClaimType(label) || typeof description !== "string") continue;
    // A stem that stems again to something else would not survive classify's compile step.
    examples0.push({ features: stems(description).filter((s) => stem(s) === s), type: label });
  }
  const baseTypes = CLAIM_TYPES.filter((t) => base.weights[t] !== undefined);
  const types = CLAIM_TYPES.filter((t) => base.weights[t] !== undefined || examples0.some((e) => e.type === t));
  const report: RetrainReport["classify"] = {
    examples: examples0.length,
    types: [...types],
    newTypes: types.filter((t) => !baseTypes.includes(t)),
    temperature: base.temperature,
    heldOutLogLoss: null,
  };
  if (examples0.length === 0) return { params: structuredClone(base) as ClassifyParams, report };
  // A canonical order, so the held-out fifth does not depend on the export's order.
  const keyOf = (e: { features: string[]; type: string }) => `${e.type}\u0000${e.features.join(" ")}`;
  examples0.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));

  const examples: Example[] = examples0.map((e) => ({ features: e.features, label: types.indexOf(e.type) }));
  const prior = types.map((t) => {
    const m = new Map<string, number>();
    for (const [word, w] of Object.entries(base.weights[t] ?? {})) {
      const s = stem(word);
      if (Math.abs(w) > Math.abs(m.get(s) ?? 0)) m.set(s, w);
    }
    return m;
  });
  const priorBias = types.map((t) => base.bias[t] ?? (base.weights[t] ? 0 : -1));

  // The temperature on a held-out fifth, then the weights on everything at that temperature.
  const heldOut = examples.filter((_, i) => i % 5 === 4);
  let temperature = base.temperature;
  let heldOutLogLoss: number | null = null;
  if (heldOut.length >= 5) {
    const fitted = fitWeights(
      examples.filter((_, i) => i % 5 !== 4),
      prior,
      priorBias,
      base.temperature,
    );
    for (const t of TEMPERATURES) {
      const loss = logLoss(heldOut, fitted, t);
      if (heldOutLogLoss === null || loss < heldOutLogLoss - 1e-12) {
        heldOutLogLoss = loss;
        temperature = round(t, 2);
      }
    }
  }
  const model = fitWeights(examples, prior, priorBias, temperature);
  const weights: Partial<Record<ClaimType, Record<string, number>>> = {};
  const bias: Partial<Record<ClaimType, number>> = {};
  types.forEach((t, k) => {
    const table: Record<string, number> = {};
    for (const s of [...model.weights[k]!.keys()].sort()) {
      const w = round(model.weights[k]!.get(s)!, 3);
      if (Math.abs(w) >= 0.01) table[s] = w;
    }
    weights[t] = table;
    bias[t] = round(model.bias[k]!, 3);
  });
  report.temperature = temperature;
  report.heldOutLogLoss = heldOutLogLoss === null ? null : round(heldOutLogLoss, 4);
  return { params: { weights, bias, temperature }, report };
}

interface Linear {
  weights: Array<Map<string, number>>;
  bias: number[];
}

function probabilities(features: readonly string[], m: Linear, temperature: number): number[] {
  const scores = m.bias.map((b, k) => {
    let s = b;
    for (const f of features) s += m.weights[k]!.get(f) ?? 0;
    return s / temperature;
  });
  const max = Math.max(...scores);
  const exps = scores.map((s) => Math.exp(s - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

/** Full-batch gradient descent on the softmax log-loss, L2 towards the prior weights. */
function fitWeights(
  examples: readonly Example[],
  prior: ReadonlyArray<ReadonlyMap<string, number>>,
  priorBias: readonly number[],
  temperature: number,
): Linear {
  const m: Linear = { weights: prior.map((p) => new Map(p)), bias: [...priorBias] };
  const n = examples.length;
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const grad = m.weights.map(() => new Map<string, number>());
    const gradBias = m.bias.map(() => 0);
    for (const e of examples) {
      const p = probabilities(e.features, m, temperature);
      for (let k = 0; k < p.length; k++) {
        const g = (p[k]! - (k === e.label ? 1 : 0)) / temperature;
        gradBias[k]! += g;
        for (const f of e.features) grad[k]!.set(f, (grad[k]!.get(f) ?? 0) + g);
      }
    }
    for (let k = 0; k < m.bias.length; k++) {
      m.bias[k] = m.bias[k]! - LEARNING_RATE * (gradBias[k]! / n + L2 * (m.bias[k]! - priorBias[k]!));
      const keys = new Set([...grad[k]!.keys(), ...m.weights[k]!.keys()]);
      for (const f of keys) {
        const w = m.weights[k]!.get(f) ?? 0;
        const w0 = prior[k]!.get(f) ?? 0;
        m.weights[k]!.set(f, w - LEARNING_RATE * ((grad[k]!.get(f) ?? 0) / n + L2 * (w - w0)));
      }
    }
  }
  return m;
}

function logLoss(examples: readonly Example[], m: Linear, temperature: number): number {
  let loss = 0;
  for (const e of examples) loss -= Math.log(Math.max(1e-12, probabilities(e.features, m, temperature)[e.label]!));
  return loss / examples.length;
}

// ---- extract --------------------------------------------------------------------------------

const DOTTED = /\b(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})\b/g;
const FIGURE = /\d[\d.,]*\d/g;

function isoOf(year: number, month: number, day: number): string | null {
  const ms = Date.UTC(year, month - 1, day);
  const d = new Date(ms);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return d.toISOString().slice(0, 10);
}

/**
 * The current confidence counts as this many labelled examples when a kind is recalibrated: the
 * hand-set values were measured once, and a kind seen 16 times, all right, is no reason to drop
 * 0.995 to the 0.94 a flat prior would give (Beta prior with the current value as its mean).
 */
const PRIOR_WEIGHT = 20;

function shrunk(right: number, n: number, prior: number): number {
  return round(Math.min(0.999, (right + PRIOR_WEIGHT * prior) / (n + PRIOR_WEIGHT)), 4);
}

/** Laplace-smoothed accuracy: a rule right 9 times in 9 is not certain. */
function smoothed(right: number, n: number): number {
  return round(Math.min(0.995, (right + 1) / (n + 2)), 4);
}

function fitExtract(base: ExtractParams, rows: readonly TrainingRow[], minExamples: number): { params: ExtractParams; report: RetrainReport["extract"] } {
  const params = structuredClone(base) as ExtractParams;
  let examples = 0;
  let dotted = { n: 0, dmy: 0, mdy: 0 };
  let comma = { n: 0, right: 0 };
  for (const r of rows) {
    const truth = labelOf(r) as Partial<ClaimFields> | undefined;
    const email = r.input as Partial<ClaimEmail> | null;
    if (!truth || typeof truth !== "object" || typeof email?.body !== "string") continue;
    examples++;
    const dates = [...email.body.matchAll(DOTTED)];
    if (dates.length === 1 && typeof truth.incidentDate === "string") {
      const [, a, b, y] = dates[0]!;
      const year = y!.length === 2 ? 2000 + Number(y) : Number(y);
      dotted = {
        n: dotted.n + 1,
        dmy: dotted.dmy + (isoOf(year, Number(b), Number(a)) === truth.incidentDate ? 1 : 0),
        mdy: dotted.mdy + (isoOf(year, Number(a), Number(b)) === truth.incidentDate ? 1 : 0),
      };
    }
    const figures = [...email.body.matchAll(FIGURE)].map((m) => m[0]).filter((f) => DECIMAL_COMMA.test(f));
    if (figures.length === 1 && typeof truth.amount === "number") {
      const value = parseDecimalComma(figures[0]!)!;
      comma = { n: comma.n + 1, right: comma.right + (Math.abs(value - truth.amount) < 0.005 ? 1 : 0) };
    }
  }
  const report: RetrainReport["extract"] = { examples, dottedDates: null, decimalComma: null };
  if (dotted.n >= minExamples) {
    const order = dotted.dmy >= dotted.mdy ? "dmy" : "mdy";
    const right = order === "dmy" ? dotted.dmy : dotted.mdy;
    // Kept only when the reading is right more often than not: a coin flip is not a rule.
    if (right * 2 > dotted.n) {
      params.dottedDates = { order, confidence: smoothed(right, dotted.n) };
      report.dottedDates = { examples: dotted.n, ...params.dottedDates };
    }
  }
  if (comma.n >= minExamples && comma.right * 2 > comma.n) {
    params.decimalComma = { confidence: smoothed(comma.right, comma.n) };
    report.decimalComma = { examples: comma.n, ...params.decimalComma };
  }
  return { params, report };
}

// ---- per-evidence calibration ---------------------------------------------------------------

type Tally = Map<string, { n: number; right: number }>;

function count(t: Tally, key: string, right: boolean): void {
  const e = t.get(key) ?? { n: 0, right: 0 };
  e.n++;
  if (right) e.right++;
  t.set(key, e);
}

/**
 * Re-reads each labelled email with the base parameters, so every field reading names its
 * evidence kind, and sets each kind's confidence to how often that kind's reading matched the
 * reviewer's value, shrunk towards its current value (PRIOR_WEIGHT). Readings whose confidence was modified (a conflict, an implausible value)
 * name no kind and teach nothing here.
 */
function calibrateExtract(base: ExtractParams, into: ExtractParams, rows: readonly TrainingRow[], minExamples: number): Recalibrated[] {
  const tally: Tally = new Map();
  for (const r of rows) {
    const truth = labelOf(r) as Partial<ClaimFields> | undefined;
    const email = r.input as ClaimEmail | null;
    if (!truth || typeof truth !== "object" || typeof email?.body !== "string" || typeof email.receivedAt !== "string") continue;
    const readings = readFields(email, base);
    for (const field of ["claimant", "policyNo", "incidentDate", "amount"] as const) {
      const reading = readings[field];
      if (reading.kind === undefined || !(field in truth)) continue;
      const want = truth[field] ?? null;
      const right =
        field === "amount" && typeof reading.value === "number" && typeof want === "number" ? Math.abs(reading.value - want) < 0.005 : reading.value === want;
      count(tally, `${field}.${reading.kind}`, right);
    }
  }
  const out: Recalibrated[] = [];
  for (const key of [...tally.keys()].sort()) {
    const { n, right } = tally.get(key)!;
    if (n < minExamples) continue;
    const [field, kind] = key.split(".") as [keyof ExtractParams["confidence"], string];
    const table = into.confidence[field] as unknown as Record<string, number>;
    const before = (base.confidence[field] as unknown as Record<string, number>)[kind];
    if (before === undefined) continue;
    table[kind] = shrunk(right, n, before);
    out.push({ step: "extract", evidence: key, examples: n, before, after: table[kind]! });
  }
  return out;
}

/**
 * The same for the reserve step: its recorded input (type, policy number, amount, date) is run
 * through the estimator again to name the evidence, and each kind's confidence becomes its
 * observed accuracy (shrunk towards its current value) on outputs with a known incident date; the unknown-date factor becomes the
 * ratio of the stated-amount kind's accuracy without a date to its accuracy with one.
 */
function calibrateReserve(base: ReserveParams, into: ReserveParams, rows: readonly TrainingRow[], policies: PolicyDb, minExamples: number): Recalibrated[] {
  const tally: Tally = new Map();
  for (const r of rows) {
    const truth = labelOf(r);
    const input = r.input as { type?: unknown; policyNo?: unknown; amount?: unknown; incidentDate?: unknown } | null;
    if (typeof truth !== "number" || !input || !isClaimType(input.type)) continue;
    const policy = typeof input.policyNo === "string" ? (policies.get(input.policyNo) ?? null) : null;
    const fields = {
      amount: typeof input.amount === "number" ? input.amount : null,
      incidentDate: typeof input.incidentDate === "string" ? input.incidentDate : null,
    };
    const out = estimateReserve({ fields, type: input.type, policy }, base);
    const evidence = String(out.features!.evidence);
    count(tally, `${evidence}${fields.incidentDate === null ? ":undated" : ""}`, reservesAgree(out.value, truth));
  }
  const out: Recalibrated[] = [];
  const kinds = ["stated", "capped", "standard", "standardCapped", "noPolicy", "notCovered", "lapsed"] as const;
  for (const kind of kinds) {
    const t = tally.get(kind);
    if (!t || t.n < minExamples) continue;
    into.confidence[kind] = shrunk(t.right, t.n, base.confidence[kind]);
    out.push({ step: "reserve", evidence: kind, examples: t.n, before: base.confidence[kind], after: into.confidence[kind] });
  }
  const undated = tally.get("stated:undated");
  if (undated && undated.n >= minExamples) {
    const factor = round(Math.min(1, shrunk(undated.right, undated.n, base.confidence.stated * base.confidence.unknownDateFactor) / into.confidence.stated), 4);
    out.push({ step: "reserve", evidence: "unknownDateFactor", examples: undated.n, before: base.confidence.unknownDateFactor, after: factor });
    into.confidence.unknownDateFactor = factor;
  }
  return out;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
