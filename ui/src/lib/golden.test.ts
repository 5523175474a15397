import { describe, expect, it } from "vitest";
import { accuracyMatrix } from "./golden.js";
import type { GoldenResultDetail } from "./types.js";

const result = (id: string, steps: Array<[string, number | null]>, regressed: string[] = [], e2e: number | null = 0.9): GoldenResultDetail => ({
  id,
  set: "claims",
  setVersion: "1",
  workflow: "claims",
  version: id,
  startedAt: "2026-01-01T00:00:00Z",
  finishedAt: "2026-01-01T00:01:00Z",
  createdAt: "2026-01-01T00:01:00Z",
  summary: { cases: 10, escalationRate: 0.1, endToEndAccuracy: e2e, completed: 9, steps: steps.map(([step, accuracy]) => ({ step, expected: 10, reached: 10, correct: Math.round((accuracy ?? 0) * 10), failed: 0, accuracy, escalated: 0 })) },
  regressions: regressed.map((what) => ({ what, baseline: 0.9, current: 0.5, message: "" })),
});

describe("accuracyMatrix", () => {
  it("puts results oldest first as columns and steps as rows, marking each result's regressions", () => {
    const m = accuracyMatrix([result("v2", [["extract", 0.9], ["classify", 0.6]], ["classify", "end-to-end"], 0.5), result("v1", [["extract", 0.9], ["classify", 0.9]])]);
    expect(m.results.map((r) => r.id)).toEqual(["v1", "v2"]);
    expect(m.steps).toEqual(["extract", "classify"]);
    expect(m.cells[1]!.map((c) => c.regressed)).toEqual([false, true]);
    expect(m.cells[1]![1]!.delta).toBeCloseTo(-0.3);
    expect(m.cells[0]![0]!.delta).toBeNull();
    expect(m.endToEnd).toEqual([{ accuracy: 0.9, regressed: false }, { accuracy: 0.5, regressed: true }]);
  });

  it("keeps a step only some results measured, as an empty cell elsewhere", () => {
    const m = accuracyMatrix([result("v2", [["extract", 1]]), result("v1", [["extract", 1], ["legacy", 0.5]])]);
    expect(m.steps).toEqual(["extract", "legacy"]);
    expect(m.cells[1]![1]).toMatchObject({ accuracy: null, reached: 0, regressed: false, delta: null });
  });
});
