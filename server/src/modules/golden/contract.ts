import { MAX_SENT_CHANGES, type GoldenComparison, type GoldenResultPayload, type GoldenSummary, type Regression } from "@seamtrace/golden";
import { z } from "zod";
import { name } from "../runs/contract.js";

/**
 * Wire contracts of the golden API: results of `seamtrace golden run`
 * sent to the server and listed, and golden cases made from reviewed escalations.
 */

export const DEFAULT_RESULTS_LIMIT = 50;
export const MAX_RESULTS_LIMIT = 200;
/** A result body is a summary (a few hundred bytes a step) and its regressions. */
export const MAX_RESULT_BYTES = 1024 * 1024;
export const MAX_SUMMARY_STEPS = 1_000;

/**
 * A set name is also the file name `seamtrace export golden` writes (`<set>.jsonl`) and a path
 * segment of `GET /v1/golden/sets/:set/cases`, so it is file-name safe: no separators, no dots
 * first, no `.jsonl` (the CLI strips it from a file name).
 */
export const goldenSetName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "expected a set name: letters, digits, '.', '_' or '-', starting with a letter or digit, at most 128")
  .refine((s) => !s.endsWith(".jsonl"), "a set name without the .jsonl extension");

const count = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const rate = z.number().min(0).max(1);
const nullableNumber = z.number().nullable();

// Loose: a newer executor may add measurements; they are stored and returned, not dropped.
const calibration = z.looseObject({ n: count, brier: nullableNumber, ece: nullableNumber, overconfidence: nullableNumber });
const stepSummary = z.looseObject({
  step: name,
  expected: count,
  reached: count,
  correct: count,
  failed: count,
  accuracy: rate.nullable(),
  escalated: count,
  calibration,
  /** With several runs per case: how the step's accuracy varied between them. */
  trials: z.object({ variance: nullableNumber, flakyCases: count }).optional(),
});
export const goldenSummary = z.looseObject({
  cases: count,
  /** Runs per case (absent: 1). */
  trials: z.int().min(1).max(1000).optional(),
  runs: z.record(z.string().max(64), count),
  escalationRate: rate,
  endToEndAccuracy: rate.nullable(),
  completed: count,
  steps: z.array(stepSummary).max(MAX_SUMMARY_STEPS),
}) satisfies z.ZodType<GoldenSummary, unknown>;

/** The regression as sent; `kind` and the test's figures are optional so older executors' results still validate. */
type RegressionWire = Omit<Regression, "kind"> & Partial<Pick<Regression, "kind">>;
export const regression = z.object({
  what: z.string().min(1).max(256),
  kind: z.enum(["accuracy", "calibration", "escalation", "end-to-end"]).optional(),
  baseline: z.number(),
  current: z.number(),
  message: z.string().max(2_000),
  pValue: z.number().min(0).max(1).optional(),
  newFailures: count.optional(),
  newPasses: count.optional(),
}) satisfies z.ZodType<RegressionWire, unknown>;

const pValue = z.number().min(0).max(1).nullable();
const caseChange = z.object({
  case: z.string().min(1).max(1_000),
  step: name,
  change: z.enum(["new-failure", "new-pass"]),
  baseline: z.string().max(64),
  current: z.string().max(64),
  reason: z.string().max(1_000).optional(),
});
const stepComparison = z.object({
  step: name,
  pairs: count,
  newFailures: count,
  newPasses: count,
  newlyNotReached: count,
  newlyReached: count,
  accuracy: z.object({ baseline: rate.nullable(), current: rate.nullable(), pValue, regressed: z.boolean() }),
  calibration: z.object({
    baseline: calibration.nullable(),
    current: calibration.nullable(),
    pairs: count,
    brierChange: nullableNumber,
    pValue,
    regressed: z.boolean(),
  }),
  escalation: z.object({ baseline: rate, current: rate, newlyEscalated: count, noLongerEscalated: count, pValue, regressed: z.boolean() }),
});
/** The case-by-case comparison with the baseline (@seamtrace/golden `GoldenComparison`), case changes capped. */
export const goldenComparison = z.object({
  rule: z.object({ alpha: z.number().gt(0).lt(1), maxNewFailures: count.optional() }),
  trials: z.object({ current: z.int().min(1).max(1000), baseline: z.int().min(1).max(1000) }),
  steps: z.array(stepComparison).max(MAX_SUMMARY_STEPS),
  endToEnd: z.object({
    baseline: rate.nullable(),
    current: rate.nullable(),
    newlyWrong: count,
    noLongerWrong: count,
    pValue,
    regressed: z.boolean(),
    firstWrongStep: z.record(name, count),
  }),
  changes: z.array(caseChange).max(MAX_SENT_CHANGES),
  changesOmitted: count.optional(),
}) satisfies z.ZodType<GoldenComparison & { changesOmitted?: number }, unknown>;

/** `POST /v1/golden/results`: what one `golden run` measured. */
export const goldenResultBody = z
  .object({
    /**
     * The result's id, chosen by the executor (a UUID) so the runs it sends while the set runs
     * can name their result (the events' `golden.result`); the server makes one when absent.
     */
    id: z.uuid().optional(),
    set: goldenSetName,
    /** goldenSetVersion of the set's text (SHA-256 hex). */
    setVersion: z.string().regex(/^[0-9a-f]{64}$/, "expected the set version (SHA-256, hex)"),
    workflow: name,
    version: name,
    startedAt: z.iso.datetime({ offset: true }),
    finishedAt: z.iso.datetime({ offset: true }),
    summary: goldenSummary,
    regressions: z.array(regression).max(MAX_SUMMARY_STEPS + 2),
    /** The workflow version of the baseline it was compared with; null when none was. */
    baselineVersion: name.nullable().optional(),
    /** The case-by-case comparison, when the run had a baseline. */
    comparison: goldenComparison.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (Date.parse(b.finishedAt) < Date.parse(b.startedAt))
      ctx.addIssue({ code: "custom", path: ["finishedAt"], message: "`finishedAt` is before `startedAt`" });
  });
export type GoldenResultBody = z.output<typeof goldenResultBody>;

/** The POST body as a client builds it (the CLIs): @seamtrace/golden's own payload type. */
export type GoldenResultRequest = GoldenResultPayload;

/** Keyset position in the results list (newest first): the last item's (createdAt, id). */
export interface GoldenResultsCursor {
  createdAt: number;
  id: string;
}

export function encodeResultsCursor(c: GoldenResultsCursor): string {
  return Buffer.from(JSON.stringify([c.createdAt, c.id])).toString("base64url");
}

export function decodeResultsCursor(raw: string): GoldenResultsCursor | null {
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    if (!Array.isArray(v) || v.length !== 2 || !Number.isSafeInteger(v[0]) || typeof v[1] !== "string" || v[1].length === 0 || v[1].length > 64) return null;
    return { createdAt: v[0] as number, id: v[1] };
  } catch {
    return null;
  }
}

/** `GET /v1/golden/results`. */
export const goldenResultsQuery = z.object({
  workflow: name.optional(),
  set: goldenSetName.optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_RESULTS_LIMIT))
    .default(DEFAULT_RESULTS_LIMIT),
  cursor: z
    .string()
    .max(512)
    .transform((s, ctx) => {
      const c = decodeResultsCursor(s);
      if (!c) {
        ctx.addIssue({ code: "custom", message: "not a cursor returned by this API" });
        return z.NEVER;
      }
      return c;
    })
    .optional(),
});
export type GoldenResultsQuery = z.output<typeof goldenResultsQuery>;

export const goldenResultIdParam = z.object({ id: z.string().min(1).max(64) });

// ---- Golden cases from reviews.

/** `POST /v1/golden/cases`: the run of a resolved escalation becomes a case of `set`. */
export const goldenCaseBody = z.object({ escalationId: name, set: goldenSetName }).strict();
export type GoldenCaseBody = z.output<typeof goldenCaseBody>;

export const goldenSetParam = z.object({ set: goldenSetName });

// ---- Responses. Times are ISO 8601 strings.

/** `POST /v1/golden/results` → 201. */
export interface GoldenResultCreated {
  id: string;
}

/** An item of `GET /v1/golden/results`. */
export interface GoldenResultSummary {
  id: string;
  set: string;
  setVersion: string;
  workflow: string;
  version: string;
  startedAt: string;
  finishedAt: string;
  cases: number;
  endToEndAccuracy: number | null;
  escalationRate: number;
  /** How many regressions the run found against its baseline. */
  regressions: number;
  baselineVersion: string | null;
  /** When the server stored it. */
  createdAt: string;
  /** Who sent it: `sdk:<key id>` or `user:<id>`. */
  actor: string;
}

/** `GET /v1/golden/results`: newest first; `nextCursor` is null on the last page. */
export interface GoldenResultsResponse {
  items: GoldenResultSummary[];
  nextCursor: string | null;
}

/**
 * `GET /v1/golden/results/:id`: the POST body as stored, with its id, createdAt and sender, and
 * for every case the comparison names, the runs the result made of it (each opens as a DAG).
 */
export interface GoldenResultDetail extends Omit<GoldenResultRequest, "baselineVersion" | "comparison" | "id"> {
  id: string;
  baselineVersion: string | null;
  /** The case-by-case comparison with the baseline as sent; null when the run had no baseline. */
  comparison: (GoldenComparison & { changesOmitted?: number }) | null;
  /** Run ids by case, oldest first, for the cases in `comparison.changes` whose runs were sent. */
  caseRuns: Record<string, string[]>;
  createdAt: string;
  actor: string;
}

/** `POST /v1/golden/cases` → 201. `caseId` is the case's id inside the set (`review-<escalation id>`). */
export interface GoldenCaseCreated {
  id: string;
  set: string;
  caseId: string;
}

export interface GoldenSetView {
  set: string;
  cases: number;
  updatedAt: string;
}

/** `GET /v1/golden/sets`: by name. */
export interface GoldenSetsResponse {
  items: GoldenSetView[];
}
