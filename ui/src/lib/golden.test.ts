import { describe, expect, it } from "vitest";
import { accuracyMatrix, caseChangeRows, pairCases, resultCases, sideBySide } from "./golden.js";
import type { GoldenCaseChange, GoldenResultDetail, RunSummary } from "./types.js";

const result = (id: string, steps: Array<[string, number | null]>, regressed: string[] = [], e2e: number | null = 0.9): GoldenResultDetail => ({
  id,
  set: "claims",
  setVersion: "1",
  workflow: "claims",
  version: id,
  startedAt: "2026-01-01T00:00:00Z",
  finishedAt: "2026-01-01T00:01:00Z",
  createdAt: "2026-01-01T00:01:00Z",
  summary: {
    cases: 10,
    escalationRate: 0.1,
    endToEndAccuracy: e2e,
    completed: 9,
    steps: steps.map(([step, accuracy]) => ({ step, expected: 10, reached: 10, correct: Math.round((accuracy ?? 0) * 10), failed: 0, accuracy, escalated: 0 })),
  },
  regressions: regressed.map((what) => ({ what, baseline: 0.9, current: 0.5, message: "" })),
});

describe("accuracyMatrix", () => {
  it("puts results oldest first as columns and steps as rows, marking each result's regressions", () => {
    const m = accuracyMatrix([
      result(
        "v2",
        [
          ["extract", 0.9],
          ["classify", 0.6],
        ],
        ["classify", "end-to-end"],
        0.5,
      ),
      result("v1", [
        ["extract", 0.9],
        ["classify", 0.9],
      ]),
    ]);
    expect(m.results.map((r) => r.id)).toEqual(["v1", "v2"]);
    expect(m.steps).toEqual(["extract", "classify"]);
    expect(m.cells[1]!.map((c) => c.regressed)).toEqual([false, true]);
    expect(m.cells[1]![1]!.delta).toBeCloseTo(-0.3);
    expect(m.cells[0]![0]!.delta).toBeNull();
    expect(m.endToEnd).toEqual([
      { accuracy: 0.9, regressed: false },
      { accuracy: 0.5, regressed: true },
    ]);
  });

  it("keeps a step only some results measured, as an empty cell elsewhere", () => {
    const m = accuracyMatrix([
      result("v2", [["extract", 1]]),
      result("v1", [
        ["extract", 1],
        ["legacy", 0.5],
      ]),
    ]);
    expect(m.steps).toEqual(["extract", "legacy"]);
    expect(m.cells[1]![1]).toMatchObject({ accuracy: null, reached: 0, regressed: false, delta: null });
  });
});

const change = (c: string, step: string, kind: GoldenCaseChange["change"]): GoldenCaseChange => ({
  case: c,
  step,
  change: kind,
  baseline: kind === "new-failure" ? "pass" : "fail",
  current: kind === "new-failure" ? "fail" : "pass",
});

describe("caseChangeRows", () => {
  it("puts newly failing pairs first, keeping the executor's order within each, and attaches each case's runs", () => {
    const rows = caseChangeRows({
      comparison: {
        rule: { alpha: 0.05 },
        trials: { current: 1, baseline: 1 },
        steps: [],
        endToEnd: { baseline: 1, current: 1, newlyWrong: 0, noLongerWrong: 0, pValue: null, regressed: false },
        changes: [change("c-9", "extract", "new-pass"), change("c-2", "classify", "new-failure"), change("c-1", "reserve", "new-failure")],
      },
      caseRuns: { "c-2": ["r2a", "r2b"], "c-9": ["r9"] },
    });
    expect(rows.map((r) => [r.case, r.change, r.runs])).toEqual([
      ["c-2", "new-failure", ["r2a", "r2b"]],
      ["c-1", "new-failure", []],
      ["c-9", "new-pass", ["r9"]],
    ]);
  });

  it("has no rows without a comparison, or from a server that sends no runs", () => {
    expect(caseChangeRows({ comparison: null })).toEqual([]);
    expect(caseChangeRows({})).toEqual([]);
  });
});

const run = (id: string, c: string | null, outcome: "pass" | "fail" = "pass", startedAt = "2026-01-01T00:00:00Z"): RunSummary => ({
  id,
  workflow: "claims",
  version: "3",
  key: null,
  status: "completed",
  startedAt,
  endedAt: null,
  durationMs: null,
  stepCount: 2,
  minCumulative: null,
  error: null,
  golden: c === null ? null : { result: "res", set: "claims", case: c, outcome },
});

describe("resultCases", () => {
  it("groups runs by case in time order, failing cases first then mixed, ids in human order", () => {
    const cases = resultCases([
      run("a", "c-10"),
      run("b", "c-2", "fail"),
      run("d", "c-3", "pass", "2026-01-01T00:00:02Z"),
      run("c", "c-3", "fail", "2026-01-01T00:00:01Z"),
      run("e", "c-1"),
      run("f", null),
      run("g", "c-4", "fail"),
      run("h", "c-4", "fail"),
    ]);
    expect(cases.map((c) => [c.case, c.outcome, c.label, c.runs.map((r) => r.id)])).toEqual([
      ["c-2", "fail", "fail", ["b"]],
      ["c-4", "fail", "0/2 passed", ["g", "h"]],
      ["c-3", "mixed", "1/2 passed", ["c", "d"]],
      ["c-1", "pass", "pass", ["e"]],
      ["c-10", "pass", "pass", ["a"]],
    ]);
  });
});

describe("pairCases", () => {
  it("pairs two results' cases, those that got worse first, then better, other changes, the rest", () => {
    const pairs = pairCases(
      [run("a1", "c-1"), run("a2", "c-2", "fail"), run("a3", "c-3"), run("a4", "c-4"), run("a5", "c-5", "fail")],
      [run("b1", "c-1"), run("b2", "c-2"), run("b3", "c-3", "fail"), run("b5", "c-5", "fail"), run("b5b", "c-5"), run("b6", "c-6")],
    );
    expect(pairs.map((p) => [p.case, p.change])).toEqual([
      ["c-3", "worse"],
      ["c-4", "worse"], // run on the left only: it no longer passes
      ["c-2", "better"],
      ["c-6", "better"],
      ["c-5", "changed"], // fail → 1/2 passed
      ["c-1", "same"],
    ]);
    expect(pairs[0]!.a!.runs[0]!.id).toBe("a3");
    expect(pairs[0]!.b!.runs[0]!.id).toBe("b3");
    expect(pairs[1]!.b).toBeNull();
  });
});

describe("sideBySide", () => {
  it("lines up every step either result measured, with accuracy and Brier deltas (right − left) and each side's regressions", () => {
    const a = result("v1", [
      ["extract", 0.9],
      ["legacy", 0.5],
    ]);
    const b = result(
      "v2",
      [
        ["extract", 0.8],
        ["classify", 0.7],
      ],
      ["extract"],
      0.6,
    );
    b.summary.steps[0]!.calibration = { n: 10, brier: 0.2, ece: null, overconfidence: null };
    a.summary.steps[0]!.calibration = { n: 10, brier: 0.05, ece: null, overconfidence: null };
    b.summary.steps[1]!.escalated = 4;
    const t = sideBySide(a, b);
    expect(t.steps.map((s) => s.step)).toEqual(["extract", "classify", "legacy"]);
    expect(t.steps[0]).toMatchObject({ regressedA: false, regressedB: true, escalationA: 0, escalationB: 0 });
    expect(t.steps[0]!.accuracyDelta).toBeCloseTo(-0.1);
    expect(t.steps[0]!.brierDelta).toBeCloseTo(0.15);
    expect(t.steps[1]).toMatchObject({ a: null, accuracyDelta: null, brierDelta: null, escalationA: null, escalationB: 0.4 });
    expect(t.steps[2]).toMatchObject({ b: null, accuracyDelta: null });
    expect(t.endToEnd.delta).toBeCloseTo(-0.3);
  });
});
