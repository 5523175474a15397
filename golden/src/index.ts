/**
 * @seamtrace/golden — the executor's side of Seamtrace: golden sets now; golden runs, seam
 * checks, chaos runs and correction exports to come.
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
export { asGoldenWorkflowModule, executeGoldenSet } from "./executor.js";
export type { CaseResult, ExecuteOptions, GoldenTarget, GoldenWorkflowModule, StepOutcome } from "./executor.js";
export { calibrationOf, regressions, summarise } from "./summary.js";
export type { Baseline, Calibration, GoldenSummary, Regression, StepSummary } from "./summary.js";
export { formatSummaryTable, junitXml } from "./report.js";
export { defaultBaselinePath, goldenRun, loadWorkflowModule } from "./golden-run.js";
export type { GoldenRunOptions, GoldenRunReport } from "./golden-run.js";
export { CSV_COLUMNS, CSV_JSON_COLUMNS, EXPORT_FORMATS, exportHeader, exportRow } from "./export-formats.js";
export type { CorrectionRow, CorrectionRowKind, ExportFormat } from "./export-formats.js";
export { asSeamContracts, checkSeams, formatSeamTable, recordedFromEvent, SEAM_EXAMPLES } from "./seams.js";
export type { HandoffReport, RecordedStep, SeamContracts, SeamIssue, SeamReport, SeamViolation } from "./seams.js";
export { seamsRun, ServerError } from "./seams-run.js";
export type { SeamsRunOptions, SeamsRunReport, ServerSource } from "./seams-run.js";
export { chaosRun, ChaosFault, ChaosHang, FAULT_KINDS, formatChaosTable } from "./chaos.js";
export type { ChaosOptions, ChaosReport, FaultKind, FaultOutcome, FaultOutcomeKind, InjectedFault } from "./chaos.js";
