/**
 * The Seamtrace wire format. These types are its definition: the server's zod schemas are
 * checked against them (`satisfies`), and third parties may send the same JSON.
 *
 * Every event carries a UUIDv7 `id` made by the producer, so the store inserts in key order
 * and a retried batch is recognised as a duplicate (idempotency is per project and event id).
 */

/** Where an output came from: read directly, inferred by a model, decided by a human, or cached. */
export type Source = "direct" | "inferred" | "human" | "cache";

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
}

/** A run began. `key` is the caller's idempotency key (for example a message id). */
export interface RunStartedEvent extends RunEventBase {
  type: "run.started";
  key?: string;
  input?: unknown;
}

/** The outcome of a gate check at a handoff; `pass` when every check held. */
export type GateOutcome = "pass" | "escalate" | "flag";
/** Which check a gate failed on. */
export type GateKind = "confidence" | "cumulative" | "contract" | "stale";

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
  input?: unknown;
  output?: unknown;
  /** The step's own confidence in [0, 1]. Absent for steps that do not estimate one. */
  confidence?: number;
  /** Own confidence times that of every distinct ancestor (human outputs re-base to 1). */
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
  /** True when an upstream step was flagged: this output rests on an unreviewed value. */
  flagged?: boolean;
}

/** A run ended, or paused at a gate. */
export interface RunEndedEvent extends RunEventBase {
  type: "run.completed" | "run.failed" | "run.paused";
  output?: unknown;
  error?: ErrorInfo;
  /** The step that failed or paused the run. */
  stepId?: string;
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

export type ItemStatus = "accepted" | "duplicate" | "rejected";

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
