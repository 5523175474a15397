/**
 * @seamtrace/sdk — confidence, lineage and gates for every step of a multi-step AI workflow.
 * Zero runtime dependencies; runs on Node ≥ 20, Bun, Deno, browsers and edge runtimes.
 */
export { Seamtrace, Workflow } from "./client.js";
export type { Policy, RunOptions, RunResult, SeamtraceOptions, WorkflowOptions } from "./client.js";
export { Run, RunStoppedError, StepHandle } from "./run.js";
export type { RetryOptions, RunEscalation, RunFailure, RunIdentity, StepContext, StepFn, StepInterceptor, StepOptions, StepResult } from "./run.js";
export { cumulativeConfidence, isStale } from "./lineage.js";
export { InvalidConfidenceError, InvalidConfidenceSourceError } from "./confidence.js";
export { SeamtraceNotice } from "./notices.js";
export type { Logger, NoticeCode } from "./notices.js";
export { evaluateGate, mergeRules } from "./gate.js";
export type { GateFacts } from "./gate.js";
export type { ContractIssue, ContractOption, StandardSchemaV1 } from "./contract.js";
export { seededRandom, spotCheckRateFor, type RandomSource } from "./sampling.js";
export { Transport } from "./transport.js";
export { PolicyClient } from "./policy-client.js";
export type { PolicyOrigin, ResolvedPolicy } from "./policy-client.js";
export type { ResolvedReview } from "./resumer.js";
export type {
  Deferred,
  EventSink,
  EventSpool,
  FlushResult,
  RequestFn,
  ShutdownResult,
  TransportOptions,
  TransportResponse,
  TransportStats,
} from "./transport.js";
export { isUuid, uuidv7, uuidv7Time } from "./uuid.js";
export type * from "./types.js";
