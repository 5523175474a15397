/**
 * @seamtrace/golden — the executor's side of Seamtrace: golden sets, golden runs compared case
 * by case with a baseline, seam checks, chaos runs and correction exports. docs/golden.md.
 */
export {
  checkGoldenSet,
  GoldenSetError,
  goldenSetVersion,
  MAX_REPORTED_ISSUES,
  parseGoldenSet,
  readGoldenSet,
  serializeGoldenSet,
} from "./golden-set.js";
export type { GoldenCase, GoldenSet, GoldenSetIssue, GoldenSetOptions, GoldenSetSummary } from "./golden-set.js";
export { canonicalJson, MAX_JSON_DEPTH, NotJsonError } from "./canonical-json.js";
export { comparatorFor, custom, exact, jsonSubset, numeric, preview, set, similarity, text } from "./comparators.js";
export type { Comparator, NumericTolerance, Verdict } from "./comparators.js";
export { asGoldenWorkflowModule, executeGoldenSet, trialPassed, trialsOf } from "./executor.js";
export type { CaseResult, ExecuteOptions, GoldenTarget, GoldenWorkflowModule, StepOutcome, TrialResult } from "./executor.js";
export { calibrationOf, summarise } from "./summary.js";
export type { Calibration, GoldenSummary, StepSummary, StepTrials } from "./summary.js";
export { caseRecord, caseRecords, stepStanding } from "./case-records.js";
export type { CaseRecord, StepRecord } from "./case-records.js";
export { compareRuns, DEFAULT_ALPHA, formatP } from "./compare.js";
export type { CaseChange, GoldenComparison, Measured, Regression, RegressionRule, StepComparison } from "./compare.js";
export { exactPairedTest, pairedTTest } from "./paired-tests.js";
export type { ExactTestResult, PairedTResult, Stratum } from "./paired-tests.js";
export { BASELINE_FORMAT, readBaseline, serializeBaseline } from "./baseline.js";
export type { Baseline, BaselineFile } from "./baseline.js";
export { formatComparison, formatMarkdown, formatReport, formatSummaryTable } from "./report.js";
export { junitXml } from "./junit.js";
export { defaultBaselinePath, goldenRun, loadWorkflowModule, resultSetName, runGoldenSet } from "./golden-run.js";
export { GoldenRunSender } from "./run-sender.js";
export type { GoldenRunSenderOptions, GoldenRunsSent } from "./run-sender.js";
export type { BaselineState, GoldenRunOptions, GoldenRunReport } from "./golden-run.js";
export { CSV_COLUMNS, CSV_JSON_COLUMNS, EXPORT_FORMATS, exportHeader, exportRow } from "./export-formats.js";
export type { CorrectionRow, CorrectionRowKind, ExportFormat } from "./export-formats.js";
export { asSeamContracts, checkSeams, formatSeamTable, recordedFromEvent, SEAM_EXAMPLES } from "./seams.js";
export type { HandoffReport, RecordedStep, SeamContracts, SeamIssue, SeamReport, SeamViolation } from "./seams.js";
export { seamsRun, ServerError } from "./seams-run.js";
export type { SeamsRunOptions, SeamsRunReport, ServerSource } from "./seams-run.js";
export { chaosRun, ChaosFault, ChaosHang, FAULT_KINDS, formatChaosTable } from "./chaos.js";
export type { ChaosOptions, ChaosReport, FaultKind, FaultOutcome, FaultOutcomeKind, InjectedFault } from "./chaos.js";
export { goldenResultPayload, MAX_SENT_CHANGES, MAX_SENT_REASON, sendGoldenResult } from "./result-payload.js";
export type { GoldenResultPayload, SentComparison } from "./result-payload.js";
export { DEPRECATED_URL_ENV, ENDPOINT_ENV, serverFromEnv } from "./server-env.js";
export { goldenRunCommand, GoldenUsageError, OUTPUT_FORMATS, runOptionsFromFlags } from "./run-command.js";
export type { GoldenCommandOutcome, GoldenRunFlags, OutputFormat } from "./run-command.js";
