/**
 * Per-case records: what each case did at each step over its runs, the unit a baseline stores
 * and a comparison pairs. Pure functions over case results.
 */
import { trialsOf, type CaseResult, type StepOutcome } from "./executor.js";

/** One step of one case over its runs (`trials`). Zero counts and absent measures are left out. */
export interface StepRecord {
  /** Runs that reached the step (it ran, or it threw). */
  reached: number;
  /** Runs in which its output matched. */
  passed: number;
  /** Runs in which it threw (or its event was lost). */
  failed?: number;
  /** Runs in which its gate escalated. */
  escalated?: number;
  /** Mean confidence over the runs that gave one (and did not throw). */
  confidence?: number;
  /** Mean of (confidence − correct)² over the same runs: the case's Brier score. */
  brier?: number;
}

/** One case over its runs. */
export interface CaseRecord {
  /** Runs of the case. */
  trials: number;
  completed?: number;
  escalated?: number;
  /** Failed runs, and runs whose `run()` threw. */
  failed?: number;
  /** Completed runs with at least one expected step wrong: a wrong result nobody reviewed. */
  wrong?: number;
  /** By expected step name, in workflow order. */
  steps: Record<string, StepRecord>;
}

const reachedStatus = (o: StepOutcome) => o.status !== "not-reached";

/** The record of one case. */
export function caseRecord(r: CaseResult): CaseRecord {
  const runs = trialsOf(r);
  const out: CaseRecord = { trials: runs.length, steps: {} };
  const sums = new Map<string, { conf: number; brier: number; n: number }>();
  let completed = 0;
  let escalated = 0;
  let failed = 0;
  let wrong = 0;
  for (const t of runs) {
    if (t.run === "completed") {
      completed++;
      if (Object.values(t.steps).some((o) => o.status !== "ok")) wrong++;
    } else if (t.run === "escalated") escalated++;
    else if (t.run === "failed" || t.run === "error") failed++;
    for (const [step, o] of Object.entries(t.steps)) {
      const s = (out.steps[step] ??= { reached: 0, passed: 0 });
      if (!reachedStatus(o)) continue;
      s.reached++;
      if (o.status === "ok") s.passed++;
      if (o.status === "failed") s.failed = (s.failed ?? 0) + 1;
      if (o.gate === "escalate") s.escalated = (s.escalated ?? 0) + 1;
      if (o.confidence !== undefined && o.status !== "failed") {
        const acc = sums.get(step) ?? { conf: 0, brier: 0, n: 0 };
        acc.conf += o.confidence;
        acc.brier += (o.confidence - (o.status === "ok" ? 1 : 0)) ** 2;
        acc.n++;
        sums.set(step, acc);
      }
    }
  }
  for (const [step, acc] of sums) {
    out.steps[step]!.confidence = round(acc.conf / acc.n);
    out.steps[step]!.brier = round(acc.brier / acc.n);
  }
  // Run counts before the steps, so a baseline line reads case outcome first.
  const head: Omit<CaseRecord, "steps"> = { trials: out.trials };
  if (completed) head.completed = completed;
  if (escalated) head.escalated = escalated;
  if (failed) head.failed = failed;
  if (wrong) head.wrong = wrong;
  return { ...head, steps: out.steps };
}

/** Ten decimals: far below any difference a test could see, and no binary-float noise in the baseline file. */
const round = (x: number) => Math.round(x * 1e10) / 1e10;

/** Records of every case, by case id. */
export function caseRecords(results: readonly CaseResult[]): Record<string, CaseRecord> {
  const out: Record<string, CaseRecord> = {};
  for (const r of results) out[r.id] = caseRecord(r);
  return out;
}

/** How a step stands for a case over its runs: passed in every run that reached it, failed in some, or never reached. */
export function stepStanding(s: StepRecord | undefined): "passing" | "failing" | "not-reached" {
  if (!s || s.reached === 0) return "not-reached";
  return s.passed === s.reached ? "passing" : "failing";
}

/** "3/5" for several runs; "pass", "fail" or "not reached" for one. */
export function describeRecord(s: StepRecord | undefined, trials: number): string {
  if (!s || s.reached === 0) return "not reached";
  if (trials === 1 && s.reached === 1) return s.passed === 1 ? "pass" : "fail";
  return `${s.passed}/${s.reached} passed`;
}
