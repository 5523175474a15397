import { describe, expect, it } from "vitest";
import { codePolicyOnly, evaluateGate, failedGates, gateOutcome, mergeRules, ruleIsActive } from "./gate.js";
import type { PolicyRule } from "./types.js";

const facts = (confidence: number, cumulative = confidence, stale = false) => ({ confidence, cumulative, stale });

describe("failedGates", () => {
  it("returns undefined, not an empty array, when every check holds", () => {
    expect(failedGates({ minConfidence: 0.8, minCumulative: 0.5 }, facts(0.9, 0.6), false)).toBeUndefined();
    expect(failedGates({}, facts(0), false)).toBeUndefined(); // no thresholds: nothing to fail
  });

  it("lets a value exactly at the threshold pass", () => {
    expect(failedGates({ minConfidence: 0.8, minCumulative: 0.5 }, facts(0.8, 0.5), false)).toBeUndefined();
  });

  it("lists every failing kind in evaluation order: contract, confidence, cumulative, stale", () => {
    expect(failedGates({ minConfidence: 0.8, minCumulative: 0.5 }, facts(0.7, 0.4, true), true)).toEqual(["contract", "confidence", "cumulative", "stale"]);
    expect(failedGates({ minConfidence: 0.8, minCumulative: 0.5 }, facts(0.9, 0.4), false)).toEqual(["cumulative"]);
    expect(failedGates({}, facts(1, 1, true), false)).toEqual(["stale"]);
  });
});

describe("gateOutcome", () => {
  it("escalates by default and flags only when onLow is flag", () => {
    expect(gateOutcome({}, ["confidence"])).toBe("escalate");
    expect(gateOutcome({ onLow: "escalate" }, ["cumulative"])).toBe("escalate");
    expect(gateOutcome({ onLow: "flag" }, ["cumulative", "stale"])).toBe("flag");
    expect(gateOutcome({ onLow: "flag" }, undefined)).toBe("pass");
  });

  it("always escalates a contract violation, even on a flag path", () => {
    expect(gateOutcome({ onLow: "flag" }, ["contract"])).toBe("escalate");
    expect(gateOutcome({ onLow: "flag" }, ["contract", "confidence"])).toBe("escalate");
  });
});

describe("evaluateGate", () => {
  it("records the thresholds in force and the contract issues", () => {
    const issues = [{ message: "expected number", path: ["amount"] }];
    expect(JSON.parse(JSON.stringify(evaluateGate({ minConfidence: 0.8, minCumulative: 0.6, onLow: "flag" }, facts(0.7, 0.7), issues)))).toEqual({
      outcome: "escalate",
      kinds: ["contract", "confidence"],
      minConfidence: 0.8,
      minCumulative: 0.6,
      issues,
    });
  });

  it("passes with an empty kinds list and no thresholds it was not given", () => {
    expect(JSON.parse(JSON.stringify(evaluateGate({ spotCheckRate: 0.1 }, facts(0.2))))).toEqual({ outcome: "pass", kinds: [] });
  });
});

describe("the policy in code", () => {
  it("takes the step's rule over the workflow's, field by field", () => {
    const workflow: PolicyRule = { minConfidence: 0.8, minCumulative: 0.6, onLow: "escalate" };
    const step: PolicyRule = { minConfidence: 0.5, onLow: undefined, spotCheckRate: 0.1 };
    expect(codePolicyOnly.ruleFor("wf", "s", workflow, step)).toEqual({ minConfidence: 0.5, minCumulative: 0.6, onLow: "escalate", spotCheckRate: 0.1 });
    expect(mergeRules(workflow, {})).toEqual(workflow);
  });

  it("hands back the one rule it was given without copying it", () => {
    const rule: PolicyRule = { minConfidence: 0.8 };
    expect(codePolicyOnly.ruleFor("wf", "s", rule)).toBe(rule);
    expect(codePolicyOnly.ruleFor("wf", "s", undefined, rule)).toBe(rule);
    expect(codePolicyOnly.ruleFor("wf", "s")).toEqual({});
    expect(ruleIsActive(codePolicyOnly.ruleFor("wf", "s"))).toBe(false);
  });

  it("counts a rule as active when it sets a threshold or a spot-check rate, not onLow alone", () => {
    expect(ruleIsActive({ onLow: "flag" })).toBe(false);
    expect(ruleIsActive({ minConfidence: 0 })).toBe(true);
    expect(ruleIsActive({ minCumulative: 0.1 })).toBe(true);
    expect(ruleIsActive({ spotCheckRate: 0 })).toBe(true);
  });
});
