/**
 * @seamtrace/golden — the executor's side of Seamtrace: golden sets now; golden runs, seam
 * checks, chaos runs and correction exports to come (SPEC §8).
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
