import { describe, expect, it } from "vitest";
import { formOf, policyBodyOf, precedenceNotes } from "./policy-form.js";
import type { ServedPolicy } from "./types.js";

const policy: ServedPolicy = { workflow: "w", step: "classify", minConfidence: 0.6, onLow: "escalate", revision: 2, updatedAt: "2026-01-01T00:00:00Z" };

describe("policy form", () => {
  it("round-trips a policy into the form and sends nothing unchanged", () => {
    const form = { ...formOf(policy), reason: "why" };
    expect(form.minConfidence).toBe("0.6");
    expect(form.spotCheckRate).toBe("");
    expect(policyBodyOf(form, policy)).toEqual({ body: null, problems: ["Nothing changed."] });
  });

  it("sends only the changed fields, a cleared one as null, with the reason", () => {
    const form = { ...formOf(policy), minConfidence: "0.72", onLow: "" as const, spotCheckRate: "0.05", reason: " raise it " };
    expect(policyBodyOf(form, policy)).toEqual({ body: { minConfidence: 0.72, spotCheckRate: 0.05, onLow: null, reason: "raise it" }, problems: [] });
  });

  it("refuses fractions outside [0, 1], a floor above the ceiling, and a missing reason", () => {
    const form = { ...formOf(null), minConfidence: "1.5", tightenMin: "0.9", tightenMax: "0.8" };
    const { body, problems } = policyBodyOf(form, null);
    expect(body).toBeNull();
    expect(problems).toEqual([
      "Min confidence must be a number from 0 to 1.",
      "The tighten floor must not be above the ceiling.",
      "Say why, for the policy history.",
    ]);
    expect(policyBodyOf({ ...formOf(null), minConfidence: "abc", reason: "x" }, null).problems).toEqual(["Min confidence must be a number from 0 to 1."]);
  });

  it("sends requireConfidence as true, false or null (cleared), and only when it changed", () => {
    expect(formOf({ ...policy, requireConfidence: true }).requireConfidence).toBe("yes");
    expect(policyBodyOf({ ...formOf(policy), requireConfidence: "yes", reason: "score every step" }, policy).body).toEqual({
      requireConfidence: true,
      reason: "score every step",
    });
    const requiring = { ...policy, requireConfidence: true };
    expect(policyBodyOf({ ...formOf(requiring), requireConfidence: "no", reason: "x" }, requiring).body).toEqual({ requireConfidence: false, reason: "x" });
    expect(policyBodyOf({ ...formOf(requiring), requireConfidence: "", reason: "x" }, requiring).body).toEqual({ requireConfidence: null, reason: "x" });
  });

  it("creates a policy from the fields that are set", () => {
    expect(policyBodyOf({ ...formOf(null), minConfidence: "0.7", onLow: "flag", reason: "new" }, null).body).toEqual({
      minConfidence: 0.7,
      onLow: "flag",
      reason: "new",
    });
  });

  it("says when a step's own min confidence wins over the workflow's being edited", () => {
    const wf: ServedPolicy = { workflow: "w", step: null, minConfidence: 0.5, revision: 1, updatedAt: "2026-01-01T00:00:00Z" };
    const all = [wf, policy, { ...policy, step: "extract", minConfidence: 0.9 }, { ...policy, workflow: "other", step: "x" }];
    const notes = precedenceNotes(all, "w", null, { ...formOf(wf), minConfidence: "0.7" });
    expect(notes[0]).toBe("Min confidence: steps classify (0.6), extract (0.9) set their own, which win; this value applies to the other steps only.");
    expect(notes.at(-1)).toMatch(/step's over its workflow's, field by field/);
    // Editing the step: its own value wins; cleared, it follows the workflow's.
    expect(precedenceNotes(all, "w", "classify", formOf(policy))).toEqual(["Min confidence 0.6 here wins over the workflow's 0.5 for classify."]);
    expect(precedenceNotes(all, "w", "classify", { ...formOf(policy), minConfidence: "" })).toEqual([
      "Min confidence is unset here, so classify follows the workflow's 0.5.",
    ]);
    // Nothing to say where no step sets its own.
    expect(precedenceNotes([wf], "w", null, formOf(wf))).toEqual([
      "A server policy wins over the thresholds in code, a step's over its workflow's, field by field.",
    ]);
  });
});
