/**
 * A run against its baseline, case by case. Every measure is paired: a case is compared with
 * itself, so a step is only blamed for cases whose own outcome at that step changed. A case
 * that reaches a step in one run and not in the other (an earlier step now stops it, or no
 * longer does) is counted apart and blamed on nobody here: the earlier step's own numbers say
 * why. Decision rules (docs/golden.md, "Regressions"):
 *
 * - accuracy: the exact paired test on newly failing vs newly passing cases (exact McNemar with
 *   one run per case), one-sided at `alpha`; or, with `maxNewFailures`, more newly failing
 *   cases than that;
 * - calibration: per-case Brier scores higher, by a one-sided paired t-test at `alpha`;
 * - escalations: more cases escalating at the step's gate, exact paired test at `alpha`;
 * - end to end: more runs completing with a wrong output (nobody reviewed it), by the exact
 *   paired test, or the count rule.
 */
import { describeRecord, stepStanding, type CaseRecord, type StepRecord } from "./case-records.js";
import { exactPairedTest, pairedTTest, type Stratum } from "./paired-tests.js";
import type { Calibration, GoldenSummary } from "./summary.js";

/** The default significance level of the paired tests. */
export const DEFAULT_ALPHA = 0.05;

/** When a step counts as regressed. */
export interface RegressionRule {
  /** Significance level of the one-sided paired tests. Default 0.05. */
  alpha: number;
  /** With it, accuracy and end-to-end regress when more cases than this newly fail (no test). */
  maxNewFailures?: number;
}

/** Something that got worse than the baseline under the rule. */
export interface Regression {
  /** A step name, or "end-to-end". */
  what: string;
  kind: "accuracy" | "calibration" | "escalation" | "end-to-end";
  /** The measure in the baseline and now: accuracy, Brier score, escalation rate, or end-to-end accuracy of completed runs. */
  baseline: number;
  current: number;
  message: string;
  /** One-sided p-value of the paired test (absent under the count rule). */
  pValue?: number;
  /** Cases that newly failed (accuracy), newly escalated, or newly completed wrong (end to end). */
  newFailures?: number;
  /** Cases that changed the other way. */
  newPasses?: number;
}

/** One case × step whose outcome changed. */
export interface CaseChange {
  case: string;
  step: string;
  change: "new-failure" | "new-pass";
  /** "pass", "fail", or "k/n passed" over several runs. */
  baseline: string;
  current: string;
  /** Why it fails now (a new failure), from the comparator or the error. */
  reason?: string;
}

export interface StepComparison {
  step: string;
  /** Cases that reached the step in both runs: the pairs compared. */
  pairs: number;
  newFailures: number;
  newPasses: number;
  /** Reached in the baseline, not now (an earlier step stops them), and the reverse. */
  newlyNotReached: number;
  newlyReached: number;
  accuracy: { baseline: number | null; current: number | null; pValue: number | null; regressed: boolean };
  calibration: {
    baseline: Calibration | null;
    current: Calibration | null;
    /** Cases with a Brier score in both runs. */
    pairs: number;
    /** Mean per-case Brier change (current − baseline) over those pairs. */
    brierChange: number | null;
    pValue: number | null;
    regressed: boolean;
  };
  escalation: { baseline: number; current: number; newlyEscalated: number; noLongerEscalated: number; pValue: number | null; regressed: boolean };
}

export interface GoldenComparison {
  rule: RegressionRule;
  /** Runs per case now and in the baseline. */
  trials: { current: number; baseline: number };
  steps: StepComparison[];
  endToEnd: {
    baseline: number | null;
    current: number | null;
    newlyWrong: number;
    noLongerWrong: number;
    pValue: number | null;
    regressed: boolean;
    /** For the newly wrong runs: the first step (in workflow order) that is wrong now, and how often. */
    firstWrongStep: Record<string, number>;
  };
  /** Newly failing pairs first (in step order), then newly passing ones. */
  changes: CaseChange[];
}

export interface Measured {
  summary: GoldenSummary;
  records: Readonly<Record<string, CaseRecord>>;
}

const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(1)}%`);
/** A p-value as people read it: "p < 0.0001", "p = 0.0313". */
export const formatP = (p: number) => (p < 0.0001 ? "p < 0.0001" : `p = ${p.toPrecision(3)}`);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * Compares a run with its baseline; `reasonOf` says why a case fails a step now.
 * @example
 * const { comparison, regressions } = compareRuns(current, baseline, { alpha: 0.05 });
 */
export function compareRuns(
  current: Measured,
  baseline: Measured,
  rule: RegressionRule,
  reasonOf: (caseId: string, step: string) => string | undefined = () => undefined,
): { comparison: GoldenComparison; regressions: Regression[] } {
  const ids = Object.keys(current.records).filter((id) => Object.hasOwn(baseline.records, id));
  const order = [...current.summary.steps.map((s) => s.step)];
  for (const s of baseline.summary.steps) if (!order.includes(s.step)) order.push(s.step);
  const summaryOf = (m: Measured, step: string) => m.summary.steps.find((s) => s.step === step);
  const trials = { current: current.summary.trials ?? 1, baseline: baseline.summary.trials ?? 1 };
  const paired = trials.current > 1 || trials.baseline > 1 ? `exact paired test over ${trials.current} vs ${trials.baseline} runs per case` : "exact McNemar";

  const regressions: Regression[] = [];
  const failures: CaseChange[] = [];
  const passes: CaseChange[] = [];
  const steps: StepComparison[] = [];
  for (const step of order) {
    const accStrata: Stratum[] = [];
    const escStrata: Stratum[] = [];
    const brierNow: number[] = [];
    const brierThen: number[] = [];
    let newFailures = 0;
    let newPasses = 0;
    let newlyNotReached = 0;
    let newlyReached = 0;
    let newlyEscalated = 0;
    let noLongerEscalated = 0;
    for (const id of ids) {
      const now: StepRecord | undefined = current.records[id]!.steps[step];
      const then: StepRecord | undefined = baseline.records[id]!.steps[step];
      const nr = now?.reached ?? 0;
      const br = then?.reached ?? 0;
      if (nr === 0 || br === 0) {
        if (nr === 0 && br > 0) newlyNotReached++;
        if (nr > 0 && br === 0) newlyReached++;
        continue;
      }
      accStrata.push({ current: { n: nr, k: now!.passed }, baseline: { n: br, k: then!.passed } });
      escStrata.push({ current: { n: nr, k: now!.escalated ?? 0 }, baseline: { n: br, k: then!.escalated ?? 0 } });
      const rateNow = now!.passed / nr;
      const rateThen = then!.passed / br;
      const change = { case: id, step, baseline: describeRecord(then, trials.baseline), current: describeRecord(now, trials.current) };
      if (rateNow < rateThen) {
        newFailures++;
        const reason = reasonOf(id, step);
        failures.push({ ...change, change: "new-failure", ...(reason !== undefined && { reason }) });
      } else if (rateNow > rateThen) {
        newPasses++;
        passes.push({ ...change, change: "new-pass" });
      }
      const escNow = (now!.escalated ?? 0) / nr;
      const escThen = (then!.escalated ?? 0) / br;
      if (escNow > escThen) newlyEscalated++;
      else if (escNow < escThen) noLongerEscalated++;
      if (now!.brier !== undefined && then!.brier !== undefined) brierNow.push(now!.brier), brierThen.push(then!.brier);
    }
    const sNow = summaryOf(current, step);
    const sThen = summaryOf(baseline, step);
    const accTest = exactPairedTest(accStrata);
    const accuracy = {
      baseline: sThen?.accuracy ?? null,
      current: sNow?.accuracy ?? null,
      pValue: accStrata.length > 0 ? accTest.lower : null,
      regressed: rule.maxNewFailures !== undefined ? newFailures > rule.maxNewFailures : newFailures > 0 && accTest.lower <= rule.alpha,
    };
    const t = pairedTTest(brierNow, brierThen);
    const calibration = {
      baseline: sThen?.calibration ?? null,
      current: sNow?.calibration ?? null,
      pairs: t.n,
      brierChange: t.n > 0 ? t.meanDifference : null,
      pValue: t.n > 0 ? t.upper : null,
      regressed: t.n > 0 && t.meanDifference > 0 && t.upper <= rule.alpha,
    };
    const escTest = exactPairedTest(escStrata);
    const rate = (s: typeof sNow) => (s && s.reached > 0 ? s.escalated / s.reached : 0);
    const escalation = {
      baseline: rate(sThen),
      current: rate(sNow),
      newlyEscalated,
      noLongerEscalated,
      pValue: escStrata.length > 0 ? escTest.upper : null,
      regressed: newlyEscalated > 0 && escTest.upper <= rule.alpha,
    };
    steps.push({ step, pairs: accStrata.length, newFailures, newPasses, newlyNotReached, newlyReached, accuracy, calibration, escalation });

    if (accuracy.regressed) {
      const why = rule.maxNewFailures !== undefined ? `more than --max-new-failures ${rule.maxNewFailures}` : `${paired} ${formatP(accTest.lower)}`;
      regressions.push({
        what: step,
        kind: "accuracy",
        baseline: accuracy.baseline ?? 0,
        current: accuracy.current ?? 0,
        message: `step "${step}": ${plural(newFailures, "newly failing case")}, ${newPasses} newly passing (${why}); accuracy ${pct(accuracy.current)}, baseline ${pct(accuracy.baseline)}`,
        ...(rule.maxNewFailures === undefined && { pValue: accTest.lower }),
        newFailures,
        newPasses,
      });
    }
    if (calibration.regressed) {
      const b = (c: Calibration | null, k: "brier" | "ece") => ((c?.[k] ?? null) === null ? "—" : c![k]!.toFixed(3));
      regressions.push({
        what: step,
        kind: "calibration",
        baseline: calibration.baseline?.brier ?? 0,
        current: calibration.current?.brier ?? 0,
        message:
          `step "${step}": calibration worse: Brier ${b(calibration.current, "brier")}, baseline ${b(calibration.baseline, "brier")} ` +
          `(paired t-test over ${plural(t.n, "case")}, ${formatP(t.upper)}); ECE ${b(calibration.current, "ece")}, baseline ${b(calibration.baseline, "ece")}; ` +
          `escalated ${sNow?.escalated ?? 0}, baseline ${sThen?.escalated ?? 0}`,
        pValue: t.upper,
      });
    }
    if (escalation.regressed) {
      regressions.push({
        what: step,
        kind: "escalation",
        baseline: escalation.baseline,
        current: escalation.current,
        message: `step "${step}": ${plural(newlyEscalated, "case")} newly escalated, ${noLongerEscalated} no longer (${paired} ${formatP(escTest.upper)}); escalation rate ${pct(escalation.current)}, baseline ${pct(escalation.baseline)}`,
        pValue: escTest.upper,
        newFailures: newlyEscalated,
        newPasses: noLongerEscalated,
      });
    }
  }

  // End to end: a run that completes with a wrong output went out unreviewed.
  const wrongStrata: Stratum[] = [];
  let newlyWrong = 0;
  let noLongerWrong = 0;
  const firstWrongStep: Record<string, number> = {};
  for (const id of ids) {
    const now = current.records[id]!;
    const then = baseline.records[id]!;
    wrongStrata.push({ current: { n: now.trials, k: now.wrong ?? 0 }, baseline: { n: then.trials, k: then.wrong ?? 0 } });
    const a = (now.wrong ?? 0) / now.trials;
    const b = (then.wrong ?? 0) / then.trials;
    if (a > b) {
      newlyWrong++;
      const first = order.find((s) => stepStanding(now.steps[s]) === "failing");
      if (first !== undefined) firstWrongStep[first] = (firstWrongStep[first] ?? 0) + 1;
    } else if (a < b) noLongerWrong++;
  }
  const wrongTest = exactPairedTest(wrongStrata);
  const endToEnd = {
    baseline: baseline.summary.endToEndAccuracy,
    current: current.summary.endToEndAccuracy,
    newlyWrong,
    noLongerWrong,
    pValue: wrongStrata.length > 0 ? wrongTest.upper : null,
    regressed: rule.maxNewFailures !== undefined ? newlyWrong > rule.maxNewFailures : newlyWrong > 0 && wrongTest.upper <= rule.alpha,
    firstWrongStep,
  };
  if (endToEnd.regressed) {
    const why = rule.maxNewFailures !== undefined ? `more than --max-new-failures ${rule.maxNewFailures}` : `${paired} ${formatP(wrongTest.upper)}`;
    const where = Object.entries(firstWrongStep)
      .sort((x, y) => y[1] - x[1])
      .map(([s, n]) => `${s} ${n}`)
      .join(", ");
    regressions.push({
      what: "end-to-end",
      kind: "end-to-end",
      baseline: endToEnd.baseline ?? 0,
      current: endToEnd.current ?? 0,
      message: `end-to-end: ${plural(newlyWrong, "case")} now complete with a wrong output, ${noLongerWrong} no longer (${why}); accuracy of completed runs ${pct(endToEnd.current)}, baseline ${pct(endToEnd.baseline)}${where ? `; first wrong step: ${where}` : ""}`,
      ...(rule.maxNewFailures === undefined && { pValue: wrongTest.upper }),
      newFailures: newlyWrong,
      newPasses: noLongerWrong,
    });
  }
  return { comparison: { rule, trials, steps, endToEnd, changes: [...failures, ...passes] }, regressions };
}
