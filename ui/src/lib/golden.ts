import type { GoldenCaseChange, GoldenResultDetail, GoldenStepSummary, RunSummary } from "./types.js";

export interface MatrixCell {
  accuracy: number | null;
  reached: number;
  correct: number;
  /** The result named this step among its regressions against the baseline. */
  regressed: boolean;
  /** Accuracy change from the previous (older) result's same step; null without one. */
  delta: number | null;
}

export interface AccuracyMatrix {
  /** Columns, oldest first, so the matrix reads left to right in time. */
  results: GoldenResultDetail[];
  /** Rows: every step any result measured, in the newest result's order, then the rest. */
  steps: string[];
  cells: MatrixCell[][];
  /** Per column: end-to-end accuracy and whether it regressed. */
  endToEnd: Array<{ accuracy: number | null; regressed: boolean }>;
}

/**
 * Per-step accuracy across golden results (steps × results), with the regressions each result
 * reported marked. Pure, so the page only draws it.
 */
export function accuracyMatrix(newestFirst: readonly GoldenResultDetail[]): AccuracyMatrix {
  const results = [...newestFirst].reverse();
  const steps: string[] = [];
  for (const r of [...newestFirst]) for (const s of r.summary.steps) if (!steps.includes(s.step)) steps.push(s.step);
  const cells = steps.map((step) =>
    results.map((r, i) => {
      const s = r.summary.steps.find((x) => x.step === step);
      const prev = i > 0 ? results[i - 1]!.summary.steps.find((x) => x.step === step) : undefined;
      const accuracy = s?.accuracy ?? null;
      return {
        accuracy,
        reached: s?.reached ?? 0,
        correct: s?.correct ?? 0,
        regressed: r.regressions.some((g) => g.what === step),
        delta: accuracy !== null && prev?.accuracy !== null && prev?.accuracy !== undefined ? accuracy - prev.accuracy : null,
      };
    }),
  );
  const endToEnd = results.map((r) => ({ accuracy: r.summary.endToEndAccuracy, regressed: r.regressions.some((g) => g.what === "end-to-end") }));
  return { results, steps, cells, endToEnd };
}

// ---- One result against its baseline, case by case.

/** A changed case × step of the diff table, with the runs of that case to open. */
export interface CaseChangeRow extends GoldenCaseChange {
  /** The result's runs of the case (one per trial), oldest first; empty when none reached the server. */
  runs: string[];
}

/** The comparison's changed cases, newly failing first (in the executor's step order), each with its runs. */
export function caseChangeRows(detail: Pick<GoldenResultDetail, "comparison" | "caseRuns">): CaseChangeRow[] {
  const changes = detail.comparison?.changes ?? [];
  const runs = new Map(Object.entries(detail.caseRuns ?? {}));
  const rank = (c: GoldenCaseChange) => (c.change === "new-failure" ? 0 : 1);
  // A stable sort: the executor already lists failures first, but an older one may not.
  return changes
    .map((c, i) => ({ c, i }))
    .sort((x, y) => rank(x.c) - rank(y.c) || x.i - y.i)
    .map(({ c }) => ({ ...c, runs: runs.get(c.case) ?? [] }));
}

// ---- The runs of a result, by case.

export type CaseOutcome = "pass" | "fail" | "mixed";

/** One case of a result: its runs (several with trials) and how they came out. */
export interface ResultCase {
  case: string;
  runs: RunSummary[];
  outcome: CaseOutcome;
  /** "pass", "fail", or "2/3 passed". */
  label: string;
}

function outcomeOf(runs: readonly RunSummary[]): { outcome: CaseOutcome; label: string } {
  const passed = runs.filter((r) => r.golden?.outcome === "pass").length;
  if (passed === runs.length) return { outcome: "pass", label: "pass" };
  if (passed === 0) return { outcome: "fail", label: runs.length > 1 ? `0/${runs.length} passed` : "fail" };
  return { outcome: "mixed", label: `${passed}/${runs.length} passed` };
}

/** The runs of one result grouped by case, failing cases first, then by case id. Runs without a golden tag are ignored. */
export function resultCases(runs: readonly RunSummary[]): ResultCase[] {
  const byCase = new Map<string, RunSummary[]>();
  for (const r of runs) {
    if (!r.golden) continue;
    const list = byCase.get(r.golden.case);
    if (list) list.push(r);
    else byCase.set(r.golden.case, [r]);
  }
  const rank = { fail: 0, mixed: 1, pass: 2 } as const;
  return [...byCase]
    .map(([c, list]) => ({ case: c, runs: [...list].sort((x, y) => x.startedAt.localeCompare(y.startedAt) || x.id.localeCompare(y.id)), ...outcomeOf(list) }))
    .sort((x, y) => rank[x.outcome] - rank[y.outcome] || compareIds(x.case, y.case));
}

/** Case ids as people number them: "c-2" before "c-10". */
const collator = new Intl.Collator("en", { numeric: true });
function compareIds(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

// ---- Two results side by side.

export interface SideBySideStep {
  step: string;
  a: GoldenStepSummary | null;
  b: GoldenStepSummary | null;
  /** b − a; null unless both measured it. */
  accuracyDelta: number | null;
  brierDelta: number | null;
  /** Escalated / reached, per side. */
  escalationA: number | null;
  escalationB: number | null;
  /** The result named this step among its regressions against its own baseline. */
  regressedA: boolean;
  regressedB: boolean;
}

export interface SideBySide {
  steps: SideBySideStep[];
  endToEnd: { a: number | null; b: number | null; delta: number | null };
  escalationRate: { a: number; b: number };
}

const diff = (a: number | null | undefined, b: number | null | undefined) => (a === null || a === undefined || b === null || b === undefined ? null : b - a);
const rate = (s: GoldenStepSummary | null) => (s && s.reached > 0 ? s.escalated / s.reached : null);

/** Result `a` (left) against `b` (right), step by step: every step either measured, in b's order, then a's others. */
export function sideBySide(a: GoldenResultDetail, b: GoldenResultDetail): SideBySide {
  const names: string[] = [];
  for (const s of [...b.summary.steps, ...a.summary.steps]) if (!names.includes(s.step)) names.push(s.step);
  const find = (r: GoldenResultDetail, step: string) => r.summary.steps.find((s) => s.step === step) ?? null;
  const steps = names.map((step): SideBySideStep => {
    const sa = find(a, step);
    const sb = find(b, step);
    return {
      step,
      a: sa,
      b: sb,
      accuracyDelta: diff(sa?.accuracy, sb?.accuracy),
      brierDelta: diff(sa?.calibration?.brier, sb?.calibration?.brier),
      escalationA: rate(sa),
      escalationB: rate(sb),
      regressedA: a.regressions.some((g) => g.what === step),
      regressedB: b.regressions.some((g) => g.what === step),
    };
  });
  return {
    steps,
    endToEnd: { a: a.summary.endToEndAccuracy, b: b.summary.endToEndAccuracy, delta: diff(a.summary.endToEndAccuracy, b.summary.endToEndAccuracy) },
    escalationRate: { a: a.summary.escalationRate, b: b.summary.escalationRate },
  };
}

/** One case in two results. */
export interface CasePair {
  case: string;
  a: ResultCase | null;
  b: ResultCase | null;
  /** `worse`: passed in a (every run), not in b; `better` the reverse; `changed` any other difference of outcome. */
  change: "worse" | "better" | "changed" | "same";
}

/** The cases of two results paired by id: newly failing in b first, then newly passing, other changes, then the rest. */
export function pairCases(aRuns: readonly RunSummary[], bRuns: readonly RunSummary[]): CasePair[] {
  const a = new Map(resultCases(aRuns).map((c) => [c.case, c]));
  const b = new Map(resultCases(bRuns).map((c) => [c.case, c]));
  const ids = [...new Set([...a.keys(), ...b.keys()])];
  const rank = { worse: 0, better: 1, changed: 2, same: 3 } as const;
  return ids
    .map((id): CasePair => {
      const ca = a.get(id) ?? null;
      const cb = b.get(id) ?? null;
      let change: CasePair["change"] = "same";
      if (ca?.label !== cb?.label)
        change = ca?.outcome === "pass" && cb?.outcome !== "pass" ? "worse" : cb?.outcome === "pass" && ca?.outcome !== "pass" ? "better" : "changed";
      return { case: id, a: ca, b: cb, change };
    })
    .sort((x, y) => rank[x.change] - rank[y.change] || compareIds(x.case, y.case));
}
