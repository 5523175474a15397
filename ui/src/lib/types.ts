// The subset of the server's wire contracts the dashboard reads (server/src/contracts/*.ts).
// Declared here rather than imported: the server's contract modules pull zod and Node types into
// the browser build's type-check, and the UI should break loudly (in its tests) if a field it
// relies on disappears, not silently follow a rename. test/contract/ui-types.test.ts checks at
// type level that every answer the server gives still fits these declarations.

export type Role = "admin" | "lead" | "reviewer" | "analyst";
export type RunStatus = "running" | "paused" | "completed" | "failed";
export type Source = "direct" | "inferred" | "human" | "cache";
/** `unscored`: the step gave no confidence and its policy requires one. */
export type GateKind = "confidence" | "cumulative" | "contract" | "stale" | "unscored";
export type Decision = "accept" | "correct" | "reject";

export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
}

export interface GateResult {
  outcome: "pass" | "escalate" | "flag";
  kinds: GateKind[];
  minConfidence?: number;
  minCumulative?: number;
  issues?: Array<{ message: string; path?: Array<string | number> }>;
}

export interface User {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  projectId: string;
}

/** A colleague by email (`GET /v1/people`). */
export interface Person {
  id: string;
  email: string;
  name: string;
}

export interface RunSummary {
  id: string;
  workflow: string;
  version: string;
  key: string | null;
  status: RunStatus;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  stepCount: number;
  minCumulative: number | null;
  error: ErrorInfo | null;
  /** The worker resuming the run went away (its claim lapsed): the run is resumable again. */
  resumerLost?: boolean;
  /** Set for a run a golden-set evaluation made; null for production traffic. */
  golden: GoldenRunView | null;
}

/** server/src/modules/runs/contract.ts GoldenRunView: which golden result, set and case a run was made for. */
export interface GoldenRunView {
  result: string;
  set: string;
  case: string;
  outcome: "pass" | "fail";
}

export interface RunListResponse {
  items: RunSummary[];
  nextCursor: string | null;
  window: { from: string; to: string };
}

export interface StepView {
  id: string;
  name: string;
  status: "completed" | "failed";
  parents: string[];
  input: unknown;
  output: unknown;
  confidence: number | null;
  cumulative: number | null;
  source: Source;
  observedAt: string | null;
  maxAgeMs: number | null;
  stale: boolean;
  flagged: boolean;
  reasoning: string | null;
  alternatives: unknown[] | null;
  features: Record<string, unknown> | null;
  attempts: number;
  attemptErrors: ErrorInfo[] | null;
  error: ErrorInfo | null;
  gate: GateResult | null;
  durationMs: number;
  startedAt: string;
  endedAt: string;
  scores: StepScore[];
  metadata: StepMetadata | null;
  records: Array<{ name: string; time: string; body: unknown }>;
}

/** One evaluation of a step (gen_ai.evaluation.result), from a span event or a log record. */
export interface StepScore {
  name: string | null;
  value: number | null;
  label: string | null;
  explanation: string | null;
  origin: "span" | "log";
  time: string;
}

/** What an OpenTelemetry span said about its step besides its fields. */
export interface StepMetadata {
  kind: string;
  status?: { code: "ok" | "error"; message?: string };
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope?: { name?: string; version?: string };
  links?: Array<{ traceId: string; spanId: string; attributes?: Record<string, unknown> }>;
  omitted?: number;
}

export interface RunDetailResponse {
  run: RunSummary & { input: unknown; output: unknown; stopStepId: string | null; updatedAt: string };
  steps: StepView[];
  edges: Array<{ from: string; to: string }>;
  truncated: boolean;
}

export interface WorkflowView {
  name: string;
  createdAt: string;
  runCount: number;
  lastRunAt: string | null;
  versions: Array<{ version: string; runCount: number; lastRunAt: string }>;
}

export interface WorkflowListResponse {
  items: WorkflowView[];
  window: { from: string; to: string };
  truncated: boolean;
}

export interface EscalationSummary {
  id: string;
  runId: string;
  stepId: string;
  workflow: string;
  version: string;
  step: string;
  kind: "escalate" | "flag" | "spot_check";
  gateKinds: GateKind[];
  blocking: boolean;
  samplingRate: number | null;
  confidence: number | null;
  cumulative: number | null;
  status: EscalationStatus;
  claimedBy: string | null;
  claimExpiresAt: string | null;
  claimLive: boolean;
  createdAt: string;
  decision: Decision | null;
  reviewerId: string | null;
  resolvedAt: string | null;
  reviewGroup: string | null;
  reviewersRequired: number;
  decisions: number;
  consensus: "unanimous" | "majority";
  dueAt: string | null;
  onExpiry: "reject" | "accept-flagged" | "reassign" | null;
  resolution: "single" | "consensus" | "adjudicated" | "judge" | "expired" | null;
}

export type EscalationStatus = "open" | "in_review" | "disputed" | "resolved" | "expired";

/** One individual decision on an escalation. */
export interface ReviewView {
  id: string;
  escalationId: string;
  role: "reviewer" | "adjudicator" | "judge";
  actor: string;
  decision: Decision;
  correctedOutput: unknown;
  reason: string | null;
  alternative: number | null;
  confidence: number | null;
  overrode: string[] | null;
  createdAt: string;
}

export interface QueueResponse {
  items: EscalationSummary[];
  nextCursor: string | null;
}

/** `GET /v1/escalations/count`: every item the filters match, and per UTC day raised. */
export interface QueueCountResponse {
  total: number;
  byDay: Array<{ day: string; count: number }>;
}

export type LineageParent =
  | {
      stepId: string;
      found: true;
      step: string;
      output: unknown;
      confidence: number | null;
      cumulative: number | null;
      source: Source;
      stale: boolean;
      flagged: boolean;
    }
  | { stepId: string; found: false };

export interface RunSoFarStep {
  stepId: string;
  step: string;
  status: "completed" | "failed";
  parents: string[];
  output: unknown;
  outputOmitted?: true;
  confidence: number | null;
  cumulative: number | null;
  source: Source;
  stale: boolean;
  flagged: boolean;
  escalationId: string | null;
  startedAt: string;
  endedAt: string;
}

export interface EscalationDetail extends EscalationSummary {
  packet: {
    input: unknown;
    output: unknown;
    confidence: number | null;
    cumulative: number | null;
    reasoning: string | null;
    alternatives: unknown[] | null;
    error: ErrorInfo | null;
    lineage: { parents: LineageParent[]; source: Source; observedAt: string | null; maxAgeMs: number | null; stale: boolean; flagged: boolean };
    gate: GateResult | null;
    gateKinds: GateKind[];
    run: { id: string; key: string | null; input: unknown };
    runSoFar: { steps: RunSoFarStep[]; truncated: boolean };
  };
  correctedOutput: unknown;
  reason: string | null;
  alternative: number | null;
  resumedAt: string | null;
  resumedBy: string | null;
  contract: { jsonSchema: Record<string, unknown>; vendor: string | null } | null;
  reviews: ReviewView[];
  myReview: ReviewView | null;
  canDecide: boolean;
  canAdjudicate: boolean;
}

export interface GroupMember {
  userId: string;
  email: string;
  name: string;
  role: Role;
}

export interface ReviewGroupView {
  name: string;
  knownAnswerRate: number;
  members: GroupMember[];
}

export interface AssigneeCounts {
  userId: string;
  email: string;
  name: string;
  role: Role;
  groups: string[];
  claimed: number;
  decided: number;
  pending: number;
}

export interface AssigneesResponse {
  window: { from: string; to: string };
  items: AssigneeCounts[];
}

export interface StepAgreement {
  workflow: string;
  step: string;
  items: number;
  ratings: number;
  raters: number;
  percentAgreement: number | null;
  fleissKappa: number | null;
  fleissItems: number;
  krippendorffAlpha: number | null;
}

export interface RaterAgreement {
  rater: string;
  items: number;
  agreementWithSettled: number | null;
  settledItems: number;
  percentAgreement: number | null;
}

export interface PairAgreement {
  a: string;
  b: string;
  items: number;
  percentAgreement: number | null;
  cohenKappa: number | null;
}

export interface AgreementResponse {
  window: { from: string; to: string };
  steps: StepAgreement[];
  raters: RaterAgreement[];
  pairs: PairAgreement[];
}

export interface ReviewerAccuracy {
  rater: string;
  items: number;
  correct: number;
  accuracy: number | null;
  low: number | null;
  high: number | null;
}

export interface AccuracyResponse {
  window: { from: string; to: string };
  items: ReviewerAccuracy[];
}

export interface GroupAgeing {
  group: string | null;
  decided: number;
  p50Ms: number | null;
  p95Ms: number | null;
  waiting: number;
  pastHalfDeadline: number;
  overdue: number;
}

export interface AgeingResponse {
  window: { from: string; to: string };
  groups: GroupAgeing[];
}

export interface DecisionRequest {
  decision: Decision;
  reason: string;
  output?: unknown;
  alternative?: number;
}

export interface AuditEntry {
  seq: number;
  time: string;
  actor: string;
  action: string;
  subject: string;
  runId: string | null;
  payloadHash: string;
  hash: string;
}

export interface AuditListResponse {
  items: AuditEntry[];
  nextCursor: string | null;
}

export interface Rates {
  steps: number;
  failed: number;
  escalated: number;
  flagged: number;
  spotChecks: number;
  auto: number;
  human: number;
  escalationRate: number | null;
  flagRate: number | null;
  spotCheckRate: number | null;
  autoRate: number | null;
  failureRate: number | null;
}

export interface RateChange {
  rate: number | null;
  baseline: number | null;
  pvalue: number | null;
  dispersion: number | null;
  test: "quasi-binomial" | "binomial" | null;
  changed: boolean;
  direction: "up" | "down" | null;
}

/** The answer's rates, per step output (`escalationRateSteps`) and, end to end, per run. */
export interface EscalationRates extends Rates {
  escalationRateSteps: number | null;
  /** Null for a single step's series: runs are counted for the workflow as a whole. */
  runs: number | null;
  escalatedRuns: number | null;
  escalationRateRuns: number | null;
}

export interface EscalationRatesResponse {
  totals: EscalationRates;
  trend: Array<EscalationRates & { from: string; to: string; changes: { escalation: RateChange | undefined; escalationRuns: RateChange | null | undefined } }>;
}

export type DriftLevel = "ok" | "watch" | "alert" | "insufficient" | "skipped";

export type DriftHistogram =
  | { kind: "numeric"; edges: number[]; baseline: number[]; current: number[] }
  | { kind: "categorical"; categories: string[]; baseline: number[]; current: number[] };

export interface DriftTestView {
  series: string;
  kind: "numeric" | "categorical";
  psi: number | null;
  distance: number | null;
  distanceKind: "wasserstein" | "jensen-shannon";
  test: "ks" | "chi-square";
  statistic: number | null;
  pvalue: number | null;
  adjustedP: number | null;
  baselineN: number;
  currentN: number;
  level: DriftLevel;
  reason: string | null;
  derivedFrom: string | null;
  histogram: DriftHistogram | null;
}

export interface DriftResponse {
  baseline: { from: string; to: string };
  current: { from: string; to: string };
  cutoffs: { psiWatch: number; psiAlert: number; pAlert: number; distance: Record<"wasserstein" | "jensen-shannon", { watch: number; alert: number }> };
  level: DriftLevel;
  tests: DriftTestView[];
  trend: Array<{
    from: string;
    to: string;
    level: DriftLevel;
    tests: Array<Pick<DriftTestView, "series" | "psi" | "distance" | "statistic" | "pvalue" | "adjustedP" | "currentN" | "level">>;
  }>;
}

/** `PUT /v1/policies/:workflow[/steps/:step]`: absent leaves a field, null clears it. */
export interface PolicyBody {
  minConfidence?: number | null;
  minCumulative?: number | null;
  onLow?: "escalate" | "flag" | null;
  requireConfidence?: boolean | null;
  spotCheckRate?: number | null;
  targetAccuracy?: number | null;
  tightenMin?: number | null;
  tightenMax?: number | null;
  reason?: string;
}

// Golden results and corrections export: server/src/modules/golden/contract.ts and
// modules/exports/contract.ts.
/** golden/src/summary.ts StepSummary (the fields the pages read). */
export interface GoldenStepSummary {
  step: string;
  expected: number;
  reached: number;
  correct: number;
  failed: number;
  accuracy: number | null;
  escalated: number;
  calibration?: GoldenCalibration;
}

export interface GoldenCalibration {
  n: number;
  brier: number | null;
  ece: number | null;
  overconfidence: number | null;
}

export interface GoldenSummary {
  cases: number;
  escalationRate: number;
  endToEndAccuracy: number | null;
  completed: number;
  steps: GoldenStepSummary[];
}

/** golden/src/summary.ts Regression: `what` is a step, "end-to-end" or "escalation rate". */
export interface GoldenRegression {
  what: string;
  /** What `baseline` and `current` measure: accuracy and escalation rates, or (calibration) Brier scores. */
  kind?: "accuracy" | "calibration" | "escalation" | "end-to-end";
  baseline: number;
  current: number;
  message: string;
}

export interface GoldenResultSummary {
  id: string;
  set: string;
  setVersion: string;
  workflow: string;
  version: string;
  startedAt: string;
  finishedAt: string;
  cases: number;
  endToEndAccuracy: number | null;
  escalationRate: number | null;
  regressions: number;
}

export interface GoldenResultList {
  items: GoldenResultSummary[];
  nextCursor: string | null;
}

export interface GoldenResultDetail {
  id: string;
  set: string;
  setVersion: string;
  workflow: string;
  version: string;
  startedAt: string;
  finishedAt: string;
  createdAt: string;
  baselineVersion?: string | null;
  summary: GoldenSummary;
  regressions: GoldenRegression[];
  /** The case-by-case comparison with the baseline; null when the run had none. */
  comparison?: GoldenComparison | null;
  /** Run ids by case for the cases in `comparison.changes` (absent from older servers). */
  caseRuns?: Record<string, string[]>;
}

/** golden/src/compare.ts CaseChange. */
export interface GoldenCaseChange {
  case: string;
  step: string;
  change: "new-failure" | "new-pass";
  baseline: string;
  current: string;
  reason?: string;
}

/** golden/src/compare.ts StepComparison (the fields the page reads). */
export interface GoldenStepComparison {
  step: string;
  pairs: number;
  newFailures: number;
  newPasses: number;
  newlyNotReached: number;
  newlyReached: number;
  accuracy: { baseline: number | null; current: number | null; pValue: number | null; regressed: boolean };
  calibration: { brierChange: number | null; pValue: number | null; regressed: boolean };
  escalation: { baseline: number; current: number; pValue: number | null; regressed: boolean };
}

/** golden/src/compare.ts GoldenComparison as sent (changes capped). */
export interface GoldenComparison {
  rule: { alpha: number; maxNewFailures?: number };
  trials: { current: number; baseline: number };
  steps: GoldenStepComparison[];
  endToEnd: { baseline: number | null; current: number | null; newlyWrong: number; noLongerWrong: number; pValue: number | null; regressed: boolean };
  changes: GoldenCaseChange[];
  changesOmitted?: number;
}

export interface GoldenSetList {
  items: Array<{ set: string; cases: number; updatedAt: string }>;
}

export interface CalibrationResponse {
  reliability: {
    bins: Array<{
      bin: number;
      lower: number;
      upper: number;
      count: number;
      weight: number;
      meanConfidence: number;
      accuracy: number;
      effectiveN: number;
      wilson: [number, number];
    }>;
    count: number;
    accuracy: number | null;
    ece: number | null;
    mce: number | null;
    brier: number | null;
  };
  /** Equal-mass bins over the labels themselves. */
  adaptiveEce: number | null;
  missingLabels: {
    queued: { spot: number; review: number };
    labelled: { spot: number; review: number };
    missing: { spot: number; review: number };
    spotCoverage: number | null;
  };
  bySource: Array<{
    source: string;
    steps: string[];
    outputs: number;
    count: number;
    accuracy: number | null;
    ece: number | null;
    mce: number | null;
    brier: number | null;
  }>;
  trend: Array<{ from: string; to: string; count: number; accuracy: number | null; ece: number | null }>;
}

export interface AlertView {
  id: string;
  ruleId: string;
  metric: string;
  workflow: string;
  version: string;
  step: string | null;
  status: "firing" | "resolved";
  value: number | null;
  lastValue: number | null;
  threshold: number | null;
  /** What crossed: workflow, step, feature and the figures past their cut-offs. */
  message: string | null;
  op: ">" | ">=" | "<" | "<=" | null;
  /** Drift alerts: the test that moved most, and the cut-offs it is read against. */
  cause: { series: string; test: "ks" | "chi-square"; psi: number | null; pvalue: number | null; level: string; psiAlert?: number; pAlert?: number } | null;
  firedAt: string;
  resolvedAt: string | null;
}

export interface VerifyReport {
  ok: boolean;
  entries: number;
  checkpoints: number;
  head: { seq: number; hash: string } | null;
  lastGoodCheckpoint: number | null;
  firstBad: { seq: number; reason: string; to?: number } | null;
  // Absent from reports stored before payloads and anchors were verified.
  payloads?: { checked: number; reduced: number; purged: number; unverifiable: number };
  anchors?: { external: { sources: string[]; checkpoints: number } | null; system: { seq: number; time: string; covers: number } | null };
  unanchored?: { from: number; to: number; entries: number; since: string } | null;
}

/** A background verification of the chain (`/v1/audit/verifications`). */
export interface AuditVerification {
  id: string;
  status: "running" | "passed" | "unanchored" | "broken" | "failed" | "abandoned";
  requestedBy: string;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
  upTo: number;
  checked: number;
  report: VerifyReport | null;
  error: string | null;
}

export interface AuditVerificationList {
  items: AuditVerification[];
}

/** One stored metric value (`GET /v1/metrics`); `details` is the metric's own record. */
export interface MetricView {
  metric: string;
  workflow: string;
  version: string;
  step: string | null;
  at: string;
  value: number;
  details: unknown;
}

export interface MetricsResponse {
  items: MetricView[];
  truncated: boolean;
}

export interface SeriesListResponse {
  items: Array<{ workflow: string; version: string; step: string | null }>;
}

export interface ServedPolicy {
  workflow: string;
  step: string | null;
  minConfidence?: number;
  minCumulative?: number;
  onLow?: "escalate" | "flag";
  requireConfidence?: boolean;
  spotCheckRate?: number;
  targetAccuracy?: number;
  tightenMin?: number;
  tightenMax?: number;
  revision: number;
  updatedAt: string;
}

export interface PolicyHistoryEntry {
  id: string;
  workflow: string;
  step: string | null;
  before: ServedPolicy | null;
  after: ServedPolicy | null;
  actor: string;
  reason: string | null;
  evidence: unknown;
  at: string;
}

/** Precision measured on labels since a change, beside the evidence that triggered it. */
export interface ThresholdOutcome {
  from: string;
  to: string;
  count: number;
  effectiveN: number;
  precision: number | null;
  lowerBound: number | null;
  targetAccuracy: number;
  meetsTarget: boolean | null;
}

export interface ThresholdChange {
  id: string;
  workflow: string;
  step: string;
  version: string;
  kind: "threshold" | "review-all" | "spot-check";
  before: number | null;
  after: number;
  evidence: unknown;
  outcome: unknown;
  policyRevision: number;
  status: "applied" | "reverted";
  createdAt: string;
  revertedAt: string | null;
  revertedBy: string | null;
}

/** One run of a scheduled job (`GET /v1/jobs/runs`). */
export interface JobRunView {
  id: string;
  job: string;
  trigger: "schedule" | "manual";
  startedAt: string;
  endedAt: string | null;
  outcome: "running" | "ok" | "failed";
  error: string | null;
}

export interface JobRunsResponse {
  items: JobRunView[];
  nextCursor: string | null;
}

export interface JobListResponse {
  items: Array<{ name: string; schedule: string | null; available: boolean }>;
}
