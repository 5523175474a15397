/**
 * The golden executor: runs every case of a golden set through the real, instrumented workflow
 * (bounded parallelism) and compares each step it expects.
 *
 * The workflow runs on a Seamtrace client whose `request` is captured in memory: the executor
 * reads what each step produced — output, confidence, gate outcome — from the very events the
 * SDK would send to the collector, so a golden run measures the workflow as it runs in
 * production, gates included, without a server.
 */
import type { RequestFn, RunResult, Seamtrace as SeamtraceClient, SeamtraceEvent, StandardSchemaV1, StepEvent } from "@seamtrace/sdk";
import { Seamtrace } from "@seamtrace/sdk";
import pLimit from "p-limit";
import { comparatorFor, type Comparator } from "./comparators.js";
import type { GoldenCase } from "./golden-set.js";

/** What a workflow module hands the executor: a way to run one input. */
export interface GoldenTarget {
  run(input: unknown): Promise<RunResult<unknown>>;
  /** Per-step comparators, over the module's `comparators`. Steps not named compare exactly. */
  comparators?: Record<string, Comparator>;
}

/**
 * The shape of a module passed to `seamtrace golden run --workflow <module>`.
 * @example
 * export function createGoldenWorkflow(st) {
 *   const wf = st.workflow("claims", { version: "3" });
 *   return { run: (input) => wf.run({ input }, pipeline) };
 * }
 * export const comparators = { reserve: (a, e) => ({ match: Math.abs(a - e) <= 0.1 * e }) };
 */
export interface GoldenWorkflowModule {
  createGoldenWorkflow(st: SeamtraceClient): GoldenTarget | Promise<GoldenTarget>;
  comparators?: Record<string, Comparator>;
  /** Input contracts of the handoffs, `downstream → upstream → Standard Schema`, for `seamtrace seams` (see seams.ts). */
  seams?: Record<string, Record<string, StandardSchemaV1>>;
  /** Inputs for `seamtrace chaos` when no golden set is given: `count` of them, reproducible by `seed`. */
  sampleInputs?(count: number, seed: number): unknown[] | Promise<unknown[]>;
}

/** Checks an imported module has the shape above, naming what is missing. */
export function asGoldenWorkflowModule(mod: unknown, source: string): GoldenWorkflowModule {
  const m = mod as Partial<GoldenWorkflowModule> | null;
  if (!m || typeof m.createGoldenWorkflow !== "function") {
    throw new TypeError(`${source} does not export a function createGoldenWorkflow(st) (see @seamtrace/golden GoldenWorkflowModule)`);
  }
  if (m.comparators !== undefined && (typeof m.comparators !== "object" || m.comparators === null)) {
    throw new TypeError(`${source}: "comparators" must be an object mapping step names to functions`);
  }
  return m as GoldenWorkflowModule;
}

/** What happened at one expected step of one case. */
export interface StepOutcome {
  /** `ok`/`wrong`: the step ran and was compared; `failed`: it threw; `not-reached`: the run stopped before it. */
  status: "ok" | "wrong" | "failed" | "not-reached";
  actual?: unknown;
  confidence?: number;
  /** The gate's decision after the step (absent when there was no gate). */
  gate?: "pass" | "escalate" | "flag";
  reason?: string;
}

/** One case's result. */
export interface CaseResult {
  id: string;
  tags: string[];
  run: RunResult<unknown>["status"] | "error";
  workflow?: string;
  version?: string;
  /** Keyed by the case's expected step names. */
  steps: Record<string, StepOutcome>;
  /** Set when `run()` itself threw (it should not: the SDK resolves with a failure instead). */
  error?: string;
}

export interface ExecuteOptions {
  /** Cases run at once. Default 8. */
  concurrency?: number;
  /** Called after each case. */
  onCase?: (result: CaseResult, done: number) => void;
  /** Called with each case's captured events (seam checks read the recorded lineage). */
  onEvents?: (c: GoldenCase, events: SeamtraceEvent[]) => void;
}

/**
 * Runs every case through the workflow and compares the steps each expects.
 * Results are in case order whatever order they finished in.
 */
export async function executeGoldenSet(cases: readonly GoldenCase[], mod: GoldenWorkflowModule, options: ExecuteOptions = {}): Promise<CaseResult[]> {
  const capture = new EventCapture();
  const st = new Seamtrace({
    endpoint: "http://golden.invalid",
    request: capture.request,
    // Delivery is in memory: no need to wait for a batch to fill, nor to compress it.
    transport: { gzip: false, flushIntervalMs: 10, maxBufferEvents: 100_000 },
  });
  try {
    const target = await mod.createGoldenWorkflow(st);
    const comparators = { ...mod.comparators, ...target.comparators };
    const limit = pLimit(Math.max(1, options.concurrency ?? 8));
    let done = 0;
    return await Promise.all(
      cases.map((c) =>
        limit(async () => {
          const result = await runCase(c, target, st, capture, comparators, options.onEvents);
          options.onCase?.(result, ++done);
          return result;
        }),
      ),
    );
  } finally {
    await st.shutdown({ timeoutMs: 1000 });
  }
}

async function runCase(
  c: GoldenCase,
  target: GoldenTarget,
  st: SeamtraceClient,
  capture: EventCapture,
  comparators: Record<string, Comparator>,
  onEvents: ExecuteOptions["onEvents"],
): Promise<CaseResult> {
  const tags = c.tags ?? [];
  let result: RunResult<unknown>;
  try {
    result = await target.run(c.input);
  } catch (err) {
    const steps: Record<string, StepOutcome> = {};
    for (const step of Object.keys(c.expected)) steps[step] = { status: "not-reached" };
    return { id: c.id, tags, run: "error", steps, error: err instanceof Error ? err.message : String(err) };
  }
  await st.flush({ timeoutMs: 5000 });
  const events = capture.take(result.runId);
  onEvents?.(c, events);
  const byStep = new Map<string, StepEvent>();
  let workflow: string | undefined;
  let version: string | undefined;
  for (const e of events) {
    if (e.type === "step.completed" || e.type === "step.failed") byStep.set(e.step, e); // the last call of a name wins
    if (e.type === "run.started") ({ workflow, version } = e);
  }
  const steps: Record<string, StepOutcome> = {};
  // Steps in the order the workflow ran them (the set's own order is canonical, i.e. sorted),
  // then those it never reached: the report and the regressions read in workflow order.
  const ran = [...byStep.keys()].filter((s) => Object.hasOwn(c.expected, s));
  const order = [...ran, ...Object.keys(c.expected).filter((s) => !byStep.has(s))];
  for (const step of order) {
    const expected = c.expected[step];
    const e = byStep.get(step);
    if (!e) {
      steps[step] = { status: "not-reached" };
      continue;
    }
    const outcome: StepOutcome = { status: "failed" };
    if (e.confidence !== undefined) outcome.confidence = e.confidence;
    if (e.gate) outcome.gate = e.gate.outcome;
    if (e.type === "step.failed") {
      outcome.reason = e.error ? `${e.error.name}: ${e.error.message}` : "failed";
    } else {
      outcome.actual = e.output;
      const verdict = comparatorFor(step, comparators)(e.output, expected);
      outcome.status = verdict.match ? "ok" : "wrong";
      if (verdict.reason !== undefined) outcome.reason = verdict.reason;
    }
    steps[step] = outcome;
  }
  const out: CaseResult = { id: c.id, tags, run: result.status, steps };
  if (workflow !== undefined) out.workflow = workflow;
  if (version !== undefined) out.version = version;
  return out;
}

/** The collector stand-in: accepts every batch and files its events by run. */
export class EventCapture {
  private readonly runs = new Map<string, SeamtraceEvent[]>();

  readonly request: RequestFn = async (_url, init) => {
    const body = typeof init.body === "string" ? init.body : new TextDecoder().decode(init.body);
    const { events } = JSON.parse(body) as { events: SeamtraceEvent[] };
    for (const e of events) {
      if (!("runId" in e)) continue;
      let list = this.runs.get(e.runId);
      if (!list) this.runs.set(e.runId, (list = []));
      list.push(e);
    }
    const answer = JSON.stringify({ results: events.map((e) => ({ id: e.id, status: "accepted" })) });
    return { status: 200, headers: { get: (n: string) => (n.toLowerCase() === "content-type" ? "application/json" : null) }, text: async () => answer };
  };

  /** The run's events, forgotten here so memory stays bounded by the cases in flight. */
  take(runId: string): SeamtraceEvent[] {
    const events = this.runs.get(runId) ?? [];
    this.runs.delete(runId);
    return events;
  }
}
