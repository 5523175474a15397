import { describeContract, type ContractIssue, type ContractOption, type StandardSchemaV1 } from "./contract.js";
import { gateResult } from "./gate.js";
import { cumulativeConfidence, isStale, toEpochMs, type LineageNode } from "./lineage.js";
import type { Deferred } from "./transport-types.js";
import type { ConfidenceSource, ErrorInfo, FeatureValue, GateKind, GateOutcome, PolicyRule, Source, StepEvent } from "./types.js";
import { uuidv7 } from "./uuid.js";

/** What a step function may return: the value plus what Seamtrace needs to judge it. */
export interface StepResult<V> {
  value: V;
  /**
   * The step's own estimate, a finite number in [0, 1], that `value` is correct. Leave it out
   * when the step has none: the step is then *unscored* (`handle.confidence` is undefined, it
   * counts as 1 in cumulative confidence, and `requireConfidence` escalates it). Anything else
   * — 1.7, a percentage such as 85, "0.9", NaN, null — fails the step with an
   * `InvalidConfidence` error naming the value; it is never clamped, and not retried (the same
   * code would return it again).
   */
  confidence?: number;
  /**
   * How `confidence` was obtained (overrides the step option); calibration is measured per
   * source. Anything but a `ConfidenceSource` name fails the step (`InvalidConfidenceSource`).
   * @example
   * await run.step("classify", async () => ({ value: kind, confidence: judgeScore, confidenceSource: "judge" }));
   */
  confidenceSource?: ConfidenceSource;
  reasoning?: string;
  alternatives?: V[];
  /** Overrides the step option. */
  source?: Source;
  /** When the data behind `value` was observed (overrides the step option). */
  observedAt?: Date | number | string;
  /** Numeric or categorical features for drift detection, e.g. `{ amount: 1200 }`. */
  features?: Record<string, FeatureValue>;
}

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
  /** How the step's confidence is obtained, unless its result says otherwise. */
  confidenceSource?: ConfidenceSource;
  observedAt?: Date | number | string;
  /** The output is stale when `observedAt` is older than this. */
  maxAgeMs?: number;
  retry?: RetryOptions;
  /** Fail an attempt that takes longer than this (its `signal` is aborted). */
  timeoutMs?: number;
  features?: Record<string, FeatureValue>;
  /**
   * The output contract: any Standard Schema v1 validator (zod, valibot, arktype). The output is
   * validated before it is handed on; a violation is a gate failure of kind `contract` and always
   * escalates. The value handed on is the one the step returned (a transforming schema's output
   * is not substituted).
   * @example
   * await run.step("extract", { schema: z.object({ policyNo: z.string() }) }, async () => ({ value: fields, confidence: 0.9 }));
   */
  schema?: StandardSchemaV1;
  /** The output's JSON Schema, for a `schema` that cannot describe itself (or none). Sent to the server once. */
  contract?: ContractOption;
  /** This step's policy in code, over the workflow's (a server policy for the step takes precedence). */
  policy?: PolicyRule;
  /**
   * @internal Records the step as this earlier call of its name (see `StepEvent.call`) instead
   * of the next one. A framework adapter resuming its framework's run re-enters a paused step
   * under the call it was recorded with, whatever ran before it in this process.
   */
  call?: number;
  /**
   * @internal When the step's work began (epoch ms, the run's clock), for an adapter that records
   * a step once its framework has run it: the model call or tool it reports took that long.
   */
  startedAt?: number;
}

/**
 * @internal What happened at a step's gate. Made only on the gate path (something was configured
 * for the step), so a step with no policy, schema or freshness bound allocates none of it.
 */
export interface GateMark {
  /** The rule in force, when any check ran; the wire `gate` is built from it at flush time. */
  rule?: PolicyRule;
  kinds?: GateKind[];
  outcome?: GateOutcome;
  issues?: ContractIssue[];
  escalationId?: string;
  spotCheckRate?: number;
  /** The first event of this step for this client: carries the contract. */
  contract?: boolean;
}

/** Identity of the run as the events describe it. */
export interface RunIdentity {
  runId: string;
  workflow: string;
  version: string;
}

const NO_PARENTS: ReadonlyArray<StepHandle<unknown>> = [];

/**
 * A step's outcome, handed to downstream steps through `from`.
 *
 * It is also the step's record until the next flush: the hot path keeps numbers and references
 * in this one object, and `toWire()` turns them into the wire event (ISO times, ids) at flush
 * time. Measured here, `toISOString()` costs ~0.5 µs and every extra object retained until a
 * flush costs young-generation copying, so a step retains exactly this object and its value.
 * The step id, likewise, is made when first read (a UUIDv7 then, still unique and ordered).
 * @example
 * const fields = await run.step("extract", { input: email }, async () => ({ value: parse(email), confidence: 0.93 }));
 * fields.value; fields.confidence; fields.cumulative; fields.stale;
 */
export class StepHandle<V> implements LineageNode, Deferred {
  private id: string | undefined = undefined;
  private eventId: string | undefined = undefined;
  private v: V | undefined = undefined;
  /** Undefined while unscored. */
  private own: number | undefined = undefined;
  private cum = 1;
  private src: Source;
  private staleFlag = false;
  private isFlagged = false;
  /** The model's own confidence when a recalibration map replaced it. */
  private raw: number | undefined = undefined;
  private reasoning: string | undefined = undefined;
  private confidenceSource: ConfidenceSource | undefined = undefined;
  private alternatives: unknown[] | undefined = undefined;
  private features: Record<string, FeatureValue> | undefined = undefined;
  private observedAtMs: number | undefined = undefined;
  private endedAt = 0;
  private attempts = 1;
  private attemptErrors: ErrorInfo[] | undefined = undefined;
  private mark: GateMark | undefined = undefined;
  /** @internal Earlier calls of this step name in the run. */
  call = 0;
  /** @internal The run's epoch and this event's position in it, stamped when the step is recorded. */
  epoch: number | undefined = undefined;
  epochSeq: number | undefined = undefined;

  /** @internal Created by `run.step()` before its function runs. */
  constructor(
    private readonly identity: RunIdentity,
    /** The step's name within the workflow. */
    readonly name: string,
    private readonly opts: StepOptions,
    private readonly startedAt: number,
  ) {
    this.src = opts.source ?? "inferred";
    // Known before the step runs, so a failed step's event still says how fresh its data was.
    if (opts.observedAt !== undefined) this.observedAtMs = toEpochMs(opts.observedAt);
  }

  /** UUIDv7 of this step. */
  get stepId(): string {
    return (this.id ??= uuidv7());
  }
  get value(): V {
    return this.v as V;
  }
  /**
   * Own confidence in [0, 1]; `undefined` when the step is unscored (it gave none). Calibrated
   * when the workflow applies the server's recalibration map.
   */
  get confidence(): number | undefined {
    return this.own;
  }
  /** Own confidence times that of every distinct ancestor, unscored ones counting as 1. */
  get cumulative(): number {
    return this.cum;
  }
  get source(): Source {
    return this.src;
  }
  /** True when the output was observed longer ago than `maxAgeMs`. */
  get stale(): boolean {
    return this.staleFlag;
  }
  /**
   * True when this output was flagged at its gate (`onLow: "flag"`) or rests on a flagged, not
   * yet reviewed, upstream output.
   */
  get flagged(): boolean {
    return this.isFlagged;
  }
  /** The handles this step's input came from. */
  get parents(): ReadonlyArray<StepHandle<unknown>> {
    return this.opts.from ?? NO_PARENTS;
  }

  /** @internal A replayed step: its recorded outcome, handed back without calling user code. */
  restore(r: {
    stepId: string;
    call: number;
    output: unknown;
    confidence: number | null;
    cumulative: number | null;
    source: Source;
    stale: boolean;
    flagged: boolean;
  }): this {
    this.id = r.stepId;
    this.call = r.call;
    this.v = r.output as V;
    this.own = r.confidence ?? undefined;
    this.cum = r.cumulative ?? this.own ?? 1;
    this.src = r.source;
    this.staleFlag = r.stale;
    this.isFlagged = r.flagged;
    return this;
  }

  /** @internal Fills in the outcome of a successful attempt; the run has checked its confidence. */
  complete(ret: StepResult<V>, attempts: number, attemptErrors: ErrorInfo[] | undefined, endedAt: number): this {
    const r = ret;
    const o = this.opts;
    this.endedAt = endedAt;
    this.attempts = attempts;
    this.attemptErrors = attemptErrors;
    this.v = r.value;
    if (r.source !== undefined) this.src = r.source;
    this.own = r.confidence;
    const parents = o.from ?? NO_PARENTS;
    this.cum = cumulativeConfidence(this.own, this.src, parents);
    const observedAt = r.observedAt ?? o.observedAt;
    if (observedAt !== undefined) this.observedAtMs = toEpochMs(observedAt);
    if (o.maxAgeMs !== undefined) this.staleFlag = isStale(this.observedAtMs, o.maxAgeMs, endedAt);
    for (let i = 0; i < parents.length; i++) if (parents[i]!.flagged) this.isFlagged = true;
    if (r.reasoning !== undefined) this.reasoning = r.reasoning;
    this.confidenceSource = r.confidenceSource ?? o.confidenceSource;
    if (r.alternatives !== undefined) this.alternatives = r.alternatives;
    if (r.features !== undefined) this.features = o.features ? { ...o.features, ...r.features } : r.features;
    return this;
  }

  /** @internal Replaces the own confidence by its calibrated value (the raw one goes on the wire too). */
  recalibrated(c: number): void {
    if (this.own === undefined) return;
    this.raw = this.own;
    this.own = c;
    this.cum = cumulativeConfidence(this.own, this.src, this.opts.from ?? NO_PARENTS);
  }

  /** @internal Records the gate's decision. A `flag` marks this output, and so its descendants. */
  gated(mark: GateMark): void {
    this.mark = mark;
    if (mark.outcome === "flag") this.isFlagged = true;
  }

  /** @internal The wire event; called by the transport at flush time. */
  toWire(): StepEvent {
    const o = this.opts;
    this.eventId ??= uuidv7(); // kept, so a retried batch resends the same event id
    const event: StepEvent = {
      id: this.eventId,
      type: "step.completed",
      time: new Date(this.endedAt).toISOString(),
      runId: this.identity.runId,
      workflow: this.identity.workflow,
      version: this.identity.version,
      stepId: this.stepId,
      step: this.name,
      parents: this.parents.map((p) => p.stepId),
      ...(this.call !== 0 ? { call: this.call } : undefined),
      output: this.v,
      cumulative: this.cum,
      source: this.src,
      stale: this.staleFlag,
      attempt: this.attempts,
      durationMs: this.endedAt - this.startedAt,
      startedAt: new Date(this.startedAt).toISOString(),
    };
    if (o.input !== undefined) event.input = o.input;
    if (this.own !== undefined) event.confidence = this.raw ?? this.own;
    if (this.raw !== undefined) event.calibrated = this.own;
    // Only a scored step's confidence has a source.
    if (this.own !== undefined && this.confidenceSource !== undefined) event.confidenceSource = this.confidenceSource;
    if (this.observedAtMs !== undefined) event.observedAt = new Date(this.observedAtMs).toISOString();
    if (o.maxAgeMs !== undefined) event.maxAgeMs = o.maxAgeMs;
    if (this.reasoning !== undefined) event.reasoning = this.reasoning;
    if (this.alternatives !== undefined) event.alternatives = this.alternatives;
    const features = this.features ?? o.features;
    if (features !== undefined) event.features = features;
    if (this.attemptErrors) event.attemptErrors = this.attemptErrors;
    if (this.isFlagged) event.flagged = true;
    const m = this.mark;
    if (m !== undefined) {
      if (m.rule !== undefined) event.gate = gateResult(m.rule, m.kinds, m.issues);
      if (m.escalationId !== undefined) event.escalationId = m.escalationId;
      if (m.spotCheckRate !== undefined) event.spotCheck = { rate: m.spotCheckRate };
      if (m.contract) {
        const contract = describeContract(o.schema, o.contract);
        if (contract !== undefined) event.contract = contract;
      }
    }
    if (this.epochSeq !== undefined) {
      event.epoch = this.epoch ?? 0;
      event.epochSeq = this.epochSeq;
    }
    return event;
  }

  /** Serialises without the lineage graph, which can be as large as the run; an unscored step has no `confidence`. */
  toJSON(): object {
    return {
      name: this.name,
      stepId: this.stepId,
      value: this.v,
      confidence: this.own,
      cumulative: this.cum,
      source: this.src,
      stale: this.staleFlag,
      flagged: this.isFlagged,
    };
  }
}
