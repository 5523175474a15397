/**
 * The golden executor: runs every case of a golden set through the real, instrumented workflow
 * (bounded parallelism), `trials` times each, and compares each step it expects.
 *
 * The workflow runs on a Seamtrace client whose events go to an in-memory sink: the executor
 * reads what each step produced — output, confidence, gate outcome — from the very events the
 * SDK would send to the collector, so a golden run measures the workflow as it runs in
 * production, gates included, without a server. An event the sink could not keep is reported
 * as such, never mistaken for a step the run did not reach.
 */
import type { RunResult, Seamtrace as SeamtraceClient, SeamtraceEvent, StandardSchemaV1, StepEvent } from "@seamtrace/sdk";
import { Seamtrace } from "@seamtrace/sdk";
import { MemorySink, type LostEvent } from "@seamtrace/sdk/memory";
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
  /**
   * `ok`/`wrong`: the step ran and was compared; `failed`: it threw, or its event could not be
   * recorded (the reason says which); `not-reached`: the run stopped before it.
   */
  status: "ok" | "wrong" | "failed" | "not-reached";
  actual?: unknown;
  confidence?: number;
  /** The gate's decision after the step (absent when there was no gate). */
  gate?: "pass" | "escalate" | "flag";
  reason?: string;
}

/** One run of one case. */
export interface TrialResult {
  run: RunResult<unknown>["status"] | "error";
  /** The run's id (absent when `run()` threw). */
  runId?: string;
  /** Keyed by the case's expected step names, in the order the workflow ran them. */
  steps: Record<string, StepOutcome>;
  /** Set when `run()` itself threw (it should not: the SDK resolves with a failure instead). */
  error?: string;
}

/** One case's result: its first run at the top level, and every run in `trials` when there were several. */
export interface CaseResult extends TrialResult {
  id: string;
  tags: string[];
  workflow?: string;
  version?: string;
  /** Every run of the case, the first included; present only with `trials` above 1. */
  trials?: TrialResult[];
}

/** The runs of a case: `trials`, or the case itself when it ran once. */
export function trialsOf(r: CaseResult): readonly TrialResult[] {
  return r.trials ?? [r];
}

export interface ExecuteOptions {
  /** Cases run at once. Default 8. */
  concurrency?: number;
  /** Runs of each case, for steps that are not deterministic. Default 1. */
  trials?: number;
  /** Called after each case (all its trials). */
  onCase?: (result: CaseResult, done: number) => void;
  /** Called with each run's recorded events (seam checks read the recorded lineage). */
  onEvents?: (c: GoldenCase, events: SeamtraceEvent[]) => void;
  /**
   * Called after each run is compared, with its outcome and recorded events (a golden run sends
   * them to a server). The case's next run waits for the promise it returns: backpressure.
   */
  onRun?: (c: GoldenCase, run: TrialResult, events: readonly SeamtraceEvent[]) => void | Promise<void>;
}

/**
 * Runs every case through the workflow and compares the steps each expects.
 * Results are in case order whatever order they finished in.
 */
export async function executeGoldenSet(cases: readonly GoldenCase[], mod: GoldenWorkflowModule, options: ExecuteOptions = {}): Promise<CaseResult[]> {
  const trials = options.trials ?? 1;
  if (!(Number.isInteger(trials) && trials >= 1)) throw new RangeError("trials must be a whole number of at least 1");
  const sink = new MemorySink();
  const st = new Seamtrace({ sink });
  try {
    const target = await mod.createGoldenWorkflow(st);
    const comparators = { ...mod.comparators, ...target.comparators };
    const limit = pLimit(Math.max(1, options.concurrency ?? 8));
    let done = 0;
    return await Promise.all(
      cases.map((c) =>
        limit(async () => {
          const runs: TrialResult[] = [];
          const meta: { workflow?: string; version?: string } = {};
          for (let t = 0; t < trials; t++) runs.push(await runOnce(c, target, sink, comparators, options, meta));
          const result: CaseResult = { id: c.id, tags: c.tags ?? [], ...meta, ...runs[0]! };
          if (trials > 1) result.trials = runs;
          options.onCase?.(result, ++done);
          return result;
        }),
      ),
    );
  } finally {
    await st.shutdown({ timeoutMs: 1000 });
  }
}

async function runOnce(
  c: GoldenCase,
  target: GoldenTarget,
  sink: MemorySink,
  comparators: Record<string, Comparator>,
  hooks: Pick<ExecuteOptions, "onEvents" | "onRun">,
  meta: { workflow?: string; version?: string },
): Promise<TrialResult> {
  let result: RunResult<unknown>;
  try {
    result = await target.run(c.input);
  } catch (err) {
    const steps: Record<string, StepOutcome> = {};
    for (const step of Object.keys(c.expected)) steps[step] = { status: "not-reached" };
    return { run: "error", steps, error: err instanceof Error ? err.message : String(err) };
  }
  // The sink holds a run's events as soon as they are emitted: nothing to flush or wait for.
  const { events, lost } = sink.take(result.runId);
  hooks.onEvents?.(c, events);
  const byStep = new Map<string, StepEvent>();
  for (const e of events) {
    if (e.type === "step.completed" || e.type === "step.failed") byStep.set(e.step, e); // the last call of a name wins
    if (e.type === "run.started" && meta.workflow === undefined) (meta.workflow = e.workflow), (meta.version = e.version);
  }
  const lostByStep = new Map<string, LostEvent>();
  for (const l of lost) if (l.step !== undefined) lostByStep.set(l.step, l);
  const steps: Record<string, StepOutcome> = {};
  // Steps in the order the workflow ran them (the set's own order is canonical, i.e. sorted),
  // then those it never reached: the report and the regressions read in workflow order.
  const ran = [...byStep.keys()].filter((s) => Object.hasOwn(c.expected, s));
  const order = [...ran, ...Object.keys(c.expected).filter((s) => !byStep.has(s))];
  for (const step of order) {
    const expected = c.expected[step];
    const e = byStep.get(step);
    if (!e) {
      const l = lostByStep.get(step);
      // The step ran, but its event could not be recorded: in production the collector would not
      // get it either, so it is a failure with its cause, not a step the run never reached.
      steps[step] = l ? { status: "failed", reason: `its event was not recorded (${l.reason}: ${l.message})` } : { status: "not-reached" };
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
  const trial: TrialResult = { run: result.status, runId: result.runId, steps };
  await hooks.onRun?.(c, trial, events);
  return trial;
}

/** Whether a run matched every step its case expects. */
export function trialPassed(t: TrialResult): boolean {
  return Object.values(t.steps).every((o) => o.status === "ok");
}
