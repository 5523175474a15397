import type { GoldenComparison, Regression } from "./compare.js";
import type { CaseResult } from "./executor.js";
import type { GoldenRunsSent } from "./run-sender.js";
import type { GoldenSummary } from "./summary.js";

/** What one `golden run` found: the summary, the baseline's state and the case-by-case comparison. */
export type BaselineState =
  /** Compared with the baseline, case by case. */
  | "compared"
  /** This run was written as the new baseline. */
  | "stored"
  /** No baseline file: nothing to compare with. */
  | "none"
  /** The baseline was measured on another version of the set: not comparable (fails). */
  | "mismatch"
  /** The baseline holds no per-case outcomes (an older executor wrote it) or cannot be read (fails). */
  | "outdated"
  | "unreadable";

export interface GoldenRunReport {
  set: string;
  setVersion: string;
  workflow?: string;
  version?: string;
  /** Runs of each case. */
  trials: number;
  summary: GoldenSummary;
  baseline: {
    path: string | null;
    state: BaselineState;
    setVersion?: string /** The workflow version the baseline was measured on. */;
    version?: string;
    message?: string;
  };
  /** The case-by-case comparison, when there was a baseline to compare with. */
  comparison?: GoldenComparison;
  /** With `send`: what became of the runs sent, and the result id they name. */
  runsSent?: GoldenRunsSent;
  regressions: Regression[];
  /** True when the command should exit 1: a regression, or a baseline that cannot be compared. */
  failed: boolean;
  results: CaseResult[];
}
