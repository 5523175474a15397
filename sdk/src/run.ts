import { cumulativeConfidence, isStale, toEpochMs, type LineageNode } from "./lineage.js";
import type { ErrorInfo, FeatureValue, SeamtraceEvent, Source, StepEvent } from "./types.js";
import { uuidv7 } from "./uuid.js";

/** What a step function may return: the value plus what Seamtrace needs to judge it. */
export interface StepResult<V> {
  value: V;
  /** The step's own estimate in [0, 1] that `value` is correct. Omitted means 1 (deterministic). */
  confidence?: number;
  reasoning?: string;
  alternatives?: V[];
  /** Overrides the step option. */
  source?: Source;
  /** When the data behind `value` was observed (overrides the step option). */
  observedAt?: Date | number | string;
  /** Numeric or categorical features for drift detection, e.g. `{ amount: 1200 }`. */
  features?: Record<string, FeatureValue>;
}

/** Handed to a step function on every attempt. */
export interface StepContext {
  runId: string;
  stepId: string;
  /** 1 on the first attempt. */
  attempt: number;
  /** Aborted when the attempt exceeds `timeoutMs`. */
  signal?: AbortSignal;
}

export type StepFn<V> = (ctx: StepContext) => StepResult<V> | Promise<StepResult<V>>;

export interface RetryOptions {
  /** Total attempts including the first. Default 1. */
  attempts: number;
  /** Delay before the second attempt; doubled for each later one. Default 0. */
  backoffMs?: number;
}

export interface StepOptions {
  /** The step's input, recorded for review and audit. */
  input?: unknown;
  /** Steps whose outputs this step consumes (lineage). */
  from?: ReadonlyArray<StepHandle<unknown>>;
  source?: Source;
  observedAt?: Date | number | string;
  /** The output is stale when `observedAt` is older than this. */
  maxAgeMs?: number;
  retry?: RetryOptions;
  /** Fail an attempt that takes longer than this (its `signal` is aborted). */
  timeoutMs?: number;
  features?: Record<string, FeatureValue>;
}

/**
 * A step's outcome, handed to downstream steps through `from`.
 * @example
 * const fields = await run.step("extract", { input: email }, async () => ({ value: parse(email), confidence: 0.93 }));
 * fields.value; fields.confidence; fields.cumulative; fields.stale;
 */
export class StepHandle<V> implements LineageNode {
  constructor(
    readonly name: string,
    readonly stepId: string,
    readonly value: V,
    readonly confidence: number,
    readonly cumulative: number,
    readonly source: Source,
    readonly stale: boolean,
    /** True when this output rests on a flagged, not yet reviewed, upstream output. */
    readonly flagged: boolean,
    readonly parents: ReadonlyArray<StepHandle<unknown>>,
  ) {}

  /** Serialises without the lineage graph, which can be as large as the run. */
  toJSON(): object {
    return {
      name: this.name,
      stepId: this.stepId,
      value: this.value,
      confidence: this.confidence,
      cumulative: this.cumulative,
      source: this.source,
      stale: this.stale,
      flagged: this.flagged,
    };
  }
}

/**
 * Thrown by `run.step()` once the run has stopped (a step failed after its retries, or — with
 * gates — a step escalated). The run does not pass the error forward: later `step()` calls
 * reject with it without calling user code, and `run()` resolves with the recorded outcome.
 */
export class RunStoppedError extends Error {
  override readonly name = "RunStoppedError";
  constructor(
    readonly runId: string,
    readonly reason: "failed" | "escalated",
    readonly stepName: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const NO_OPTIONS: StepOptions = {};
const NO_PARENTS: ReadonlyArray<StepHandle<unknown>> = [];

class StepTimeoutError extends Error {
  override readonly name = "StepTimeoutError";
}

/** Identity of the run as the events describe it. */
export interface RunIdentity {
  runId: string;
  workflow: string;
  version: string;
}

/**
 * One execution of a workflow. Created by `workflow.run()`; user code calls `step()` on it.
 */
export class Run {
  readonly id: string;
  /** Set once the run has stopped; later steps reject with it. */
  private stop: RunStoppedError | undefined;
  private failureInfo: RunFailure | undefined;

  constructor(
    private readonly identity: RunIdentity,
    private readonly emit: (event: SeamtraceEvent) => void,
  ) {
    this.id = identity.runId;
  }

  /** Why the run failed, when a step failed after its retries. */
  get failure(): RunFailure | undefined {
    return this.failureInfo;
  }

  /** The stop signal, when the run has stopped. */
  get stopped(): RunStoppedError | undefined {
    return this.stop;
  }

  /** Records a failure that did not come from a step (user code threw between steps). */
  failOutside(err: unknown): void {
    if (this.failureInfo) return;
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
  async step<V>(name: string, a: StepOptions | StepFn<V>, b?: StepFn<V>): Promise<StepHandle<V>> {
    const opts = typeof a === "function" ? NO_OPTIONS : a;
    const fn = (typeof a === "function" ? a : b) as StepFn<V>;
    if (this.stop) throw this.stop;

    const stepId = uuidv7();
    const startedAt = Date.now();
    const maxAttempts = Math.max(1, opts.retry?.attempts ?? 1);
    let attemptErrors: ErrorInfo[] | undefined;
    let ret: unknown;
    let attempt = 0;
    for (;;) {
      attempt++;
      try {
        ret = await this.attempt(fn, stepId, attempt, opts.timeoutMs);
        break;
      } catch (err) {
        if (attempt >= maxAttempts) {
          throw this.failStep(name, stepId, opts, startedAt, attempt, attemptErrors, err);
        }
        (attemptErrors ??= []).push(errorInfo(err));
        const backoff = (opts.retry?.backoffMs ?? 0) * 2 ** (attempt - 1);
        if (backoff > 0) await sleep(backoff);
        if (this.stop) throw this.stop; // a parallel branch stopped the run meanwhile
      }
    }

    const endedAt = Date.now();
    const r: StepResult<V> = isStepResult(ret) ? (ret as StepResult<V>) : { value: ret as V };
    const parents = opts.from ?? NO_PARENTS;
    const source: Source = r.source ?? opts.source ?? "inferred";
    const confidence = validConfidence(r.confidence);
    const cumulative = cumulativeConfidence(confidence, source, parents);
    const observedAtMs = toEpochMs(r.observedAt ?? opts.observedAt);
    const stale = isStale(observedAtMs, opts.maxAgeMs, endedAt);
    let flagged = false;
    for (const p of parents) if (p.flagged) flagged = true;

    const handle = new StepHandle<V>(name, stepId, r.value, confidence, cumulative, source, stale, flagged, parents);
    const event: StepEvent = {
      id: uuidv7(),
      type: "step.completed",
      time: new Date(endedAt).toISOString(),
      runId: this.identity.runId,
      workflow: this.identity.workflow,
      version: this.identity.version,
      stepId,
      step: name,
      parents: parents.length === 0 ? [] : parents.map((p) => p.stepId),
      input: opts.input,
      output: r.value,
      cumulative,
      source,
      stale,
      attempt,
      durationMs: endedAt - startedAt,
      startedAt: new Date(startedAt).toISOString(),
    };
    if (r.confidence !== undefined) event.confidence = confidence;
    if (observedAtMs !== undefined) event.observedAt = new Date(observedAtMs).toISOString();
    if (opts.maxAgeMs !== undefined) event.maxAgeMs = opts.maxAgeMs;
    if (r.reasoning !== undefined) event.reasoning = r.reasoning;
    if (r.alternatives !== undefined) event.alternatives = r.alternatives;
    const features = r.features ?? opts.features;
    if (features !== undefined) event.features = r.features && opts.features ? { ...opts.features, ...r.features } : features;
    if (attemptErrors) event.attemptErrors = attemptErrors;
    if (flagged) event.flagged = true;
    this.emit(event);
    return handle;
  }

  private async attempt(fn: StepFn<unknown>, stepId: string, attempt: number, timeoutMs: number | undefined): Promise<unknown> {
    if (timeoutMs === undefined) return fn({ runId: this.id, stepId, attempt });
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
      return await Promise.race([fn({ runId: this.id, stepId, attempt, signal: controller.signal }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private failStep(
    name: string,
    stepId: string,
    opts: StepOptions,
    startedAt: number,
    attempt: number,
    attemptErrors: ErrorInfo[] | undefined,
    err: unknown,
  ): RunStoppedError {
    const endedAt = Date.now();
    const error = errorInfo(err);
    const parents = opts.from ?? NO_PARENTS;
    const event: StepEvent = {
      id: uuidv7(),
      type: "step.failed",
      time: new Date(endedAt).toISOString(),
      runId: this.identity.runId,
      workflow: this.identity.workflow,
      version: this.identity.version,
      stepId,
      step: name,
      parents: parents.map((p) => p.stepId),
      input: opts.input,
      source: opts.source ?? "inferred",
      stale: false,
      attempt,
      durationMs: endedAt - startedAt,
      startedAt: new Date(startedAt).toISOString(),
      error,
    };
    if (attemptErrors) event.attemptErrors = attemptErrors;
    this.emit(event);
    if (!this.failureInfo) {
      this.failureInfo = { step: name, stepId, error, attempts: attempt };
      this.stop = new RunStoppedError(
        this.id,
        "failed",
        name,
        `step "${name}" failed after ${attempt} attempt${attempt === 1 ? "" : "s"}: ${error.message}`,
      );
    }
    return this.stop!;
  }
}

/** Confidence outside [0, 1] or not a number is a bug in the caller's model glue: clamp, don't crash. */
function validConfidence(c: number | undefined): number {
  if (c === undefined) return 1;
  if (typeof c !== "number" || Number.isNaN(c)) return 0;
  return c < 0 ? 0 : c > 1 ? 1 : c;
}
