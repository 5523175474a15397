import { describe, expect, it } from "vitest";
import { driftVerdicts, verdictQuery } from "./drift-verdicts.js";
import type { MetricView } from "./types.js";

const verdict = (at: string, step: string | null, level: string, tests: Array<[string, string, number | null]>, version = "1"): MetricView => ({
  metric: "drift.level",
  workflow: "claims",
  version,
  step,
  at,
  value: level === "alert" ? 2 : level === "watch" ? 1 : 0,
  details: { level, tests: tests.map(([series, l, psi]) => ({ series, level: l, psi })) },
});

describe("the drift job's verdicts", () => {
  it("lists those that found drift, newest first, with the flagged features most drifted first", () => {
    const { rows, judged } = driftVerdicts([
      verdict("2026-12-02T19:00:00.000Z", "extract", "alert", [
        ["confidence", "ok", 0.02],
        ["f:hasDate", "watch", 0.3],
        ["f:amount", "alert", 0.31],
        ["f:hasAmount", "alert", 0.5],
      ]),
      verdict("2026-12-02T19:00:00.000Z", "match-policy", "ok", [["f:method", "ok", 0.05]]),
      verdict("2026-12-03T19:00:00.000Z", "route", "watch", [["f:route", "watch", 0.2]]),
      verdict("2026-12-03T19:00:00.000Z", "classify", "alert", [["confidence", "alert", 0.42]]),
      verdict("2026-12-04T19:00:00.000Z", null, "insufficient", []),
    ]);
    expect(judged).toBe(5);
    expect(rows.map((r) => [r.at.slice(5, 10), r.step, r.level, r.flagged.map((f) => f.series)])).toEqual([
      ["12-03", "classify", "alert", ["confidence"]],
      ["12-03", "route", "watch", ["f:route"]],
      ["12-02", "extract", "alert", ["f:hasAmount", "f:amount", "f:hasDate"]],
    ]);
  });

  it("keeps one row per series and UTC day: its most severe verdict, the newest of equals", () => {
    const { rows, judged } = driftVerdicts([
      verdict("2026-12-02T09:00:00.000Z", "extract", "watch", [["f:amount", "watch", 0.2]]),
      verdict("2026-12-02T10:00:00.000Z", "extract", "alert", [["f:amount", "alert", 0.3]]),
      verdict("2026-12-02T11:00:00.000Z", "extract", "alert", [["f:amount", "alert", 0.31]]),
      verdict("2026-12-02T12:00:00.000Z", "extract", "watch", [["f:amount", "watch", 0.2]]),
      verdict("2026-12-02T12:00:00.000Z", "extract", "watch", [["f:amount", "watch", 0.2]], "2"),
      verdict("2026-12-03T00:00:00.000Z", "extract", "watch", [["f:amount", "watch", 0.15]]),
    ]);
    expect(judged).toBe(6);
    expect(rows.map((r) => [r.at, r.version, r.level])).toEqual([
      ["2026-12-03T00:00:00.000Z", "1", "watch"],
      ["2026-12-02T12:00:00.000Z", "2", "watch"],
      ["2026-12-02T11:00:00.000Z", "1", "alert"],
    ]);
  });

  it("links a verdict to its window, series and most drifted feature", () => {
    const row = driftVerdicts([verdict("2026-12-02T19:00:00.000Z", "reserve", "alert", [["f:reserve", "alert", 0.4]])]).rows[0]!;
    expect(verdictQuery("claims", row)).toEqual({ workflow: "claims", version: "1", step: "reserve", to: "2026-12-02T19:00:00.000Z", feature: "f:reserve" });
    const whole = driftVerdicts([verdict("2026-12-02T19:00:00.000Z", null, "watch", [["confidence", "watch", 0.2]], "2")]).rows[0]!;
    expect(verdictQuery("claims", whole)).toEqual({ workflow: "claims", version: "2", to: "2026-12-02T19:00:00.000Z", feature: "confidence" });
  });
});
