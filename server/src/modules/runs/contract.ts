import type { ErrorInfo, GateResult, RunStatus, Source } from "@seamtrace/sdk";
import { z } from "zod";

/**
 * Wire contracts of the query API: the query strings it accepts (zod, applied at the edge by
 * `middleware/validate.ts`) and the JSON it answers with (types, for the UI and typed clients).
 */

const DAY_MS = 86_400_000;
export const DEFAULT_WINDOW_MS = 30 * DAY_MS;
/** A year plus a leap day: the widest window whose cost we accept on the unindexed filters. */
export const MAX_WINDOW_MS = 366 * DAY_MS;
/**
 * Run times are stamped by the client, not by us; a slightly fast client clock must not hide a
 * run that just started from the default view.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;
/** Run detail returns at most this many steps; a run with more says so with `truncated`. */
export const MAX_STEPS = 5_000;

export const RUN_STATUSES = ["running", "paused", "completed", "failed"] as const satisfies readonly RunStatus[];

// Workflow names, versions and run ids are chosen by clients; the bound keeps a hostile query
// string from reaching SQL as a megabyte parameter.
export const name = z.string().min(1).max(256);

/** ISO 8601 date-time with an offset (`Z` or `+02:00`), or a bare date meaning UTC midnight. */
export const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: "expected an ISO 8601 date or date-time with offset" })
  .transform((s, ctx) => {
    const ms = Date.parse(s);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: "custom", message: "not a valid date" });
      return z.NEVER;
    }
    return ms;
  });

const limit = z
  .string()
  .regex(/^\d{1,6}$/, "expected a whole number")
  .transform(Number)
  .pipe(z.number().int().min(1).max(MAX_LIMIT))
  .default(DEFAULT_LIMIT);

/** Keyset position: the (startedAt, id) of the last item of the previous page. */
export interface RunCursor {
  startedAt: number;
  id: string;
}

/** Opaque to clients, so its layout may change; base64url keeps it URL-safe without escaping. */
export function encodeCursor(cursor: RunCursor): string {
  return Buffer.from(JSON.stringify([cursor.startedAt, cursor.id])).toString("base64url");
}

export function decodeCursor(raw: string): RunCursor | null {
  // Buffer's decoder skips characters outside the alphabet; reject them instead of guessing.
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [startedAt, id] = value as [unknown, unknown];
    if (!Number.isSafeInteger(startedAt) || typeof id !== "string" || id.length === 0 || id.length > 256) return null;
    return { startedAt: startedAt as number, id };
  } catch {
    return null;
  }
}

const cursor = z
  .string()
  .max(1024)
  .transform((s, ctx) => {
    const decoded = decodeCursor(s);
    if (!decoded) {
      ctx.addIssue({ code: "custom", message: "not a cursor returned by this API" });
      return z.NEVER;
    }
    return decoded;
  });

/** A resolved time window on `started_at`: `from` inclusive, `to` exclusive, in ms. */
export interface TimeWindow {
  from: number;
  to: number;
}

/**
 * Every list is bounded in time. Without `from` the window is the 30 days
 * before `to`; without `to` it ends now (plus clock skew). `now` is read per request.
 */
export function resolveWindow(now: () => number, q: { from?: number | undefined; to?: number | undefined }, ctx: z.RefinementCtx): TimeWindow {
  const to = q.to ?? now() + CLOCK_SKEW_MS;
  const from = q.from ?? to - DEFAULT_WINDOW_MS;
  if (from >= to) ctx.addIssue({ code: "custom", path: ["from"], message: "`from` must be before `to`" });
  else if (to - from > MAX_WINDOW_MS) {
    ctx.addIssue({ code: "custom", path: ["from"], message: "the time window may span at most 366 days; narrow `from`/`to`" });
  }
  return { from, to };
}

/**
 * Free text for the runs list: a run id (or its start), a key, or words of an error message.
 * Trimmed; blank means no filter, so an emptied search box lists everything again.
 */
export const search = z
  .string()
  .max(200, "at most 200 characters")
  .transform((s) => s.trim())
  .transform((s) => (s === "" ? undefined : s));

/**
 * Which runs of golden-set evaluations a list holds: none (production traffic only, the
 * default), both, or only them.
 */
export const GOLDEN_FILTERS = ["exclude", "include", "only"] as const;
export type GoldenFilter = (typeof GOLDEN_FILTERS)[number];

/** `GET /v1/runs` query. Unknown parameters are ignored (zod strips them). */
export function runListQuery(now: () => number) {
  return z
    .object({
      workflow: name.optional(),
      version: name.optional(),
      status: z.enum(RUN_STATUSES).optional(),
      q: search.optional(),
      golden: z.enum(GOLDEN_FILTERS).default("exclude"),
      /** The runs of one golden result (implies `golden=only`). */
      goldenResult: z.uuid().optional(),
      from: instant.optional(),
      to: instant.optional(),
      limit,
      cursor: cursor.optional(),
    })
    .transform(({ from, to, ...rest }, ctx) => ({ ...rest, window: resolveWindow(now, { from, to }, ctx) }));
}
export type RunListQuery = z.output<ReturnType<typeof runListQuery>>;

/** `GET /v1/workflows` query: the window the run counts cover. */
export function workflowListQuery(now: () => number) {
  return z.object({ from: instant.optional(), to: instant.optional() }).transform((q, ctx) => ({ window: resolveWindow(now, q, ctx) }));
}

export const runIdParam = z.object({ id: name });

// ---- Responses. Times are ISO 8601 strings; JSON payload columns are parsed back to values.

export interface WindowView {
  from: string;
  to: string;
}

/** What a golden run was made for; see `GoldenRunTag` in the SDK's wire types. */
export interface GoldenRunView {
  result: string;
  set: string;
  case: string;
  outcome: "pass" | "fail";
}

export interface RunSummary {
  id: string;
  workflow: string;
  version: string;
  key: string | null;
  status: RunStatus;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  stepCount: number;
  minCumulative: number | null;
  error: ErrorInfo | null;
  /**
   * The worker resuming this run stopped renewing its claim (it died or lost the server): the
   * run is resumable again, and the next worker replays what that one recorded.
   */
  resumerLost: boolean;
  /** Set for a run a golden-set evaluation made; null for production traffic. */
  golden: GoldenRunView | null;
}

/** `GET /v1/runs`: newest first; `nextCursor` is null on the last page. */
export interface RunListResponse {
  items: RunSummary[];
  nextCursor: string | null;
  window: WindowView;
}

export interface RunView extends RunSummary {
  input: unknown;
  output: unknown;
  /** The step that failed or paused the run. */
  stopStepId: string | null;
  updatedAt: string;
}

/** One evaluation of a step (`gen_ai.evaluation.result`), as OTLP brought it. */
export interface StepScore {
  name: string | null;
  value: number | null;
  label: string | null;
  explanation: string | null;
  origin: "span" | "log";
  time: string;
}

/** What an OpenTelemetry span said about its step besides its fields; bounded. */
export interface StepMetadata {
  kind: "unspecified" | "internal" | "server" | "client" | "producer" | "consumer";
  status?: { code: "ok" | "error"; message?: string };
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope?: { name?: string; version?: string };
  links?: Array<{ traceId: string; spanId: string; attributes?: Record<string, unknown> }>;
  /** Attributes and links left out past the bounds. */
  omitted?: number;
}

/** A GenAI event record (OTLP log record) attached to a step. */
export interface StepRecord {
  name: string;
  time: string;
  body: unknown;
}

export interface StepView {
  id: string;
  name: string;
  status: "completed" | "failed";
  parents: string[];
  input: unknown;
  output: unknown;
  confidence: number | null;
  cumulative: number | null;
  source: Source;
  observedAt: string | null;
  maxAgeMs: number | null;
  stale: boolean;
  flagged: boolean;
  reasoning: string | null;
  alternatives: unknown[] | null;
  features: Record<string, unknown> | null;
  attempts: number;
  attemptErrors: ErrorInfo[] | null;
  error: ErrorInfo | null;
  gate: GateResult | null;
  durationMs: number;
  startedAt: string;
  endedAt: string;
  /** Every evaluation of the step (OTLP); the confidence is one of them, by policy. */
  scores: StepScore[];
  /** The span's metadata, for steps that came from (or were traced by) OpenTelemetry. */
  metadata: StepMetadata | null;
  /** GenAI event records attached to the step. */
  records: StepRecord[];
}

/** A lineage edge: `from` is a parent step id, `to` the step that consumed its output. */
export interface Edge {
  from: string;
  to: string;
}

/**
 * `GET /v1/runs/:id`. Steps in execution order (startedAt, then id). `edges` only join steps
 * present in `steps`; a parent that was never recorded still appears in its child's `parents`.
 */
export interface RunDetailResponse {
  run: RunView;
  steps: StepView[];
  edges: Edge[];
  /** True when the run has more than `MAX_STEPS` steps and only the first ones are returned. */
  truncated: boolean;
}

export interface WorkflowVersionView {
  version: string;
  runCount: number;
  lastRunAt: string;
}

export interface WorkflowView {
  name: string;
  createdAt: string;
  /** Runs started in the window, over all versions. */
  runCount: number;
  lastRunAt: string | null;
  /** Versions with runs in the window, newest run first. */
  versions: WorkflowVersionView[];
}

/** `GET /v1/workflows`: by name; counts cover `window`. */
export interface WorkflowListResponse {
  items: WorkflowView[];
  window: WindowView;
  /** True when the project has more workflows or versions than one answer carries. */
  truncated: boolean;
}
