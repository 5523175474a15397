/**
 * What a golden run measured: per-step and end-to-end accuracy, escalation rate and calibration.
 * With several runs per case (trials) every count is over runs (cases × trials), and each step
 * also gets how much its accuracy varied between trials. Pure functions over case results; the
 * comparison with a baseline is compare.ts.
 */
import { trialsOf, type CaseResult } from "./executor.js";

/** Calibration of a step's confidences against whether it was right. */
export interface Calibration {
  /** Pairs with a confidence. */
  n: number;
  /** Mean squared error of confidence against correctness (0 best). */
  brier: number | null;
  /** Expected calibration error over ten equal-width bins (0 best). */
  ece: number | null;
  /** Mean confidence minus accuracy: > 0 over-confident. */
  overconfidence: number | null;
}

export interface StepSummary {
  step: string;
  /** Cases that expect this step. */
  expected: number;
  /** Of those, cases whose run reached the step (ran it, or it threw). */
  reached: number;
  correct: number;
  failed: number;
  /** correct / reached; null when no case reached the step. */
  accuracy: number | null;
  /** Gates after this step that escalated. */
  escalated: number;
  calibration: Calibration;
  /** With several runs per case: how the step's accuracy varied between them. */
  trials?: StepTrials;
}

/** A step's spread over the runs of each case. */
export interface StepTrials {
  /** Sample variance, across the trials, of the step's accuracy in each trial (null below two trials with a reached case). */
  variance: number | null;
  /** Cases whose runs disagreed: the step passed in some and failed in others. */
  flakyCases: number;
}

export interface GoldenSummary {
  cases: number;
  /** Runs of each case; absent means 1. Counts below are over runs (cases × trials). */
  trials?: number;
  /** Runs by status. */
  runs: Record<string, number>;
  /** Escalated runs / runs. */
  escalationRate: number;
  /** Cases whose run completed and matched every expected step, over completed runs; null when none completed. */
  endToEndAccuracy: number | null;
  completed: number;
  /** In order of first appearance in the set (the workflow's order for a generated set). */
  steps: StepSummary[];
}

const BINS = 10;

/** Brier score, ECE and over-confidence of (confidence, correct) pairs. */
export function calibrationOf(pairs: ReadonlyArray<readonly [number, boolean]>): Calibration {
  const n = pairs.length;
  if (n === 0) return { n, brier: null, ece: null, overconfidence: null };
  let brier = 0;
  let conf = 0;
  let right = 0;
  const bins = Array.from({ length: BINS }, () => ({ n: 0, conf: 0, right: 0 }));
  for (const [p, ok] of pairs) {
    const y = ok ? 1 : 0;
    brier += (p - y) ** 2;
    conf += p;
    right += y;
    const bin = bins[Math.min(BINS - 1, Math.floor(p * BINS))]!;
    bin.n++;
    bin.conf += p;
    bin.right += y;
  }
  let ece = 0;
  for (const b of bins) if (b.n > 0) ece += (b.n / n) * Math.abs(b.conf / b.n - b.right / b.n);
  return { n, brier: brier / n, ece, overconfidence: conf / n - right / n };
}

/** Summarises case results (every run of every case). */
export function summarise(results: readonly CaseResult[]): GoldenSummary {
  const runs: Record<string, number> = {};
  const steps = new Map<string, { s: StepSummary; pairs: Array<[number, boolean]>; byTrial: Array<[number, number]>; flaky: number }>();
  let total = 0;
  let completed = 0;
  let allRight = 0;
  let trials = 1;
  for (const r of results) {
    const rs = trialsOf(r);
    trials = Math.max(trials, rs.length);
    const seen = new Map<string, { pass: number; fail: number }>();
    rs.forEach((t, index) => {
      total++;
      runs[t.run] = (runs[t.run] ?? 0) + 1;
      let every = true;
      for (const [step, o] of Object.entries(t.steps)) {
        let entry = steps.get(step);
        if (!entry) {
          entry = {
            s: { step, expected: 0, reached: 0, correct: 0, failed: 0, accuracy: null, escalated: 0, calibration: calibrationOf([]) },
            pairs: [],
            byTrial: [],
            flaky: 0,
          };
          steps.set(step, entry);
        }
        const s = entry.s;
        s.expected++;
        if (o.status !== "ok") every = false;
        if (o.status === "not-reached") continue;
        s.reached++;
        const trial = (entry.byTrial[index] ??= [0, 0]);
        trial[1]++;
        const mine = seen.get(step) ?? { pass: 0, fail: 0 };
        seen.set(step, mine);
        if (o.status === "ok") s.correct++, trial[0]++, mine.pass++;
        else mine.fail++;
        if (o.status === "failed") s.failed++;
        if (o.gate === "escalate") s.escalated++;
        if (o.confidence !== undefined && o.status !== "failed") entry.pairs.push([o.confidence, o.status === "ok"]);
      }
      if (t.run === "completed") {
        completed++;
        if (every) allRight++;
      }
    });
    for (const [step, m] of seen) if (m.pass > 0 && m.fail > 0) steps.get(step)!.flaky++;
  }
  const out: StepSummary[] = [];
  for (const { s, pairs, byTrial, flaky } of steps.values()) {
    s.accuracy = s.reached === 0 ? null : s.correct / s.reached;
    s.calibration = calibrationOf(pairs);
    if (trials > 1) s.trials = { variance: sampleVariance(byTrial.filter((t) => t !== undefined && t[1] > 0).map(([c, n]) => c / n)), flakyCases: flaky };
    out.push(s);
  }
  const summary: GoldenSummary = {
    cases: results.length,
    runs,
    escalationRate: total === 0 ? 0 : (runs.escalated ?? 0) / total,
    endToEndAccuracy: completed === 0 ? null : allRight / completed,
    completed,
    steps: out,
  };
  if (trials > 1) summary.trials = trials;
  return summary;
}

function sampleVariance(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1);
}
