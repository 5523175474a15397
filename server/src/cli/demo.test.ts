import type { RetrainReport } from "@seamtrace/example-claims";
import { describe, expect, it } from "vitest";
import { formatReport } from "./demo.js";
import { MIN_RUNS_TO_JUDGE, retrainCheck } from "./demo/retrain-check.js";
import type { DemoReport } from "./demo/run-demo.js";

const retrain = (warnings: string[]): RetrainReport => ({
  from: "1",
  version: "2",
  rows: 12,
  classify: { examples: 4, types: ["auto"], newTypes: [], temperature: 1, heldOutLogLoss: null },
  extract: { examples: 3, dottedDates: null, decimalComma: null },
  recalibrated: [],
  warnings,
});

const report = (warnings: string[]): DemoReport => ({
  days: [
    {
      day: 1,
      date: "2026-11-17",
      version: "1",
      shift: 0,
      runs: 10,
      escalatedRuns: 4,
      escalationRate: 0.4,
      completed: 6,
      decisions: 5,
      corrections: 2,
      spotChecks: 1,
      tightened: [],
    },
  ],
  before: { version: "1", runs: 10, escalationRate: 0.4 },
  after: { version: "2", runs: 10, escalationRate: 0.3 },
  thresholdChanges: [],
  export: { rows: 12, file: "/tmp/corrections.jsonl", audited: true },
  retrain: retrain(warnings),
  modelFile: "/tmp/claims-model-v2.json",
  store: "file:/tmp/seamtrace.db",
});

const table = (rows: Array<Record<string, string>>) => rows.map((r) => Object.values(r).join(" ")).join("\n");

describe("the demo's printout", () => {
  it("prints every warning the retrain gave, after the model it fitted", () => {
    const text = formatReport(report(["the export holds no accepted outputs (12 rows: 12 corrections, 0 rejections), so …"]), 1000, table);
    const lines = text.split("\n");
    const model = lines.findIndex((l) => l.startsWith("Model v2:"));
    expect(lines[model + 1]).toBe("Retrain warning: the export holds no accepted outputs (12 rows: 12 corrections, 0 rejections), so …");
  });

  it("prints no warning line when the retrain had none", () => {
    expect(formatReport(report([]), 1000, table)).not.toMatch(/warning/i);
  });
});

describe("the demo's check that the retrained version escalates less", () => {
  const v = (version: string, runs: number, escalationRate: number) => ({ version, runs, escalationRate });

  it("is not judged on samples too small to tell a retrain from chance, and says so", () => {
    // What CI saw with 3 days of 10 claims: one day of 10 runs a version, 7 escalated on each.
    const tie = retrainCheck(v("1", 10, 0.7), v("2", 10, 0.7));
    expect(tie.status).toBe("skipped");
    expect(tie.message).toBe(
      `not judged (v1 70.0% of 10 runs → v2 70.0% of 10): the check that the retrained version escalates less needs ${MIN_RUNS_TO_JUDGE} runs of each version to tell the retrain from chance; more --runs-per-day or --days give it that`,
    );
    expect(retrainCheck(v("1", MIN_RUNS_TO_JUDGE, 0.7), v("2", MIN_RUNS_TO_JUDGE - 1, 0.9)).status).toBe("skipped");
    expect(retrainCheck(v("1", MIN_RUNS_TO_JUDGE - 1, 0.7), v("2", 300, 0.9)).status).toBe("skipped");
  });

  it("fails a retrain that did not lower the rate once both versions have enough runs", () => {
    expect(retrainCheck(v("1", 150, 0.793), v("2", 300, 0.497))).toEqual({
      status: "passed",
      message: "the retrained version escalates less (v1 79.3% of 150 runs → v2 49.7% of 300)",
    });
    expect(retrainCheck(v("1", MIN_RUNS_TO_JUDGE, 0.7), v("2", MIN_RUNS_TO_JUDGE, 0.7))).toEqual({
      status: "failed",
      message: "the retrained version did not escalate less (v1 70.0% of 100 runs → v2 70.0% of 100)",
    });
  });

  it("is said under the table", () => {
    expect(formatReport(report([]), 1000, table)).toContain("\nCheck: not judged (v1 40.0% of 10 runs → v2 30.0% of 10)");
  });
});
