import { InvalidConfidenceError, InvalidConfidenceSourceError, isConfidence, isConfidenceSource } from "./confidence.js";
import { checkContract, type ContractIssue } from "./contract.js";
import { codePolicyOnly, failedGates, gateOutcome, mergeRules, ruleIsActive, type PolicySource } from "./gate.js";
import { sampled, spotCheckRateFor, type RandomSource } from "./sampling.js";
import { StepHandle, type GateMark, type RunIdentity, type StepOptions, type StepResult } from "./step-handle.js";
import type { ErrorInfo, GateKind, PolicyRule, RunState, SeamtraceEvent, StepEvent } from "./types.js";
import { uuidv7 } from "./uuid.js";

export { StepHandle };
export type { RetryOptions, RunIdentity, StepOptions, StepResult } from "./step-handle.js";

/** Handed to a step function on every attempt. */
export interface StepContext {
  readonly runId: string;
  /** The step's id (its lineage id). */
  readonly stepId: string;
  /** 1 on the first attempt. */
  readonly attempt: number;
  /** Aborted when the attempt exceeds `timeoutMs`. */
  readonly signal?: AbortSignal;
}

export type StepFn<V> = (ctx: StepContext) => StepResult<V> | Promise<StepResult<V>>;

/**
 * Thrown by `run.step()` once the run has stopped (a step failed after its retries, or — with
 * gates — a step escalated, or a resumed run's claim was lost to another worker). The run does
 * not pass the error forward: later `step()` calls reject with it without calling user code, and
 * `run()` resolves with the recorded outcome.
 */
export class RunStoppedError extends Error {
  override readonly name = "RunStoppedError";
  constructor(
    readonly runId: string,
    readonly reason: "failed" | "escalated" | "lease_lost",
    readonly stepName: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** The escalation a run stopped on: `run()` returns it at once, before any review exists. */
export interface RunEscalation {
  /** The escalation's id (UUIDv7, made by the SDK; the collector creates the review item under it). */
  id: string;
  step: string;
  stepId: string;
  /** The checks that failed, in evaluation order. */
  kinds: GateKind[];
}

/**
 * @internal What a run needs to apply its gates; one per workflow, shared by its runs.
 */
export interface RunGates {
  policies: PolicySource;
  /** The workflow's policy in code. */
  policy?: PolicyRule | undefined;
  /** Per-step policies in code (a Map: step names are user data, `constructor` included). */
  steps?: ReadonlyMap<string, PolicyRule> | undefined;
  /** Spot-check sampling source. */
  random: RandomSource;
  /** Steps whose contract this client has already sent for this workflow version. */
  contractsSent: Set<string>;
  /** Apply the policy source's recalibration maps to confidences (WorkflowOptions.recalibrate). */
  recalibrate?: boolean | undefined;
  /** @internal The client's step interceptor (chaos runs); absent in production. */
  intercept?: StepInterceptor | undefined;
  /** The clock events are stamped with (SeamtraceOptions.now). Default Date.now. */
  now?: (() => number) | undefined;
  /** The client's diagnostics (a recalibration map that gave an impossible value). */
  report?: ((err: unknown) => void) | undefined;
}

/**
 * @internal Wraps a step's function before it runs: the golden executor's chaos runs inject
 * faults through it without touching user code. Absent, it costs the step one property read.
 */
export type StepInterceptor = (run: RunIdentity, step: string, call: number, options: StepOptions, fn: StepFn<unknown>) => StepFn<unknown>;

/** Why a run failed: the step, its error and the attempts made (stop and explain). */
export interface RunFailure {
  step?: string;
  stepId?: string;
  error: ErrorInfo;
  attempts?: number;
}

export function errorInfo(err: unknown): ErrorInfo {
  if (err instanceof Error) {
    const info: ErrorInfo = { name: err.name, message: err.message };
    if (err.stack) info.stack = err.stack;
    return info;
  }
  return { name: "Error", message: typeof err === "string" ? err : safeString(err) };
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function isStepResult(ret: unknown): ret is StepResult<unknown> {
  return typeof ret === "object" && ret !== null && "value" in ret;
}

function isThenable<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === "function";
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const NO_OPTIONS: StepOptions = {};

class StepTimeoutError extends Error {
  override readonly name = "StepTimeoutError";
}

/** The context object: the step id is read through the handle, so it is made only if used. */
class Context implements StepContext {
  constructor(
    private readonly handle: StepHandle<unknown>,
    readonly runId: string,
    readonly attempt: number,
    readonly signal?: AbortSignal,
  ) {}
  get stepId(): string {
    return this.handle.stepId;
  }
}

/**
 * One execution of a workflow. Created by `workflow.run()`; user code calls `step()` on it.
 */
export class Run {
  readonly id: string;
  /** The run's input: as given to `run()`, or as recorded when the run is resumed by id. */
  input: unknown = undefined;
  /** Set once the run has stopped; later steps reject with it. */
  private stop: RunStoppedError | undefined;
  private failureInfo: RunFailure | undefined;
  private escalationInfo: RunEscalation | undefined;
  /** No policy can apply to any step unless the step brings its own: see `complete`. */
  private readonly idle: boolean;
  /** @internal Event times (SeamtraceOptions.now); adapters stamp `startedAt` with it. */
  readonly now: () => number;

  constructor(
    private readonly identity: RunIdentity,
    private readonly emit: (event: SeamtraceEvent | StepHandle<unknown>) => void,
    /** Policies and sampling; a bare run applies only contracts and staleness. */
    private readonly gates: RunGates = { policies: codePolicyOnly, random: Math.random, contractsSent: new Set() },
  ) {
    this.id = identity.runId;
    this.now = gates.now ?? Date.now;
    this.idle = gates.policies === codePolicyOnly && gates.policy === undefined && gates.steps === undefined && !gates.recalibrate;
  }

  /**
   * @internal Replays a run from its recorded state (durable resume): steps already recorded
   * are handed back by name, in call order, without calling user code; the escalated step gets
   * the reviewer's decision.
   */
  replayFrom(state: RunState): void {
    // The latest record of each (name, call) wins: a step re-run after a resume supersedes its
    // earlier, unreviewed attempt. Steps come in execution order.
    const byCall = new Map<string, RunState["steps"][number]>();
    for (const s of state.steps) byCall.set(`${s.call}:${s.name}`, s);
    this.replay = { byCall, escalation: state.escalation?.status === "resolved" ? state.escalation : null, state };
  }

  /**
   * @internal The recorded state this run replays, when it resumes one. Framework adapters read
   * the review from it to answer the framework's own pause (a tool approval, an interrupt).
   */
  get recorded(): RunState | undefined {
    return this.replay?.state;
  }

  private replay: { byCall: Map<string, RunState["steps"][number]>; escalation: RunState["escalation"]; state: RunState } | undefined;
  /** Calls made so far per step name: a step's identity across replays is (name, call). */
  private readonly calls = new Map<string, number>();

  /** The recorded outcome of this call of step `name`, as a promise of its handle; undefined to run it. */
  private replayed<V>(name: string, call: number, opts: StepOptions): Promise<StepHandle<V>> | undefined {
    const recorded = this.replay!.byCall.get(`${call}:${name}`);
    if (recorded?.status !== "completed") return undefined; // never ran, or failed: run it
    const handle = new StepHandle<V>(this.identity, name, opts, this.now());
    const esc = this.replay!.escalation;
    const reviewed = esc !== null && esc.stepId === recorded.stepId && recorded.source !== "human";
    // An output that failed its gate and was never reviewed must not reach a later step: run it again.
    if (recorded.gated && !reviewed && recorded.source !== "human") return undefined;
    if (!reviewed) return Promise.resolve(handle.restore(recorded));
    if (esc.decision === "reject") {
      // The reviewer refused the output: the run stops here and says why.
      handle.restore(recorded);
      return Promise.reject(
        this.failStep(
          handle as StepHandle<unknown>,
          1,
          undefined,
          Object.assign(new Error(esc.reason ?? "rejected by a reviewer"), { name: "ReviewRejected" }),
        ),
      );
    }
    // Accepted by the deadline, not by a person: the model's own output goes on, flagged downstream.
    if (esc.flagged) return Promise.resolve(handle.restore({ ...recorded, flagged: true }));
    // The reviewer's output: human-verified, so confidence 1 and a re-based cumulative; fresh now.
    handle.restore(recorded);
    handle.complete({ value: esc.output as V, confidence: 1, source: "human", observedAt: this.now() }, 1, undefined, this.now());
    this.emit(handle as StepHandle<unknown>);
    return Promise.resolve(handle);
  }

  /** The escalation the run stopped on, when a step failed its gate with `onLow: "escalate"`. */
  get escalation(): RunEscalation | undefined {
    return this.escalationInfo;
  }

  /** Why the run failed, when a step failed after its retries. */
  get failure(): RunFailure | undefined {
    return this.failureInfo;
  }

  /** The stop signal, when the run has stopped. */
  get stopped(): RunStoppedError | undefined {
    return this.stop;
  }

  /**
   * @internal The claim on this resumed run was lost (it lapsed, or another worker took the run
   * over): no later step calls user code, and the run records nothing more.
   */
  leaseLost(reason: string): RunStoppedError {
    return (this.stop = new RunStoppedError(
      this.id,
      "lease_lost",
      undefined,
      `stopped resuming run ${this.id}: its claim was lost (${reason}); another worker resumes it`,
    ));
  }

  /** Records a failure that did not come from a step (user code threw between steps). */
  failOutside(err: unknown): void {
    if (this.stop) return; // the first stop explains the run; an escalation stays an escalation
    this.failureInfo = { error: errorInfo(err) };
    this.stop = new RunStoppedError(this.id, "failed", undefined, this.failureInfo.error.message);
  }

  /**
   * Runs one step: calls `fn` (with retries), records its output, confidence, cumulative
   * confidence and lineage, and hands back a handle for downstream steps.
   * @example
   * const kind = await run.step("classify", { from: [fields] }, async () => ({ value: "auto", confidence: 0.8 }));
   */
  step<V>(name: string, fn: StepFn<V>): Promise<StepHandle<V>>;
  step<V>(name: string, options: StepOptions, fn: StepFn<V>): Promise<StepHandle<V>>;
  step<V>(name: string, a: StepOptions | StepFn<V>, b?: StepFn<V>): Promise<StepHandle<V>> {
    const opts = typeof a === "function" ? NO_OPTIONS : a;
    let fn = (typeof a === "function" ? a : b) as StepFn<V>;
    if (this.stop) return Promise.reject(this.stop);
    let call = this.calls.get(name) ?? 0;
    const bound = opts.call;
    if (bound === undefined) this.calls.set(name, call + 1);
    else {
      // Later calls of the name count on from the highest call bound so far.
      if (bound >= call) this.calls.set(name, bound + 1);
      call = bound;
    }
    if (this.replay) {
      const replayed = this.replayed<V>(name, call, opts);
      if (replayed) return replayed;
    }
    const intercept = this.gates.intercept;
    if (intercept !== undefined) fn = intercept(this.identity, name, call, opts, fn) as StepFn<V>;
    const handle = new StepHandle<V>(this.identity, name, opts, opts.startedAt ?? this.now());
    handle.call = call;
    if ((opts.retry === undefined || opts.retry.attempts <= 1) && opts.timeoutMs === undefined) {
      // The common case stays off the retry loop: one call, no extra async frame
      // (the hot path costs a few microseconds and allocates little).
      let ret: StepResult<V> | Promise<StepResult<V>>;
      try {
        ret = fn(new Context(handle as StepHandle<unknown>, this.id, 1));
      } catch (err) {
        return Promise.reject(this.failStep(handle, 1, undefined, err));
      }
      if (isThenable(ret)) {
        return ret.then(
          (r) => this.complete(handle, opts, r, 1, undefined),
          (err: unknown) => {
            throw this.failStep(handle, 1, undefined, err);
          },
        );
      }
      try {
        return Promise.resolve(this.complete(handle, opts, ret, 1, undefined));
      } catch (err) {
        return Promise.reject(err); // an escalation: user code awaits a rejection, never a throw
      }
    }
    return this.stepWithRetries(handle, opts, fn);
  }

  private async stepWithRetries<V>(handle: StepHandle<V>, opts: StepOptions, fn: StepFn<V>): Promise<StepHandle<V>> {
    const maxAttempts = Math.max(1, opts.retry?.attempts ?? 1);
    let attemptErrors: ErrorInfo[] | undefined;
    for (let attempt = 1; ; attempt++) {
      let ret: StepResult<V>;
      try {
        ret = await this.attempt(handle, fn, attempt, opts.timeoutMs);
      } catch (err) {
        // A parallel branch that stopped the run ends the retries, but this step's failure is
        // still recorded: a step that ran and left no event would look like one never reached.
        if (attempt >= maxAttempts || this.stop) throw this.failStep(handle, attempt, attemptErrors, err);
        const backoff = (opts.retry?.backoffMs ?? 0) * 2 ** (attempt - 1);
        if (backoff > 0) await sleep(backoff);
        if (this.stop) throw this.failStep(handle, attempt, attemptErrors, err);
        (attemptErrors ??= []).push(errorInfo(err));
        continue;
      }
      return this.complete(handle, opts, ret, attempt, attemptErrors);
    }
  }

  private async attempt<V>(handle: StepHandle<V>, fn: StepFn<V>, attempt: number, timeoutMs: number | undefined): Promise<StepResult<V>> {
    const h = handle as StepHandle<unknown>;
    if (timeoutMs === undefined) return fn(new Context(h, this.id, attempt));
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new StepTimeoutError(`step attempt exceeded ${timeoutMs} ms`);
        controller.abort(err);
        reject(err);
      }, timeoutMs);
    });
    try {
      return await Promise.race([fn(new Context(h, this.id, attempt, controller.signal)), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Records the step's outcome and runs its gates. Returns the handle, a promise of it (an async
   * contract validator), or throws the stop signal when the step escalates.
   */
  private complete<V>(
    handle: StepHandle<V>,
    opts: StepOptions,
    ret: StepResult<V>,
    attempts: number,
    attemptErrors: ErrorInfo[] | undefined,
  ): StepHandle<V> | Promise<StepHandle<V>> {
    const r = isStepResult(ret) ? ret : { value: ret as V };
    const c = r.confidence;
    // Checked before anything is recorded: the step fails and says which value it gave.
    if (c !== undefined && !isConfidence(c)) throw this.failStep(handle, attempts, attemptErrors, new InvalidConfidenceError(handle.name, c));
    const cs = r.confidenceSource ?? opts.confidenceSource;
    if (cs !== undefined && !isConfidenceSource(cs)) throw this.failStep(handle, attempts, attemptErrors, new InvalidConfidenceSourceError(handle.name, cs));
    handle.complete(r, attempts, attemptErrors, this.now());
    if (this.gates.recalibrate && c !== undefined) this.recalibrate(handle, c);
    // No policy anywhere, no contract, no freshness bound: the step leaves here after a few
    // property reads, without a policy lookup or any allocation for gates (the overhead
    // budget; bench/sdk-overhead.ts measures this path).
    if (this.idle && opts.policy === undefined && opts.schema === undefined && opts.contract === undefined && opts.maxAgeMs === undefined) {
      this.emit(handle as StepHandle<unknown>);
      return handle;
    }
    return this.gate(handle, opts);
  }

  /** Applies the server's recalibration map; a map that fails or gives no confidence leaves the raw one. */
  private recalibrate(handle: StepHandle<unknown>, raw: number): void {
    const id = this.identity;
    let c: number | undefined;
    try {
      c = this.gates.policies.calibrate?.(id.workflow, id.version, handle.name, raw);
    } catch (err) {
      return this.gates.report?.(err);
    }
    if (c === undefined) return;
    if (isConfidence(c)) handle.recalibrated(c);
    else this.gates.report?.(new InvalidConfidenceError(`${handle.name} (recalibrated)`, c));
  }

  private gate<V>(handle: StepHandle<V>, opts: StepOptions): StepHandle<V> | Promise<StepHandle<V>> {
    const g = this.gates;
    const name = handle.name;
    const own = g.steps?.get(name);
    const codeStep = opts.policy && own ? mergeRules(own, opts.policy) : (opts.policy ?? own);
    let rule: PolicyRule;
    try {
      rule = g.policies.ruleFor(this.identity.workflow, name, g.policy, codeStep);
    } catch {
      // A broken policy source must not break the host's step: fall back to the code policy.
      rule = codePolicyOnly.ruleFor(this.identity.workflow, name, g.policy, codeStep);
    }
    if (opts.schema === undefined && opts.contract === undefined && opts.maxAgeMs === undefined && !ruleIsActive(rule)) {
      this.emit(handle as StepHandle<unknown>);
      return handle;
    }
    const schema = opts.schema;
    if (schema === undefined) return this.decide(handle, opts, rule, undefined);
    const issues = checkContract(schema, handle.value);
    return isThenable(issues) ? issues.then((found) => this.decide(handle, opts, rule, found)) : this.decide(handle, opts, rule, issues);
  }

  /**
   * Applies the gates' decision: `pass` (maybe sampled as a spot check), `flag` (goes on, marks
   * this output and its descendants), or `escalate` (records the step, then stops the run: the
   * value is never handed on, and no later step calls user code).
   */
  private decide<V>(handle: StepHandle<V>, opts: StepOptions, rule: PolicyRule, issues: ContractIssue[] | undefined): StepHandle<V> {
    const g = this.gates;
    const name = handle.name;
    const kinds = failedGates(rule, handle, issues !== undefined);
    const outcome = gateOutcome(rule, kinds);
    const rate = outcome === "pass" ? spotCheckRateFor(rule, handle.confidence) : undefined;
    const spot = outcome === "pass" && sampled(rate, g.random);
    const first = (opts.schema !== undefined || opts.contract !== undefined) && !g.contractsSent.has(name);
    if (first) g.contractsSent.add(name);
    // Every field set at once: one object shape for all marks keeps toWire's reads monomorphic.
    const mark: GateMark = {
      rule,
      kinds,
      outcome,
      issues,
      // An in-flight step that fails its gate after the run already stopped is recorded, but
      // opens no second review item: the run waits on one escalation, and a replay re-runs
      // this step (it is marked gated) rather than hand its unreviewed output on.
      escalationId: (outcome === "escalate" && this.stop) || (outcome === "pass" && !spot) ? undefined : uuidv7(),
      spotCheckRate: spot ? rate : undefined,
      contract: first,
    };
    handle.gated(mark);
    this.emit(handle as StepHandle<unknown>);
    if (outcome !== "escalate") return handle;
    if (!this.stop) {
      this.escalationInfo = { id: mark.escalationId!, step: name, stepId: handle.stepId, kinds: kinds! };
      this.stop = new RunStoppedError(this.id, "escalated", name, `step "${name}" escalated at its gate (${kinds!.join(", ")})`);
    }
    throw this.stop;
  }

  private failStep(handle: StepHandle<unknown>, attempt: number, attemptErrors: ErrorInfo[] | undefined, err: unknown): RunStoppedError {
    // Failures are rare: their event is built eagerly, off the measured hot path.
    const endedAt = this.now();
    const error = errorInfo(err);
    const wire = handle.toWire();
    const event: StepEvent = {
      id: uuidv7(),
      type: "step.failed",
      time: new Date(endedAt).toISOString(),
      runId: this.identity.runId,
      workflow: this.identity.workflow,
      version: this.identity.version,
      stepId: handle.stepId,
      step: handle.name,
      parents: wire.parents,
      ...(wire.call !== undefined ? { call: wire.call } : undefined),
      source: wire.source,
      stale: false,
      attempt,
      durationMs: endedAt - Date.parse(wire.startedAt),
      startedAt: wire.startedAt,
      error,
    };
    if (wire.input !== undefined) event.input = wire.input;
    if (wire.observedAt !== undefined) event.observedAt = wire.observedAt;
    if (wire.maxAgeMs !== undefined) event.maxAgeMs = wire.maxAgeMs;
    if (wire.features !== undefined) event.features = wire.features;
    if (attemptErrors) event.attemptErrors = attemptErrors;
    this.emit(event);
    if (!this.stop) {
      this.failureInfo = { step: handle.name, stepId: handle.stepId, error, attempts: attempt };
      this.stop = new RunStoppedError(
        this.id,
        "failed",
        handle.name,
        `step "${handle.name}" failed after ${attempt} attempt${attempt === 1 ? "" : "s"}: ${error.message}`,
      );
    }
    return this.stop!;
  }
}
