import { codePolicyOnly, type PolicySource } from "./gate.js";
import { errorInfo, Run, RunStoppedError, StepHandle, type RunEscalation, type RunFailure, type RunGates, type StepInterceptor } from "./run.js";
import type { RandomSource } from "./sampling.js";
import { Transport, type FlushResult, type RequestFn, type ShutdownResult, type TransportOptions, type TransportStats } from "./transport.js";
import type { Deferred, EventSink, EventSpool } from "./transport-types.js";
import type { PolicyRule, RunStatus, SeamtraceEvent } from "./types.js";
import { uuidv7 } from "./uuid.js";
import { PolicyClient } from "./policy-client.js";
import { Resumer, type ResolvedReview } from "./resumer.js";
import { RunRecorder, type Claim } from "./run-recorder.js";
import { defaultRequest } from "./http-post.js";
import { Notices, tellIfRefused, type Logger } from "./notices.js";
import { unrefTimer } from "./timers.js";
import type { JudgeItem, JudgeVerdict, RunState } from "./types.js";

/** Thresholds and behaviour at every handoff. Server-side policies take precedence. */
export type Policy = PolicyRule;

export interface SeamtraceOptions {
  /** Collector base URL. Default: the `SEAMTRACE_ENDPOINT` environment variable, else `http://localhost:7077`. */
  endpoint?: string;
  /** A project API key (`st_…`). Default: the `SEAMTRACE_API_KEY` environment variable. */
  apiKey?: string;
  /** Replaces `fetch` (tests, custom agents). */
  request?: RequestFn;
  /** Batching, buffering and retry settings. */
  transport?: Omit<TransportOptions, "endpoint" | "apiKey" | "request">;
  /**
   * Diagnostics: every transport problem as it happens (network errors, refused batches, failed
   * policy refreshes), and once per cause a `SeamtraceNotice` — the line the logger got. Never
   * called with errors from user code; its own throws are ignored.
   */
  onError?: (err: unknown) => void;
  /**
   * Where the SDK says, in one line per cause, that something is wrong: a refused API key, a
   * collector unreachable past a grace period (`transport.unreachableGraceMs`, 10 s), the first
   * drop of each reason, no endpoint or key configured. Default `console`; `false` silences it.
   * @example
   * new Seamtrace({ logger: { warn: (line) => log.warn(line) } });
   */
  logger?: Logger | false;
  /** Random source in [0, 1) for spot-check sampling; pass a seeded one for reproducible tests. Default `Math.random`. */
  random?: RandomSource;
  /** @internal Wraps every step's function (the golden executor's chaos runs inject faults here). */
  interceptStep?: StepInterceptor;
  /**
   * The clock events are stamped with, in epoch ms. Default `Date.now`. Back-filling or replaying
   * historical traffic (as `seamtrace demo` does) passes a simulated clock; batching, retries and
   * timeouts keep real time.
   */
  now?: () => number;
  /**
   * Keep buffered events on disk across a process crash (Node).
   * @example
   * import { FileSpool } from "@seamtrace/sdk/spool";
   * new Seamtrace({ apiKey, spool: new FileSpool({ dir: "./.seamtrace-spool" }) });
   */
  spool?: EventSpool;
  /**
   * Hand every event to this sink instead of sending it to a collector (nothing is sent; flush
   * and shutdown have nothing to wait for). For tests and evaluations.
   * @example
   * import { MemorySink } from "@seamtrace/sdk/memory";
   * const sink = new MemorySink();
   * const st = new Seamtrace({ sink });
   */
  sink?: EventSink;
}

export interface WorkflowOptions {
  /** The workflow version (`claims@3` → "3"). Default "1". */
  version?: string;
  /** The policy in code: the fallback when the server has none. */
  policy?: Policy;
  /**
   * Per-step policies in code, over `policy` field by field.
   * @example
   * st.workflow("claims", { policy: { minConfidence: 0.8 }, steps: { route: { onLow: "flag" } } });
   */
  steps?: { [stepName: string]: Policy };
  /**
   * Apply the server's recalibration map (isotonic, fitted on reviewer labels for this version)
   * to every step's confidence before its gates: `handle.confidence`, the gates and the
   * cumulative use the calibrated value; the event keeps the model's own in `confidence` and
   * the calibrated one in `calibrated`. Default false.
   */
  recalibrate?: boolean;
}

export interface RunOptions {
  input?: unknown;
  /** Your idempotency key for this input (for example a message id). */
  key?: string;
  /** Reuse a run id (resume). Default: a new UUIDv7. */
  runId?: string;
  /**
   * With `runId` or `key`, a run the server already has is replayed: recorded steps return
   * their outputs without calling your code, the escalated step returns the reviewer's output,
   * and the run goes on from there. Default true; false always starts afresh.
   */
  replay?: boolean;
  /** Hold `run()` until an escalation is reviewed (or the time is up), then resume in place. */
  wait?: { timeoutMs: number };
}

/** What `run()` resolves with. It never rejects for a step's failure: it stops and explains. */
export interface RunResult<T> {
  /**
   * `duplicate`: another worker is resuming (or has resumed) this run from its review; nothing
   * ran here. `lease_lost`: this worker was resuming the run but lost its claim (it could not
   * renew it in time, or another worker took the run over after it lapsed); it stopped before its
   * next step and recorded nothing more, and the worker now holding the run replays what it did.
   */
  status: "completed" | "escalated" | "failed" | "duplicate" | "lease_lost";
  runId: string;
  output?: T;
  /** Set when `status` is `failed`: which step, its error, and how many attempts were made. */
  failure?: RunFailure;
  /** Set when `status` is `escalated`: the escalation the run waits on, and why. */
  escalation?: RunEscalation;
}

/**
 * The Seamtrace client: one per process. Owns the event buffer and its background flushing.
 * @example
 * const st = new Seamtrace(); // endpoint and key from SEAMTRACE_ENDPOINT and SEAMTRACE_API_KEY
 * const claims = st.workflow("claims", { version: "3" });
 * const result = await claims.run({ input: email, key: email.messageId }, async (run) => {
 *   const fields = await run.step("extract", { input: email }, async () => ({ value: extract(email), confidence: 0.9 }));
 *   return fields.value;
 * });
 * console.log(await st.shutdown()); // { delivered: 3, undelivered: 0, undeliveredByReason: {}, ... }
 */
export class Seamtrace {
  private readonly transport: Transport;
  private readonly onError: ((err: unknown) => void) | undefined;
  private readonly notices: Notices;
  /** Bound once: the step hot path calls it for every event. */
  readonly emit: (event: SeamtraceEvent | Deferred) => void;
  /** Server policies over the policies in code, refreshed in the background; undefined without an API key. */
  readonly policies: PolicyClient | undefined;
  /** @internal Durable resume's server calls; undefined without an API key. */
  readonly resumer: Resumer | undefined;
  // --- gates: sampling source, contracts already sent, prompt delivery of escalations ---
  /** @internal */
  readonly random: RandomSource;
  /** @internal Event times (SeamtraceOptions.now). */
  readonly now: () => number;
  /** @internal Per `workflow@version`: the steps whose contract this client has sent. */
  readonly contractsSent = new Map<string, Set<string>>();
  /** @internal */
  readonly interceptStep: StepInterceptor | undefined;
  /** @internal Escalations should reach reviewers promptly: send soon, never wait for it. */
  flushSoon(): void {
    this.transport.flushSoon();
  }
  // --- end gates ---

  constructor(options: SeamtraceOptions = {}) {
    this.random = options.random ?? Math.random; // gates
    this.interceptStep = options.interceptStep;
    this.now = options.now ?? Date.now;
    this.onError = options.onError;
    const given = options.endpoint ?? env("SEAMTRACE_ENDPOINT");
    const apiKey = options.apiKey ?? env("SEAMTRACE_API_KEY");
    const endpoint = (given ?? "http://localhost:7077").replace(/\/+$/, "");
    const notices = (this.notices = new Notices(options.logger, options.onError, endpoint, !!apiKey));
    // With a sink nothing is sent, so there is nothing to configure.
    if (given === undefined && apiKey === undefined && options.sink === undefined) {
      notices.tell(
        "config",
        "not_configured",
        `no endpoint or API key is set, so events go to ${endpoint} without a key. Set SEAMTRACE_ENDPOINT and SEAMTRACE_API_KEY, or pass endpoint and apiKey.`,
      );
    }
    const transportOptions: TransportOptions = { ...options.transport, endpoint, notices };
    if (apiKey !== undefined) transportOptions.apiKey = apiKey;
    if (options.request !== undefined) transportOptions.request = options.request;
    if (options.onError !== undefined) transportOptions.onError = options.onError;
    if (options.spool !== undefined) transportOptions.spool = options.spool;
    this.transport = new Transport(transportOptions);
    const report = (err: unknown) => this.report(err);
    this.policies = apiKey ? new PolicyClient({ endpoint, apiKey, request: options.request, onError: report }) : undefined;
    this.policies?.start();
    this.resumer = apiKey ? new Resumer(endpoint, apiKey, options.request ?? defaultRequest, report) : undefined;
    const sink = options.sink;
    this.emit = (event) => {
      try {
        if (sink) sink.write(event);
        else this.transport.enqueue(event);
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

  /**
   * Calls `handler` for each review that has arrived and whose run nobody has resumed yet (polled
   * every `pollMs`, default 2 s), typically to `workflow.resume(review.runId, fn)`. Two workers
   * may both see a review: the server lets only one resume the run, the other gets `duplicate`.
   * A run whose resuming worker went away (its claim lapsed unrenewed) is offered again.
   * Returns a function that stops it.
   * @example
   * const stop = st.onResolved(async (r) => { if (r.workflow === "claims") await claims.resume(r.runId, pipeline); });
   */
  onResolved(handler: (review: ResolvedReview) => void | Promise<void>, options: { pollMs?: number } = {}): () => void {
    // No cursor: the server lists only reviews whose run nobody has resumed, so a resume that
    // failed for a passing reason is offered again on the next poll.
    return this.poll("onResolved", options.pollMs, async (resumer, live) => {
      for (const review of (await resumer.resolved(null))?.items ?? []) {
        if (!live()) return;
        try {
          await handler(review);
        } catch (err) {
          this.report(err);
        }
      }
    });
  }

  /**
   * Registers a judge that decides escalations before people do (staged review). An admin puts
   * judge `name` in front of a step (`PUT /v1/review/judges/:workflow/steps/:step`, kind
   * `worker`); `decide` is then called for each escalation waiting on it (polled every `pollMs`,
   * default 2 s). A verdict at or above the step's `minConfidence` settles the escalation (its run
   * resumes) unless it is drawn for the sample people check; anything less goes to people. Its
   * decisions are audited as `judge:<name>` and its agreement with people is measured like a
   * reviewer's. A `decide` that throws leaves the item for the next poll (and, past the step's
   * timeout, for people). Returns a function that stops it.
   * @example
   * const stop = st.judge("amount-check", async (item) =>
   *   (item.output as { amount: number }).amount <= 10_000
   *     ? { decision: "accept", confidence: 0.97, reason: "within the policy limit" }
   *     : { decision: "reject", confidence: 0.6, reason: "over the limit" });
   */
  judge(name: string, decide: (item: JudgeItem) => JudgeVerdict | Promise<JudgeVerdict>, options: { pollMs?: number } = {}): () => void {
    return this.poll("judge", options.pollMs, async (resumer, live) => {
      for (const item of (await resumer.judgeItems(name)) ?? []) {
        if (!live()) return;
        try {
          await resumer.judgement(item.escalationId, { ...(await decide(item)), judge: name });
        } catch (err) {
          this.report(err);
        }
      }
    });
  }

  /** Runs `work` now and every `pollMs` after it ends, until stopped; never throws into the host. */
  private poll(what: string, pollMs = 2_000, work: (resumer: Resumer, live: () => boolean) => Promise<void>): () => void {
    const resumer = this.resumer;
    if (!resumer) {
      this.report(new Error(`${what} needs an apiKey`));
      return () => {};
    }
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      void work(resumer, () => !stopped)
        .catch((err: unknown) => this.report(err))
        .finally(() => {
          if (stopped) return;
          timer = setTimeout(tick, pollMs);
          unrefTimer(timer);
        });
    };
    tick();
    const stop = () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      this.stoppers.delete(stop);
    };
    this.stoppers.add(stop);
    return stop;
  }

  private readonly stoppers = new Set<() => void>();

  /**
   * Drains the buffer within `timeoutMs` (default 5000) and stops. Resolves with the report of
   * the client's life: events delivered, undelivered by reason, the last error. Idempotent;
   * never rejects.
   * @example
   * const report = await st.shutdown();
   * console.log("seamtrace", report);
   * if (report.undelivered > 0) process.exitCode = 1;
   */
  shutdown(options?: { timeoutMs?: number }): Promise<ShutdownResult> {
    for (const stop of this.stoppers) stop();
    this.policies?.stop();
    return this.transport.shutdown(options);
  }

  /** @internal */
  report(err: unknown): void {
    try {
      this.onError?.(err);
    } catch {
      // A diagnostics hook must not break the host either.
    }
    tellIfRefused(this.notices, err);
  }
}

/** A named, versioned workflow: runs go through `run()`. */
export class Workflow {
  readonly version: string;

  constructor(
    /** @internal The client: framework adapters report their diagnostics through it. */
    readonly client: Seamtrace,
    readonly name: string,
    readonly options: WorkflowOptions,
  ) {
    this.version = options.version ?? "1";
  }

  /** Made at the first run, after the client (and its policy client, if any) exists. */
  private gates: RunGates | undefined;

  private runGates(): RunGates {
    if (this.gates) return this.gates;
    const client = this.client;
    const key = `${this.name}@${this.version}`;
    let sent = client.contractsSent.get(key);
    if (!sent) client.contractsSent.set(key, (sent = new Set()));
    const steps = this.options.steps;
    return (this.gates = {
      policies: (client as unknown as { policies?: PolicySource }).policies ?? codePolicyOnly,
      policy: this.options.policy,
      steps: steps ? new Map(Object.entries(steps)) : undefined,
      random: client.random,
      contractsSent: sent,
      recalibrate: this.options.recalibrate,
      intercept: client.interceptStep,
      now: client.now,
      report: (err) => client.report(err),
    });
  }

  /**
   * Runs `fn` as one run of this workflow. Steps inside it are recorded with their lineage;
   * a step that fails after its retries stops the run, and `run()` resolves with
   * `status: "failed"` and the reason instead of rejecting. A step that fails its gate with
   * `onLow: "escalate"` (or breaks its contract) stops it too: no later step calls user code,
   * and `run()` resolves with `status: "escalated"` and the escalation.
   * @example
   * const r = await wf.run({ input, key: input.id }, async (run) => (await run.step("a", async () => ({ value: 1, confidence: 0.9 }))).value);
   * if (r.status === "completed") use(r.output);
   * else if (r.status === "escalated") console.log("waiting on review", r.escalation!.id);
   */
  async run<T>(options: RunOptions, fn: (run: Run) => Promise<T> | T): Promise<RunResult<T>> {
    const resumer = this.client.resumer;
    const deadline = options.wait ? Date.now() + options.wait.timeoutMs : 0;
    let state: RunState | null | undefined;
    if (resumer && options.replay !== false && (options.runId !== undefined || options.key !== undefined)) {
      // Unreachable server (undefined): the run goes ahead as a new one; onError has been told.
      state = options.runId !== undefined ? await resumer.state(options.runId) : await resumer.stateByKey(this.name, options.key!);
    }
    for (;;) {
      let claim: Claim | undefined;
      if (state) {
        const admitted = await this.admit<T>(state, deadline);
        if ("result" in admitted) return admitted.result;
        state = admitted.state;
        claim = admitted.claim;
      }
      const result = await this.execute(options, fn, state ?? undefined, claim);
      if (result.status !== "escalated" || !resumer || Date.now() >= deadline) return result;
      // wait: the reviewer must see the escalation before it can be reviewed.
      await this.client.flush({ timeoutMs: Math.max(0, deadline - Date.now()) });
      const reviewed = await this.awaitReview(result.runId, deadline, result.escalation?.id);
      if (!reviewed) return result;
      state = reviewed;
    }
  }

  /**
   * Continues an escalated (or interrupted) run by id: the explicit form of running again with
   * the same run id. Resolves `failed` when the server has no such run.
   * @example
   * await claims.resume(review.runId, pipeline);
   */
  async resume<T>(runId: string, fn: (run: Run) => Promise<T> | T, options: Omit<RunOptions, "runId" | "replay"> = {}): Promise<RunResult<T>> {
    const state = await this.client.resumer?.state(runId);
    if (!state) {
      const message = state === null ? `no run ${runId} to resume` : "the server could not be reached to resume the run";
      return { status: "failed", runId, failure: { error: { name: "ResumeUnavailable", message } } };
    }
    return this.run({ ...options, runId }, fn);
  }

  /** Whether a run with recorded state may go on here (with the resume claim won), or what `run()` answers instead. */
  private async admit<T>(state: RunState, deadline: number): Promise<{ state: RunState; claim?: Claim } | { result: RunResult<T> }> {
    const runId = state.run.id;
    let esc = state.escalation;
    const finished = state.run.status === "completed" || state.run.status === "failed";
    if (esc?.status === "resolved" && !finished) {
      // Another worker holds the claim on this review and is running the rest: not ours to run.
      // A claim whose worker went away lapses, and the server says the run is resumable again.
      if (!(esc.resumable ?? esc.resumedAt === null)) return { result: { status: "duplicate", runId } };
    } else if (state.run.status !== "paused" || !esc) return { state };
    if (esc.status === "open") {
      const reviewed = Date.now() < deadline ? await this.awaitReview(runId, deadline, esc.id) : undefined;
      if (!reviewed?.escalation) return { result: { status: "escalated", runId, escalation: { id: esc.id, step: esc.step, stepId: esc.stepId, kinds: [] } } };
      state = reviewed;
      esc = reviewed.escalation;
    }
    // Reviewed: one worker resumes it, whichever asks first, under a lease it renews as it runs.
    const claimedAt = performance.now();
    const claimed = await this.client.resumer!.claim(runId, esc.id);
    if (claimed) return { state, claim: { ...claimed, escalationId: esc.id, claimedAt } };
    if (claimed === false) return { result: { status: "duplicate", runId } };
    return { result: { status: "escalated", runId, escalation: { id: esc.id, step: esc.step, stepId: esc.stepId, kinds: [] } } };
  }

  /** Polls the run's state until its escalation is reviewed; undefined at the deadline. */
  private async awaitReview(runId: string, deadline: number, escalationId?: string): Promise<RunState | undefined> {
    while (Date.now() < deadline) {
      const state = await this.client.resumer!.state(runId);
      const esc = state?.escalation;
      if (esc?.status === "resolved" && (escalationId === undefined || esc.id === escalationId)) return state!;
      await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, deadline - Date.now()))));
    }
    return undefined;
  }

  private async execute<T>(options: RunOptions, fn: (run: Run) => Promise<T> | T, state: RunState | undefined, claim?: Claim): Promise<RunResult<T>> {
    const runId = state?.run.id ?? options.runId ?? uuidv7();
    const identity = { runId, workflow: this.name, version: this.version };
    const recorder = new RunRecorder(this.client.emit, runId, state, claim, this.client.resumer, (err) => this.client.report(err));
    try {
      return await this.record(options, fn, state, identity, recorder);
    } finally {
      recorder.stop();
    }
  }

  private async record<T>(
    options: RunOptions,
    fn: (run: Run) => Promise<T> | T,
    state: RunState | undefined,
    identity: { runId: string; workflow: string; version: string },
    recorder: RunRecorder,
  ): Promise<RunResult<T>> {
    const runId = identity.runId;
    const now = this.client.now;
    const started = now();
    const startEvent: SeamtraceEvent = { id: uuidv7(), type: "run.started", time: new Date(started).toISOString(), ...identity };
    // A replay keeps the run's recorded key and input: its recorded steps were computed from them.
    const key = state ? (state.run.key ?? undefined) : options.key;
    const input = state ? state.run.input : options.input;
    if (key !== undefined) startEvent.key = key;
    if (input !== undefined && input !== null) startEvent.input = input;
    // A finished run run again is replayed without calling user code: it is not a new execution,
    // so its start is reported only once something runs, and its recorded end and duration stay.
    const recordedEnd = state?.run.status === "completed" || state?.run.status === "failed" ? state.run.status : undefined;
    const emitNow = recorder.emit;
    let pendingStart: SeamtraceEvent | undefined;
    let emit = emitNow;
    if (recordedEnd) {
      pendingStart = startEvent;
      emit = (event) => {
        if (pendingStart) emitNow(pendingStart);
        pendingStart = undefined;
        emitNow(event);
      };
    } else emit(startEvent);

    const run = new Run(identity, emit, this.runGates());
    recorder.attach(run);
    run.input = state ? state.run.input : options.input;
    if (state) run.replayFrom(state);
    let output: T | undefined;
    try {
      output = await fn(run);
    } catch (err) {
      if (!(err instanceof RunStoppedError)) run.failOutside(err);
    }
    if (recorder.lost) return { status: "lease_lost", runId };

    const escalation = run.stopped?.reason === "escalated" ? run.escalation : undefined;
    const status: Exclude<RunStatus, "running"> = escalation ? "paused" : run.stopped ? "failed" : "completed";
    const replayedOnly = pendingStart !== undefined && status === recordedEnd;
    const ended = now();
    const endEvent: SeamtraceEvent = {
      id: uuidv7(),
      type: `run.${status}`,
      time: new Date(ended).toISOString(),
      ...identity,
      durationMs: ended - started,
    };
    if (escalation) {
      endEvent.stepId = escalation.stepId;
      endEvent.escalationId = escalation.id;
      emit(endEvent);
      this.client.flushSoon();
      return { status: "escalated", runId, escalation };
    }
    if (status === "failed") {
      const failure = run.failure!;
      endEvent.error = failure.error;
      if (failure.stepId !== undefined) endEvent.stepId = failure.stepId;
      if (!replayedOnly) emit(endEvent);
      return { status: "failed", runId, failure };
    }
    // A run that returns a step handle means that step's value; the handle's lineage is
    // already recorded step by step.
    const recorded = output instanceof StepHandle ? output.value : output;
    if (recorded !== undefined) endEvent.output = recorded;
    if (!replayedOnly) emit(endEvent);
    return { status: "completed", runId, output: output as T };
  }
}

export { errorInfo };

/** An environment variable where the runtime has them (Node, Bun, Deno with --allow-env); else undefined. */
function env(name: string): string | undefined {
  try {
    return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name] || undefined;
  } catch {
    return undefined; // Deno without the permission throws
  }
}
/** Where a step's policy comes from (the policy client, or the code policy alone). */
export type { PolicySource } from "./gate.js";
