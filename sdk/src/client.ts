import { errorInfo, Run, RunStoppedError, StepHandle, type RunFailure } from "./run.js";
import {
  Transport,
  type FlushResult,
  type RequestFn,
  type ShutdownResult,
  type TransportOptions,
  type TransportStats,
} from "./transport.js";
import type { Deferred } from "./transport-types.js";
import type { PolicyRule, RunStatus, SeamtraceEvent } from "./types.js";
import { uuidv7 } from "./uuid.js";

/** Thresholds and behaviour at every handoff. Server-side policies take precedence (see SPEC §3). */
export type Policy = PolicyRule;

export interface SeamtraceOptions {
  /** Collector base URL. Default `http://localhost:7077`. */
  endpoint?: string;
  /** A project API key (`st_…`). */
  apiKey?: string;
  /** Replaces `fetch` (tests, custom agents). */
  request?: RequestFn;
  /** Batching, buffering and retry settings. */
  transport?: Omit<TransportOptions, "endpoint" | "apiKey" | "request">;
  /** Diagnostics for transport problems; never called with errors from user code. */
  onError?: (err: unknown) => void;
}

export interface WorkflowOptions {
  /** The workflow version (`claims@3` → "3"). Default "1". */
  version?: string;
  /** The policy in code: the fallback when the server has none. */
  policy?: Policy;
}

export interface RunOptions {
  input?: unknown;
  /** Your idempotency key for this input (for example a message id). */
  key?: string;
  /** Reuse a run id (resume). Default: a new UUIDv7. */
  runId?: string;
}

/** What `run()` resolves with. It never rejects for a step's failure: it stops and explains. */
export interface RunResult<T> {
  status: "completed" | "escalated" | "failed";
  runId: string;
  output?: T;
  /** Set when `status` is `failed`: which step, its error, and how many attempts were made. */
  failure?: RunFailure;
}

/**
 * The Seamtrace client: one per process. Owns the event buffer and its background flushing.
 * @example
 * const st = new Seamtrace({ endpoint: "http://localhost:7077", apiKey: process.env.SEAMTRACE_API_KEY });
 * const claims = st.workflow("claims", { version: "3" });
 * const result = await claims.run({ input: email, key: email.messageId }, async (run) => {
 *   const fields = await run.step("extract", { input: email }, async () => ({ value: extract(email), confidence: 0.9 }));
 *   return fields.value;
 * });
 * await st.shutdown();
 */
export class Seamtrace {
  private readonly transport: Transport;
  private readonly onError: ((err: unknown) => void) | undefined;
  /** Bound once: the step hot path calls it for every event. */
  readonly emit: (event: SeamtraceEvent | Deferred) => void;

  constructor(options: SeamtraceOptions = {}) {
    this.onError = options.onError;
    const transportOptions: TransportOptions = {
      ...options.transport,
      endpoint: (options.endpoint ?? "http://localhost:7077").replace(/\/+$/, ""),
    };
    if (options.apiKey !== undefined) transportOptions.apiKey = options.apiKey;
    if (options.request !== undefined) transportOptions.request = options.request;
    if (options.onError !== undefined) transportOptions.onError = options.onError;
    this.transport = new Transport(transportOptions);
    this.emit = (event) => {
      try {
        this.transport.enqueue(event);
      } catch (err) {
        this.report(err);
      }
    };
  }

  /** A handle on one named, versioned workflow. */
  workflow(name: string, options: WorkflowOptions = {}): Workflow {
    return new Workflow(this, name, options);
  }

  /** Counters of what was sent, rejected and dropped (by reason). */
  stats(): TransportStats {
    return this.transport.stats();
  }

  /**
   * Sends everything buffered now and resolves when it is delivered, refused or dropped, or
   * after `timeoutMs` (default 5000; what is still unsent stays buffered). Never rejects.
   */
  flush(options?: { timeoutMs?: number }): Promise<FlushResult> {
    return this.transport.flush(options);
  }

  /** Drains the buffer within `timeoutMs` and stops; reports what was not delivered. Idempotent. */
  shutdown(options?: { timeoutMs?: number }): Promise<ShutdownResult> {
    return this.transport.shutdown(options);
  }

  /** @internal */
  report(err: unknown): void {
    try {
      this.onError?.(err);
    } catch {
      // A diagnostics hook must not break the host either.
    }
  }
}

/** A named, versioned workflow: runs go through `run()`. */
export class Workflow {
  readonly version: string;

  constructor(
    private readonly client: Seamtrace,
    readonly name: string,
    readonly options: WorkflowOptions,
  ) {
    this.version = options.version ?? "1";
  }

  /**
   * Runs `fn` as one run of this workflow. Steps inside it are recorded with their lineage;
   * a step that fails after its retries stops the run, and `run()` resolves with
   * `status: "failed"` and the reason instead of rejecting.
   * @example
   * const r = await wf.run({ input, key: input.id }, async (run) => (await run.step("a", async () => ({ value: 1, confidence: 0.9 }))).value);
   * if (r.status === "completed") use(r.output);
   */
  async run<T>(options: RunOptions, fn: (run: Run) => Promise<T> | T): Promise<RunResult<T>> {
    const runId = options.runId ?? uuidv7();
    const identity = { runId, workflow: this.name, version: this.version };
    const emit = this.client.emit;
    const started = Date.now();
    const startEvent: SeamtraceEvent = { id: uuidv7(), type: "run.started", time: new Date(started).toISOString(), ...identity };
    if (options.key !== undefined) startEvent.key = options.key;
    if (options.input !== undefined) startEvent.input = options.input;
    emit(startEvent);

    const run = new Run(identity, emit);
    let output: T | undefined;
    try {
      output = await fn(run);
    } catch (err) {
      if (!(err instanceof RunStoppedError)) run.failOutside(err);
    }

    const status: RunStatus = run.stopped ? "failed" : "completed";
    const ended = Date.now();
    const endEvent: SeamtraceEvent = {
      id: uuidv7(),
      type: status === "failed" ? "run.failed" : "run.completed",
      time: new Date(ended).toISOString(),
      ...identity,
      durationMs: ended - started,
    };
    if (status === "failed") {
      const failure = run.failure!;
      endEvent.error = failure.error;
      if (failure.stepId !== undefined) endEvent.stepId = failure.stepId;
      emit(endEvent);
      return { status: "failed", runId, failure };
    }
    // A run that returns a step handle means that step's value; the handle's lineage is
    // already recorded step by step.
    const recorded = output instanceof StepHandle ? output.value : output;
    if (recorded !== undefined) endEvent.output = recorded;
    emit(endEvent);
    return { status: "completed", runId, output: output as T };
  }
}

export { errorInfo };
