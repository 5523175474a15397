/**
 * What a golden run measured: per-step and end-to-end accuracy, escalation rate and calibration,
 * and the comparison with a stored baseline that makes a regression fail the command.
 * Pure functions over case results.
 */
import type { CaseResult } from "./executor.js";

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
}

export interface GoldenSummary {
  cases: number;
  /** Runs by status. */
  runs: Record<string, number>;
  /** Escalated runs / cases. */
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

/** Summarises case results. */
export function summarise(results: readonly CaseResult[]): GoldenSummary {
  const runs: Record<string, number> = {};
  const steps = new Map<string, { s: StepSummary; pairs: Array<[number, boolean]> }>();
  let completed = 0;
  let allRight = 0;
  for (const r of results) {
    runs[r.run] = (runs[r.run] ?? 0) + 1;
    let every = true;
    for (const [step, o] of Object.entries(r.steps)) {
      let entry = steps.get(step);
      if (!entry) {
        entry = { s: { step, expected: 0, reached: 0, correct: 0, failed: 0, accuracy: null, escalated: 0, calibration: calibrationOf([]) }, pairs: [] };
        steps.set(step, entry);
      }
      const s = entry.s;
      s.expected++;
      if (o.status !== "ok") every = false;
      if (o.status === "not-reached") continue;
      s.reached++;
      if (o.status === "ok") s.correct++;
      if (o.status === "failed") s.failed++;
      if (o.gate === "escalate") s.escalated++;
      if (o.confidence !== undefined && o.status !== "failed") entry.pairs.push([o.confidence, o.status === "ok"]);
    }
    if (r.run === "completed") {
      completed++;
      if (every) allRight++;
    }
  }
  const out: StepSummary[] = [];
  for (const { s, pairs } of steps.values()) {
    s.accuracy = s.reached === 0 ? null : s.correct / s.reached;
    s.calibration = calibrationOf(pairs);
    out.push(s);
  }
  return {
    cases: results.length,
    runs,
    escalationRate: results.length === 0 ? 0 : (runs.escalated ?? 0) / results.length,
    endToEndAccuracy: completed === 0 ? null : allRight / completed,
    completed,
    steps: out,
  };
}

/** A stored baseline: the summary of an accepted run of one version of a set. */
export interface Baseline {
  set: string;
  /** The golden set version (goldenSetVersion) the baseline was measured on. */
  setVersion: string;
  workflow?: string;
  version?: string;
  createdAt: string;
  summary: GoldenSummary;
}

/** Something that got worse than the baseline by more than the tolerance. */
export interface Regression {
  /** A step name, or "end-to-end", or "escalation rate". */
  what: string;
  baseline: number;
  current: number;
  message: string;
}

/**
 * What regressed against the baseline: each step's accuracy (in set order, so the first named is
 * the earliest step that got worse), end-to-end accuracy, and the escalation rate, each allowed
 * `tolerance` (absolute, default 0.02) of noise.
 */
export function regressions(current: GoldenSummary, baseline: GoldenSummary, tolerance = 0.02): Regression[] {
  const found: Regression[] = [];
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const now = new Map(current.steps.map((s) => [s.step, s]));
  for (const b of baseline.steps) {
    const c = now.get(b.step);
    if (b.accuracy === null) continue;
    const acc = c?.accuracy ?? 0;
    if (acc < b.accuracy - tolerance) {
      found.push({ what: b.step, baseline: b.accuracy, current: acc, message: `step "${b.step}": accuracy ${pct(acc)}, baseline ${pct(b.accuracy)}` });
    }
  }
  if (baseline.endToEndAccuracy !== null) {
    const acc = current.endToEndAccuracy ?? 0;
    if (acc < baseline.endToEndAccuracy - tolerance) {
      found.push({ what: "end-to-end", baseline: baseline.endToEndAccuracy, current: acc, message: `end-to-end accuracy ${pct(acc)}, baseline ${pct(baseline.endToEndAccuracy)}` });
    }
  }
  if (current.escalationRate > baseline.escalationRate + tolerance) {
    found.push({
      what: "escalation rate",
      baseline: baseline.escalationRate,
      current: current.escalationRate,
      message: `escalation rate ${pct(current.escalationRate)}, baseline ${pct(baseline.escalationRate)}`,
    });
  }
  return found;
}
