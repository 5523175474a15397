/**
 * The Seamtrace wire format. These types are its definition: the server's zod schemas are
 * checked against them (`satisfies`), and third parties may send the same JSON.
 *
 * Every event carries a UUIDv7 `id` made by the producer, so the store inserts in key order
 * and a retried batch is recognised as a duplicate (idempotency is per project and event id).
 */

/** Where an output came from: read directly, inferred by a model, decided by a human, or cached. */
export type Source = "direct" | "inferred" | "human" | "cache";

/**
 * How a step's confidence was obtained: the model said so (`self-reported`), from token
 * log-probabilities (`logprob`), an automated judge (`judge`), agreement among samples
 * (`consistency`), or a hand-written rule (`rule`). Calibration is measured per source.
 */
export type ConfidenceSource = "self-reported" | "logprob" | "judge" | "consistency" | "rule";

/** How a run ends up. `paused` is a run stopped at a gate, waiting for a review. */
export type RunStatus = "running" | "paused" | "completed" | "failed";

/** A serialisable description of a thrown error. */
export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
}

/** What a feature value may be: numbers drift numerically, strings and booleans categorically. */
export type FeatureValue = number | string | boolean;

interface EventBase {
  /** UUIDv7, unique per project. */
  id: string;
  /** ISO 8601 time at which the fact happened (not when it was sent). */
  time: string;
}

interface RunEventBase extends EventBase {
  runId: string;
  workflow: string;
  version: string;
  /**
   * The run's resume epoch: 0 for its first execution; each resume takes the next one (handed
   * out by the server with the resume claim). With `epochSeq` it orders the run's events without
   * comparing the clocks of the workers that sent them. Absent means 0.
   */
  epoch?: number;
  /** This event's position among the events of its run sent within `epoch` (0, 1, 2, ...). */
  epochSeq?: number;
  /** Set on every event of a run a golden-set evaluation made; absent for production traffic. */
  golden?: GoldenRunTag;
}

/**
 * Marks a run made by a golden-set evaluation (`@seamtrace/golden`), not by production traffic.
 * The collector keeps such runs apart: it lists them only on request (`GET /v1/runs?golden=only`)
 * and beside their golden result, and leaves them out of the review queue, the run counts and
 * the analytics (rollups, calibration, drift, auto-tighten). Every event of the run carries it,
 * so it holds whatever order the events arrive in.
 * @example
 * { set: "claims", case: "c-017", result: "01a2…", outcome: "fail" }
 */
export interface GoldenRunTag {
  /** The golden set's name. */
  set: string;
  /** The case's id in the set. */
  case: string;
  /** The golden result the run belongs to (`GET /v1/golden/results/:id`): a UUID the executor chose. */
  result: string;
  /** `pass`: every step the case expects matched in this run; `fail` otherwise. */
  outcome: "pass" | "fail";
}

/** A run began. `key` is the caller's idempotency key (for example a message id). */
export interface RunStartedEvent extends RunEventBase {
  type: "run.started";
  key?: string;
  input?: unknown;
}

/** The outcome of a gate check at a handoff; `pass` when every check held. */
export type GateOutcome = "pass" | "escalate" | "flag";
/**
 * Which check a gate failed on. `unscored`: the step gave no confidence and its policy has
 * `requireConfidence: true`.
 */
export type GateKind = "confidence" | "cumulative" | "contract" | "stale" | "unscored";

export interface GateResult {
  outcome: GateOutcome;
  /** Checks that failed, in the order they were evaluated. Empty on `pass`. */
  kinds: GateKind[];
  /** Thresholds in force when the gate ran, so the decision can be explained later. */
  minConfidence?: number;
  minCumulative?: number;
  /** Contract issues when `kinds` contains `contract`. */
  issues?: Array<{ message: string; path?: Array<string | number> }>;
}

/** One step's outcome. Sent once per step, after its last attempt. */
export interface StepEvent extends RunEventBase {
  type: "step.completed" | "step.failed";
  stepId: string;
  /** The step's name within the workflow (the DAG node label). */
  step: string;
  /** Step ids this step's input came from (lineage). */
  parents: string[];
  /**
   * Earlier calls of this step name in the run (absent for the first). Taken when the step is
   * called, so it is the same in every replay of the run: a resumed run finds each call's
   * recorded outcome by (name, call), whatever order parallel calls finished in.
   */
  call?: number;
  input?: unknown;
  output?: unknown;
  /**
   * The step's own confidence: a finite number in [0, 1]. Omitted (never null, never a
   * default) when the step is *unscored* — it gave none; such a step counts as 1 in the
   * cumulative confidence of its descendants. A step that returned anything else fails with
   * an `InvalidConfidence` error and sends a `step.failed` event instead.
   */
  confidence?: number;
  /** How `confidence` was obtained. Optional; calibration groups steps by it. */
  confidenceSource?: ConfidenceSource;
  /**
   * The confidence after the server's recalibration map (when the workflow opts in): what the
   * gates compared and the cumulative multiplies. `confidence` stays the model's own.
   */
  calibrated?: number;
  /**
   * Own confidence times that of every distinct ancestor, unscored steps counting as 1 (human
   * outputs re-base to 1).
   */
  cumulative?: number;
  source: Source;
  /** ISO time the underlying data was observed, for staleness. */
  observedAt?: string;
  maxAgeMs?: number;
  stale: boolean;
  reasoning?: string;
  alternatives?: unknown[];
  features?: Record<string, FeatureValue>;
  /** Number of attempts made (1 when the first attempt succeeded). */
  attempt: number;
  /** Errors of earlier failed attempts, oldest first. */
  attemptErrors?: ErrorInfo[];
  /** Wall time of all attempts, in milliseconds. */
  durationMs: number;
  startedAt: string;
  /** The final error of a failed step. */
  error?: ErrorInfo;
  /** Gate evaluation at the handoff after this step. */
  gate?: GateResult;
  /**
   * True when this step was flagged at its gate (`onLow: "flag"`) or an upstream step was: this
   * output is, or rests on, an unreviewed value.
   */
  flagged?: boolean;
  /**
   * Set when this step goes to the review queue: escalated (blocking, the run pauses), flagged
   * (non-blocking) or sampled as a spot check (non-blocking). Made by the SDK (UUIDv7) so
   * `run()` can return it at once; the collector creates the escalation from this event.
   */
  escalationId?: string;
  /** Set when the step passed its gates and was sampled for review at this rate. */
  spotCheck?: { rate: number };
  /**
   * The output contract as JSON Schema, when the step's schema can describe itself (Standard
   * JSON Schema, e.g. zod 4). Sent with the first event of a step in a process, so the server
   * can check a reviewer's correction against it.
   */
  contract?: StepContract;
}

/** A step's output contract, as the server stores it. */
export interface StepContract {
  /** JSON Schema (draft 2020-12) of the step's output. */
  jsonSchema: Record<string, unknown>;
  /** The validator library that produced it (Standard Schema `vendor`). */
  vendor?: string;
}

/** A run ended, or paused at a gate. */
export interface RunEndedEvent extends RunEventBase {
  type: "run.completed" | "run.failed" | "run.paused";
  output?: unknown;
  error?: ErrorInfo;
  /** The step that failed or paused the run. */
  stepId?: string;
  /** For `run.paused`: the escalation the run waits on. */
  escalationId?: string;
  durationMs: number;
}

/** The SDK dropped events (buffer full, undeliverable, ...). Reported so the gap is on record. */
export interface DroppedEvent extends EventBase {
  type: "sdk.dropped";
  reason: string;
  count: number;
  /** ISO times of the first and last drop this report covers. */
  from: string;
  to: string;
}

export type SeamtraceEvent = RunStartedEvent | StepEvent | RunEndedEvent | DroppedEvent;
export type EventType = SeamtraceEvent["type"];

/** `POST /v1/events` request body. */
export interface IngestRequest {
  events: SeamtraceEvent[];
}

/**
 * Per item of a batch: `accepted` (stored now), `duplicate` (this id was stored before with the
 * same content: delivered), `conflict` (this id was stored before with DIFFERENT content: the
 * stored event stands and nothing changed; resending will not help), `rejected` (invalid; `code`
 * and `message` say why).
 */
export type ItemStatus = "accepted" | "duplicate" | "conflict" | "rejected";

export interface IngestItemResult {
  /** The event id, or null when the item had no usable id. */
  id: string | null;
  status: ItemStatus;
  code?: string;
  message?: string;
}

/** `POST /v1/events` answer: one result per item, in request order. */
export interface IngestResponse {
  results: IngestItemResult[];
}

/** The error envelope every non-2xx JSON answer uses. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId?: string };
}

/** Thresholds and behaviour at every handoff. */
export interface PolicyRule {
  /** A step whose own confidence is below this fails its gate. */
  minConfidence?: number;
  /** A step whose cumulative confidence is below this fails its gate. */
  minCumulative?: number;
  /** `escalate` stops the run for review; `flag` goes on and marks everything downstream. */
  onLow?: "escalate" | "flag";
  /**
   * A step that gives no confidence fails its gate (kind `unscored`) instead of passing as
   * unscored. Default false: unscored steps pass `minConfidence` and count as 1 in cumulative.
   */
  requireConfidence?: boolean;
  /** Fraction in [0, 1] of passing steps queued for non-blocking review. */
  spotCheckRate?: number;
  /**
   * Spot-check rate for passing steps whose confidence is within 0.1 above `minConfidence`,
   * where a wrong threshold costs most; the sampled step's event carries the rate it was drawn
   * at, so estimators weigh it by its inverse. Unset: `spotCheckRate` everywhere.
   */
  spotCheckNearRate?: number;
}

/** A policy as the server stores and serves it: per workflow (`step` null) or per step. */
export interface ServedPolicy extends PolicyRule {
  workflow: string;
  /** Null for the workflow-wide default. */
  step: string | null;
  /** Labelled accuracy the workflow promises; auto-tightening aims at it. */
  targetAccuracy?: number;
  /** Bounds within which auto-tightening may move `minConfidence`. */
  tightenMin?: number;
  tightenMax?: number;
  /** Distinct reviewers who decide each escalation (default 1). */
  reviewers?: number;
  /** How their decisions combine (default `unanimous`); disagreement goes to an adjudicator. */
  consensus?: "unanimous" | "majority";
  /** Deadline in milliseconds from the escalation's creation. */
  reviewBy?: number;
  /** What happens at the deadline (default `reassign`). */
  onExpiry?: "reject" | "accept-flagged" | "reassign";
  /** The group of reviewers who see the escalations. */
  reviewGroup?: string;
  /**
   * Auto-tightening's risk: the chance that the precision of what passes a threshold it chose is
   * below `targetAccuracy` is at most this (Learn-then-Test). Default 0.05.
   */
  delta?: number;
  /**
   * When no threshold within the bounds meets the target: `escalate` (default) sends every
   * output to blocking review (minConfidence 1), `spot-check` queues every passing output for
   * non-blocking review, `alert` only alerts. An alert fires in every case.
   */
  onUnmet?: "escalate" | "spot-check" | "alert";
  /**
   * For steps received as OpenTelemetry spans: which evaluation (`gen_ai.evaluation.name`) gives
   * the step its confidence. The SDK's own steps report their confidence and ignore it.
   */
  confidenceFrom?: string;
  revision: number;
  updatedAt: string;
}

/**
 * A monotone map from a step's raw confidence to calibrated confidence, fitted by the server on
 * reviewer labels (isotonic regression) for one workflow version: linear between points, flat
 * beyond the ends.
 */
export interface CalibrationMapWire {
  workflow: string;
  step: string;
  version: string;
  x: number[];
  y: number[];
}

/** `GET /v1/policies` answer (with an ETag; 304 when unchanged). */
export interface PoliciesResponse {
  policies: ServedPolicy[];
  /** Recalibration maps, applied by workflows created with `recalibrate: true`. */
  calibrations?: CalibrationMapWire[];
}

/** A review decision: keep the output, replace it, or fail the run. */
export type Decision = "accept" | "correct" | "reject";

/** An escalation waiting on a judge (`GET /v1/review/judge-items`): what the judge decides on. Untrusted text. */
export interface JudgeItem {
  escalationId: string;
  runId: string;
  stepId: string;
  workflow: string;
  version: string;
  step: string;
  input: unknown;
  output: unknown;
  confidence: number | null;
  reasoning: string | null;
  alternatives: unknown[] | null;
  createdAt: string;
}

/** A judge's answer: its decision (with the corrected `output` for `correct`), how sure it is, and why. */
export interface JudgeVerdict {
  decision: Decision;
  output?: unknown;
  /** In [0, 1]: at or above the step's `minConfidence` the judge settles the escalation (unless sampled for people). */
  confidence: number;
  reason: string;
}

/** `GET /v1/runs/:id/state`: what a resumed run needs to replay itself. */
export interface RunState {
  run: {
    id: string;
    workflow: string;
    version: string;
    key: string | null;
    status: RunStatus;
    input: unknown;
    /** The latest resume epoch the run has reached (see RunEventBase.epoch). */
    epoch?: number;
  };
  /** Completed steps in execution order; a replay hands these back without calling user code. */
  steps: Array<{
    stepId: string;
    name: string;
    status: "completed" | "failed";
    output: unknown;
    confidence: number | null;
    cumulative: number | null;
    source: Source;
    stale: boolean;
    flagged: boolean;
    parents: string[];
    escalationId: string | null;
    /** The step failed its gate with outcome `escalate`: its output was held back for review. */
    gated: boolean;
    /** Earlier calls of this step name in the run (see StepEvent.call). */
    call: number;
  }>;
  /** The escalation the run is paused on, or the last one that resumed it. */
  escalation: {
    id: string;
    stepId: string;
    step: string;
    status: "open" | "resolved";
    decision: Decision | null;
    /** The value the run resumes with: the corrected output, or the original one when accepted. */
    output: unknown;
    reason: string | null;
    /** When a worker last claimed the resume. */
    resumedAt: string | null;
    /** Accepted because nobody decided by the deadline: the run goes on with its own output, flagged. */
    flagged?: boolean;
    /**
     * True when a worker may claim the resume now: reviewed, and never claimed, or its claim
     * lapsed (the worker stopped renewing it, e.g. it died). Decided by the server's clock.
     */
    resumable?: boolean;
    /** When the live claim lapses unless renewed; null when no claim is live. */
    leaseExpiresAt?: string | null;
  } | null;
}

/** `POST /v1/runs/:id/resume` request: claim the resume of the run from this reviewed escalation. */
export interface ResumeClaimRequest {
  escalationId: string;
}

/** `POST /v1/runs/:id/resume` answer when the claim was won (409 otherwise). */
export interface ResumeClaimResponse {
  claimed: true;
  /** The epoch this resume's events carry. */
  epoch: number;
  /** How long the claim lasts without renewal; renew well within it. */
  leaseMs: number;
  leaseExpiresAt: string;
  state: RunState | null;
}

/** `POST /v1/runs/:id/resume/renew` request: extend the claim won with `epoch`. */
export interface ResumeRenewRequest {
  escalationId: string;
  epoch: number;
}

/** `POST /v1/runs/:id/resume/renew` answer (409 `lease_lost` when the claim is no longer the caller's). */
export interface ResumeRenewResponse {
  renewed: true;
  leaseExpiresAt: string;
}
