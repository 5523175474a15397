/**
 * Chaos runs: seeded injection of low confidence, malformed outputs, thrown errors and
 * timeouts at random steps of a workflow, then proof from the recorded events that each fault was
 * stopped (escalated at a gate or contract), flagged, or failed gracefully — and that no faulty
 * value reached a later step unflagged.
 *
 * Faults go in through the SDK client's internal step interceptor (`interceptStep`), so user code
 * is untouched: the workflow runs exactly as deployed, on a client whose events go to an in-memory
 * sink (as in a golden run). What each fault led to is read from the very events the SDK would
 * send: the faulted step's gate, its lineage descendants, and the run's end.
 *
 * A run can end while one of its steps is still running: a parallel sibling escalated or failed,
 * `run()` resolved, and the step (say, a hang cut by its timeout a second later) records its
 * outcome afterwards. Chaos therefore waits, after each run, until every step call it saw has
 * been recorded (or the run's deadline passes) before it accounts for the fault.
 *
 * Determinism: whether and how a step is faulted is a hash of (seed, run index, step call index
 * within the run), never a shared random stream, so parallel runs finishing in any order inject
 * the same faults for the same seed.
 */
import type { RunResult, SeamtraceEvent, StandardSchemaV1, StepEvent, StepFn, StepInterceptor, StepResult } from "@seamtrace/sdk";
import { Seamtrace } from "@seamtrace/sdk";
import { MemorySink } from "@seamtrace/sdk/memory";
import Table from "cli-table3";
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";
import pLimit from "p-limit";
import { recorded, tracked, type StepCalls } from "./chaos-recorded.js";
import { preview } from "./comparators.js";
import type { GoldenWorkflowModule } from "./executor.js";

export const FAULT_KINDS = ["low-confidence", "malformed", "throw", "timeout"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ChaosOptions {
  seed: number;
  /** The inputs, cycled over the runs. */
  inputs: readonly unknown[];
  /** Runs to make. Default: one per input. */
  runs?: number;
  /** Chance that a given step call is faulted (at most one fault per run). Default 0.3. */
  rate?: number;
  /** Kinds to draw from. Default all. */
  kinds?: readonly FaultKind[];
  /** Runs at once. Default 8. */
  concurrency?: number;
  /**
   * How long an injected hang lasts in a step without `timeoutMs` before chaos gives up on it
   * (it counts as a hang the workflow did not handle). Default 2000.
   */
  hangMs?: number;
  /** A run that has not settled after this long is reported as hung. Default 60 s. */
  runDeadlineMs?: number;
}

/** One injected fault. */
export interface InjectedFault {
  /** The run's index (0-based) in this chaos run. */
  run: number;
  runId: string;
  step: string;
  /** The call of this step name within the run (0 for the first). */
  call: number;
  kind: FaultKind;
  /** What was injected: the confidence, the malformed value, the error. */
  detail: string;
}

export type FaultOutcomeKind =
  /** Stopped at a gate or contract and escalated for review (here or at a downstream gate). */
  | "escalated"
  /** Passed on flagged, with every downstream output marked flagged. */
  | "flagged"
  /** The step failed, the run stopped and recorded why, and `run()` resolved. */
  | "failed"
  /** Never consumed: the run stopped elsewhere before any step read it. */
  | "contained"
  /** A faulty value reached a later step (or the run's result) unflagged. */
  | "leaked"
  /** The injected hang was not cut by a step timeout. */
  | "hung"
  /** Anything else: no event for the step, a throw out of `run()`, a run that never settled. */
  | "unaccounted";

export interface FaultOutcome extends InjectedFault {
  outcome: FaultOutcomeKind;
  /** False for leaked, hung and unaccounted. */
  accounted: boolean;
  explanation: string;
  /** Steps the faulty value reached unflagged (leaks). */
  reached?: string[];
}

export interface ChaosReport {
  seed: number;
  runs: number;
  /** Runs into which no fault was injected. */
  runsWithoutFault: number;
  faults: FaultOutcome[];
  /** Faults per outcome. */
  outcomes: Record<FaultOutcomeKind, number>;
  /** True when any fault is unaccounted for, leaked or hung (exit 1). */
  failed: boolean;
}

/** Thrown into a step by a `throw` fault. */
export class ChaosFault extends Error {
  override readonly name = "ChaosFault";
}
/** Ends an injected hang that no step timeout cut. */
export class ChaosHang extends Error {
  override readonly name = "ChaosHang";
}

interface RunContext extends StepCalls {
  index: number;
  calls: number;
  fault?: InjectedFault;
}

/** A deterministic draw in [0, 1) from the seed and a position. */
function draw(seed: number, ...at: Array<string | number>): number {
  const h = createHash("sha256")
    .update(`${seed}:${at.join(":")}`)
    .digest();
  return h.readUIntBE(0, 6) / 2 ** 48;
}

/** Values tried, in order, for a malformed output: the first the step's contract rejects is used. */
const MALFORMED_CANDIDATES: readonly unknown[] = [{ __chaos: "malformed" }, null, "__chaos", -1, [], true];

/**
 * Runs the workflow `runs` times with seeded faults and accounts for each one.
 * @example
 * const report = await chaosRun(await loadWorkflowModule("dist/golden.js"), { seed: 7, inputs });
 * if (report.failed) process.exitCode = 1;
 */
export async function chaosRun(mod: GoldenWorkflowModule, options: ChaosOptions): Promise<ChaosReport> {
  const { seed } = options;
  const rate = options.rate ?? 0.3;
  const kinds = options.kinds?.length ? options.kinds : FAULT_KINDS;
  const hangMs = options.hangMs ?? 2_000;
  const runDeadlineMs = options.runDeadlineMs ?? 60_000;
  const runs = options.runs ?? options.inputs.length;
  if (options.inputs.length === 0) throw new TypeError("chaos needs at least one input");
  const store = new AsyncLocalStorage<RunContext>();

  const intercept: StepInterceptor = (identity, step, call, opts, fn) => {
    const ctx = store.getStore();
    if (!ctx) return fn;
    ctx.runId = identity.runId;
    ctx.seen.add(`${call}:${step}`);
    return tracked(ctx, inject(ctx, identity, step, call, opts, fn));
  };

  const inject = (
    ctx: RunContext,
    identity: Parameters<StepInterceptor>[0],
    step: string,
    call: number,
    opts: Parameters<StepInterceptor>[3],
    fn: StepFn<unknown>,
  ): StepFn<unknown> => {
    if (ctx.fault) return fn; // one fault per run: its outcome is the run's
    const at = ctx.calls++;
    if (draw(seed, ctx.index, at, "at") >= rate) return fn;
    const kind = kinds[Math.floor(draw(seed, ctx.index, at, "kind") * kinds.length)]!;
    const fault: InjectedFault = { run: ctx.index, runId: identity.runId, step, call, kind, detail: "" };
    ctx.fault = fault;
    switch (kind) {
      case "low-confidence": {
        const confidence = Math.round((0.01 + 0.2 * draw(seed, ctx.index, at, "confidence")) * 1000) / 1000;
        fault.detail = `confidence ${confidence}`;
        return (c) => then(fn(c), (r) => ({ ...asResult(r), confidence }));
      }
      case "malformed":
        fault.detail = "value (the step threw before it was replaced)";
        return (c) =>
          then(fn(c), async (r) => {
            const value = await malformedFor(opts.schema);
            fault.detail = `value ${preview(value)}`;
            return { ...asResult(r), value };
          });
      case "throw":
        fault.detail = "ChaosFault thrown";
        return () => {
          throw new ChaosFault(`chaos: injected failure in step "${step}"`);
        };
      case "timeout": {
        // A step with a time limit is cut by the SDK (its signal aborts); one without hangs until
        // chaos gives up, which is the finding.
        const limit = opts.timeoutMs !== undefined ? opts.timeoutMs * Math.max(1, opts.retry?.attempts ?? 1) + hangMs : hangMs;
        fault.detail = opts.timeoutMs !== undefined ? `hang (step timeout ${opts.timeoutMs} ms)` : `hang (no step timeout; gave up after ${hangMs} ms)`;
        return (c) =>
          new Promise<never>((_, reject) => {
            const timer = setTimeout(() => reject(new ChaosHang(`chaos: step "${step}" hung for ${limit} ms and nothing cut it`)), limit);
            c.signal?.addEventListener(
              "abort",
              () => {
                clearTimeout(timer);
                reject(c.signal!.reason);
              },
              { once: true },
            );
          });
      }
    }
  };

  const sink = new MemorySink();
  const st = new Seamtrace({ sink, interceptStep: intercept });
  const faults: FaultOutcome[] = [];
  let runsWithoutFault = 0;
  try {
    const target = await mod.createGoldenWorkflow(st);
    const limit = pLimit(Math.max(1, options.concurrency ?? 8));
    const settled = await Promise.all(
      Array.from({ length: runs }, (_, index) =>
        limit(async () => {
          const ctx: RunContext = { index, calls: 0, seen: new Set(), inflight: new Set() };
          const deadline = Date.now() + runDeadlineMs;
          // Through a promise: a `run` that throws synchronously is a finding, not a crash of chaos.
          const outcome = await store.run(ctx, () =>
            settle(
              Promise.resolve().then(() => target.run(options.inputs[index % options.inputs.length])),
              runDeadlineMs,
            ),
          );
          await recorded(ctx, sink, deadline);
          return { ctx, outcome };
        }),
      ),
    );
    for (const { ctx, outcome } of settled) {
      const events = ctx.runId !== undefined ? sink.take(ctx.runId).events : [];
      if (!ctx.fault) {
        runsWithoutFault++;
        continue;
      }
      faults.push({ ...ctx.fault, ...account(ctx.fault, events, outcome, runDeadlineMs) });
    }
  } finally {
    await st.shutdown({ timeoutMs: 1_000 });
  }
  const outcomes = { escalated: 0, flagged: 0, failed: 0, contained: 0, leaked: 0, hung: 0, unaccounted: 0 } satisfies Record<FaultOutcomeKind, number>;
  for (const f of faults) outcomes[f.outcome]++;
  return { seed, runs, runsWithoutFault, faults, outcomes, failed: faults.some((f) => !f.accounted) };
}

type Settled = { result: RunResult<unknown> } | { threw: unknown } | { hung: true };

async function settle(p: Promise<RunResult<unknown>>, deadlineMs: number): Promise<Settled> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<Settled>((resolve) => {
    timer = setTimeout(() => resolve({ hung: true }), deadlineMs);
  });
  try {
    return await Promise.race([
      p.then(
        (result) => ({ result }),
        (threw: unknown) => ({ threw }),
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function asResult(r: unknown): StepResult<unknown> {
  return typeof r === "object" && r !== null && "value" in r ? (r as StepResult<unknown>) : { value: r };
}

function then<T>(ret: T | Promise<T>, f: (r: T) => StepResult<unknown> | Promise<StepResult<unknown>>): StepResult<unknown> | Promise<StepResult<unknown>> {
  return typeof (ret as { then?: unknown } | null)?.then === "function" ? (ret as Promise<T>).then(f) : f(ret as T);
}

async function malformedFor(schema: StandardSchemaV1 | undefined): Promise<unknown> {
  if (!schema) return MALFORMED_CANDIDATES[0];
  for (const candidate of MALFORMED_CANDIDATES) {
    try {
      const result = await schema["~standard"].validate(candidate);
      if (result.issues !== undefined) return candidate;
    } catch {
      return candidate; // a validator that throws on it rejects it
    }
  }
  return MALFORMED_CANDIDATES[0]; // the contract accepts anything: nothing can catch it
}

const isStep = (e: SeamtraceEvent): e is StepEvent => e.type === "step.completed" || e.type === "step.failed";

/** What the recorded events say became of one fault. */
function account(fault: InjectedFault, events: SeamtraceEvent[], settled: Settled, deadlineMs: number): Omit<FaultOutcome, keyof InjectedFault> {
  const bad = (outcome: FaultOutcomeKind, explanation: string, reached?: string[]) => ({ outcome, accounted: false, explanation, ...(reached && { reached }) });
  const ok = (outcome: FaultOutcomeKind, explanation: string) => ({ outcome, accounted: true, explanation });
  if ("threw" in settled) {
    const e = settled.threw;
    return bad(
      "unaccounted",
      `run() rejected (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}): a throw escaped the SDK instead of a recorded failure`,
    );
  }
  if ("hung" in settled) return bad("unaccounted", `the run did not settle within ${deadlineMs} ms`);
  const result = settled.result;
  const steps = events.filter(isStep);
  const faulted = steps.filter((e) => e.step === fault.step && (e.call ?? 0) === fault.call).at(-1);
  if (!faulted) return bad("unaccounted", `no event was recorded for step "${fault.step}"`);
  const runEnd = events.find((e) => e.type === "run.completed" || e.type === "run.failed" || e.type === "run.paused");

  if (faulted.type === "step.failed") {
    const err = faulted.error;
    if (err?.name === "ChaosHang") return bad("hung", `step "${fault.step}" has no timeoutMs: the injected hang ran until chaos gave up`);
    if (result.status !== "failed" && result.status !== "escalated")
      return bad("unaccounted", `step "${fault.step}" failed but the run ended ${result.status}`);
    if (runEnd?.type !== "run.failed" && runEnd?.type !== "run.paused") return bad("unaccounted", "no run.failed event recorded the failure");
    const why = `${err?.name ?? "Error"} after ${faulted.attempt} attempt${faulted.attempt === 1 ? "" : "s"}`;
    const where =
      result.status === "failed" && result.failure?.stepId === faulted.stepId
        ? "the run failed there and recorded why"
        : `the run had already stopped (${result.status})`;
    return ok("failed", `step "${fault.step}" failed gracefully (${why}); ${where}`);
  }

  // The step completed: follow its value down the lineage.
  const children = new Map<string, StepEvent[]>();
  for (const e of steps) for (const p of e.parents) (children.get(p) ?? children.set(p, []).get(p)!).push(e);
  const descendants: StepEvent[] = [];
  const queue = [...(children.get(faulted.stepId) ?? [])];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const d = queue.shift()!;
    if (seen.has(d.stepId)) continue;
    seen.add(d.stepId);
    descendants.push(d);
    // Past a downstream stop the value went no further.
    if (d.type === "step.completed" && d.gate?.outcome !== "escalate") queue.push(...(children.get(d.stepId) ?? []));
  }
  const leaks = descendants.filter((d) => d.type === "step.failed" || (d.gate?.outcome !== "escalate" && d.flagged !== true));
  const gate = faulted.gate;
  if (leaks.length > 0) {
    const names = [...new Set(leaks.map((d) => d.step))];
    const how = leaks.map((d) => (d.type === "step.failed" ? `${d.step} (which failed: ${d.error?.name})` : d.step)).join(", ");
    const gateSaid = gate ? `its gate said ${gate.outcome}` : "it had no gate";
    const missing = fault.kind === "malformed" ? "; no contract rejected it" : fault.kind === "low-confidence" ? "; no confidence threshold stopped it" : "";
    return bad("leaked", `the faulty output of "${fault.step}" reached ${how} unflagged (${gateSaid}${missing})`, names);
  }
  if (gate?.outcome === "escalate") {
    if (result.status !== "escalated") return bad("unaccounted", `step "${fault.step}" escalated but the run ended ${result.status}`);
    return ok("escalated", `stopped at "${fault.step}"'s gate (${(gate.kinds ?? []).join(", ") || "escalate"}) and escalated for review`);
  }
  if (gate?.outcome === "flag" || faulted.flagged) {
    if (descendants.length > 0 || result.status !== "completed") return ok("flagged", `flagged at "${fault.step}"; every downstream output was marked flagged`);
    return ok("flagged", `flagged at "${fault.step}" and queued for review; the run's result carries the flag`);
  }
  const stoppedDownstream = descendants.filter((d) => d.gate?.outcome === "escalate");
  if (stoppedDownstream.length > 0)
    return ok("escalated", `passed "${fault.step}"'s own gate, then stopped at ${stoppedDownstream.map((d) => `"${d.step}"`).join(", ")}'s gate and escalated`);
  if (result.status === "completed") {
    return bad("leaked", `the faulty output of "${fault.step}" passed ${gate ? "its gate" : "with no gate"} into the run's result unflagged`, ["(run result)"]);
  }
  if (result.status === "failed" && result.failure?.step === undefined && runEnd?.type === "run.failed") {
    // The workflow's own code between steps threw on the value: no later step got it, and the run recorded why.
    return ok("failed", `workflow code between steps threw on "${fault.step}"'s output (${result.failure?.error.name}); the run failed and recorded why`);
  }
  return ok("contained", `the run stopped (${result.status}) before any step consumed "${fault.step}"'s output`);
}

/** The report as a terminal table, then the totals. */
export function formatChaosTable(report: ChaosReport): string {
  const table = new Table({
    head: ["run", "step", "fault", "injected", "outcome", "explanation"],
    style: { head: [], border: [] },
    colWidths: [6, 14, 16, 28, 13, 60],
    wordWrap: true,
  });
  for (const f of report.faults)
    table.push([f.run, f.call ? `${f.step}#${f.call}` : f.step, f.kind, f.detail, `${f.accounted ? "✓" : "✗"} ${f.outcome}`, f.explanation]);
  const counts = Object.entries(report.outcomes)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  const bad = report.faults.filter((f) => !f.accounted).length;
  return [
    table.toString(),
    `seed ${report.seed}: ${report.runs} runs, ${report.faults.length} faults injected (${counts || "none"}), ${report.runsWithoutFault} runs without a fault; ${bad === 0 ? "every fault accounted for" : `${bad} not accounted for`}`,
  ].join("\n");
}
