import type { RetrainReport } from "@seamtrace/example-claims";
import { describe, expect, it } from "vitest";
import { formatReport } from "./demo.js";
import type { DemoReport } from "./demo/run-demo.js";

const retrain = (warnings: string[]): RetrainReport => ({
  from: "1", version: "2", rows: 12,
  classify: { examples: 4, types: ["auto"], newTypes: [], temperature: 1, heldOutLogLoss: null },
  extract: { examples: 3, dottedDates: null, decimalComma: null },
  recalibrated: [],
  warnings,
});

const report = (warnings: string[]): DemoReport => ({
  days: [{ day: 1, date: "2026-11-17", version: "1", shift: 0, runs: 10, escalatedRuns: 4, escalationRate: 0.4, completed: 6, decisions: 5, corrections: 2, spotChecks: 1, tightened: [] }],
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
