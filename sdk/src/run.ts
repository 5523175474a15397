import { StepHandle, type RunIdentity, type StepOptions, type StepResult } from "./step-handle.js";
import type { ErrorInfo, SeamtraceEvent, StepEvent } from "./types.js";
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
  /** Set once the run has stopped; later steps reject with it. */
  private stop: RunStoppedError | undefined;
  private failureInfo: RunFailure | undefined;

  constructor(
    private readonly identity: RunIdentity,
    private readonly emit: (event: SeamtraceEvent | StepHandle<unknown>) => void,
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
  step<V>(name: string, a: StepOptions | StepFn<V>, b?: StepFn<V>): Promise<StepHandle<V>> {
    const opts = typeof a === "function" ? NO_OPTIONS : a;
    const fn = (typeof a === "function" ? a : b) as StepFn<V>;
    if (this.stop) return Promise.reject(this.stop);
    const handle = new StepHandle<V>(this.identity, name, opts, Date.now());
    if ((opts.retry === undefined || opts.retry.attempts <= 1) && opts.timeoutMs === undefined) {
      // The common case stays off the retry loop: one call, no extra async frame (SPEC §3:
      // the hot path costs a few microseconds and allocates little).
      let ret: StepResult<V> | Promise<StepResult<V>>;
      try {
        ret = fn(new Context(handle as StepHandle<unknown>, this.id, 1));
      } catch (err) {
        return Promise.reject(this.failStep(handle, 1, undefined, err));
      }
      if (isThenable(ret)) {
        return ret.then(
          (r) => this.complete(handle, r, 1, undefined),
          (err: unknown) => {
            throw this.failStep(handle, 1, undefined, err);
          },
        );
      }
      return Promise.resolve(this.complete(handle, ret, 1, undefined));
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
        if (attempt >= maxAttempts) throw this.failStep(handle, attempt, attemptErrors, err);
        (attemptErrors ??= []).push(errorInfo(err));
        const backoff = (opts.retry?.backoffMs ?? 0) * 2 ** (attempt - 1);
        if (backoff > 0) await sleep(backoff);
        if (this.stop) throw this.stop; // a parallel branch stopped the run meanwhile
        continue;
      }
      return this.complete(handle, ret, attempt, attemptErrors);
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

  private complete<V>(handle: StepHandle<V>, ret: StepResult<V>, attempts: number, attemptErrors: ErrorInfo[] | undefined): StepHandle<V> {
    handle.complete(isStepResult(ret) ? ret : { value: ret as V }, attempts, attemptErrors, Date.now());
    this.emit(handle as StepHandle<unknown>);
    return handle;
  }

  private failStep(handle: StepHandle<unknown>, attempt: number, attemptErrors: ErrorInfo[] | undefined, err: unknown): RunStoppedError {
    // Failures are rare: their event is built eagerly, off the measured hot path.
    const endedAt = Date.now();
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
    if (!this.failureInfo) {
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
