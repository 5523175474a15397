import { describe, expect, it } from "vitest";
import { alertText } from "./alerts.js";
import type { AlertView } from "./types.js";

const base: AlertView = {
  id: "a1",
  ruleId: "builtin:drift",
  metric: "drift.level",
  workflow: "claims",
  version: "1",
  step: "extract",
  status: "firing",
  value: 2,
  lastValue: 2,
  threshold: 2,
  op: ">=",
  cause: null,
  message: null,
  firedAt: "2026-01-01T00:00:00Z",
  resolvedAt: null,
};

describe("alerts in words", () => {
  it("says which feature drifted and by how much against the cut-off", () => {
    const a = { ...base, cause: { series: "f:amount", test: "ks" as const, psi: 0.3123, pvalue: 0.2, level: "alert", psiAlert: 0.25, pAlert: 0.01 } };
    expect(alertText(a)).toBe("drift on extract · amount: PSI 0.312 ≥ 0.25");
  });

  it("names the test's p-value when it, not PSI, crossed its cut-off", () => {
    const a = { ...base, cause: { series: "f:channel", test: "chi-square" as const, psi: 0.1, pvalue: 0.00002, level: "alert", psiAlert: 0.25, pAlert: 0.01 } };
    expect(alertText(a)).toBe("drift on extract · channel: χ² p = 2.0e-5 < 0.01");
  });

  it("words a stored rule with its metric's name and comparison, on the workflow when it has no step", () => {
    const a = { ...base, ruleId: "r1", metric: "escalation.rate", step: null, value: 0.2, lastValue: 0.31, threshold: 0.1, op: ">" as const };
    expect(alertText(a)).toBe("escalation rate on claims: 0.31 > 0.1");
    expect(alertText({ ...a, metric: "calibration.ece", op: ">=" })).toBe("ECE on claims: 0.31 ≥ 0.1");
  });

  it("falls back to the drift level when the drift job's details are gone", () => {
    expect(alertText(base)).toBe("drift level on extract: 2 ≥ 2");
  });
});
