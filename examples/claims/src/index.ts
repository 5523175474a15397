/**
 * @seamtrace/example-claims — an insurance-claims workflow whose models are deterministic
 * heuristics with honest confidences, a seeded generator of synthetic claim emails (with a drift
 * knob), and the workflow instrumented with the Seamtrace SDK. Everything runs offline.
 */
export type {
  ClaimCase,
  ClaimEmail,
  ClaimFacts,
  ClaimFields,
  ClaimTruth,
  ClaimType,
  PolicyLine,
  PolicyMatch,
  PolicyRecord,
  Route,
  StepName,
} from "./domain.js";
export { CLAIM_TYPES, STEP_NAMES } from "./domain.js";

export { claimCases, generateClaims } from "./generator.js";
export type { GenerateOptions } from "./generator.js";
export { trafficMix } from "./traffic-mix.js";
export type { TrafficMix } from "./traffic-mix.js";
export { createPolicyDb, DEFAULT_POLICY_SEED } from "./policy-db.js";
export type { PolicyDb, PolicyDbOptions } from "./policy-db.js";
export { hashSeed, Rng } from "./prng.js";

export { COVERAGE, covers, inForce, LAE_FACTOR, reserveFor, reservesAgree, ROUTE_BANDS, routeFor } from "./rules.js";
export type { ReserveInputs } from "./rules.js";

export { defaultModelParams } from "./default-params.js";
export type { ClassifyParams, ExtractParams, MatchPolicyParams, ModelParams, ReserveParams, RouteParams } from "./params.js";
export type { ModelOutput } from "./model-output.js";
export { extractClaim } from "./extract.js";
export { classifyClaim } from "./classify.js";
export { matchPolicy } from "./match-policy.js";
export { estimateReserve } from "./reserve.js";
export type { ReserveInput } from "./reserve.js";
export { routeClaim } from "./route.js";
export { predictClaim } from "./pipeline.js";
export type { ClaimPrediction, ModelContext } from "./pipeline.js";

export { fieldsCorrect, stepCorrect } from "./compare.js";
export { evaluateModels } from "./evaluate.js";
export type { StepQuality } from "./evaluate.js";

export { claimsWorkflow, DEFAULT_CLAIMS_POLICY, DEFAULT_POLICY_MAX_AGE_MS, DEFAULT_STEP_TIMEOUT_MS } from "./workflow.js";
export {
  ClaimFieldsSchema,
  ClaimTypeSchema,
  OUTPUT_CONTRACTS,
  PolicyMatchSchema,
  PolicyRecordSchema,
  ReserveSchema,
  RouteSchema,
  SEAM_CONTRACTS,
} from "./contracts.js";
export type { ClaimsWorkflow, ClaimsWorkflowOptions } from "./workflow.js";

export { parseCorrections, parseModel, retrainModels, serializeModel } from "./retrain.js";
export type { ModelFile, RetrainOptions, RetrainReport, TrainingRow } from "./retrain.js";
