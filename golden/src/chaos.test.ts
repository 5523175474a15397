import * as claims from "@seamtrace/example-claims/golden";
import type { Policy, Seamtrace } from "@seamtrace/sdk";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { chaosRun, FAULT_KINDS, formatChaosTable, type ChaosReport } from "./chaos.js";
import type { GoldenWorkflowModule } from "./executor.js";

/**
 * parse → total → label, each step guarded as a careful workflow is: a contract, a policy and a
 * time limit on every step.
 */
function guarded(policy: Policy = { minConfidence: 0.5, onLow: "escalate" }): GoldenWorkflowModule {
  return {
    createGoldenWorkflow(st: Seamtrace) {
      const wf = st.workflow("guarded", { policy });
      return {
        run: (input) =>
          wf.run({ input }, async (run) => {
            const n = input as number;
            const p = await run.step("parse", { schema: z.object({ amount: z.number() }), timeoutMs: 50 }, () => ({ value: { amount: n }, confidence: 0.9 }));
            const t = await run.step("total", { from: [p], schema: z.number(), timeoutMs: 50 }, () => ({ value: p.value.amount * 2, confidence: 0.9 }));
            const l = await run.step("label", { from: [t], schema: z.enum(["big", "small"]), timeoutMs: 50 }, () => ({
              value: t.value > 10 ? "big" : "small",
              confidence: 0.9,
            }));
            return l.value;
          }),
      };
    },
  };
}

/**
 * The negative case: `parse` has no contract and no gate, and `total` swallows whatever it gets —
 * a bad amount becomes a default 0, handed on with confidence 0.99.
 */
const swallowing: GoldenWorkflowModule = {
  createGoldenWorkflow(st: Seamtrace) {
    const wf = st.workflow("swallowing");
    return {
      run: (input) =>
        wf.run({ input }, async (run) => {
          const p = await run.step("parse", () => ({ value: { amount: input as number }, confidence: 0.9 }));
          const amount = (p.value as { amount?: unknown } | null)?.amount;
          const t = await run.step("total", { from: [p] }, () => ({ value: typeof amount === "number" ? amount * 2 : 0, confidence: 0.99 }));
          return t.value;
        }),
    };
  },
};

const inputs = Array.from({ length: 10 }, (_, i) => i + 1);
const injections = (r: ChaosReport) => r.faults.map((f) => `${f.run}:${f.step}#${f.call}:${f.kind}:${f.detail}`);

describe("chaos", () => {
  it("accounts for every fault injected into the claims workflow (seeds 1 and 2)", async () => {
    for (const seed of [1, 2]) {
      const report = await chaosRun(claims, { seed, inputs: claims.sampleInputs(40, seed) });
      const unaccounted = report.faults.filter((f) => !f.accounted);
      expect(unaccounted, formatChaosTable(report)).toEqual([]);
      expect(report.failed).toBe(false);
      expect(new Set(report.faults.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
      // Contracts and gates stop low confidence and malformed outputs; errors and hangs fail the run.
      for (const f of report.faults) expect(f.outcome).toBe(f.kind === "throw" || f.kind === "timeout" ? "failed" : "escalated");
      expect(report.faults.length + report.runsWithoutFault).toBe(40);
    }
  });

  it("injects the same faults for the same seed, whatever the concurrency, and others for another seed", async () => {
    const a = await chaosRun(guarded(), { seed: 42, inputs, runs: 30, concurrency: 8 });
    const b = await chaosRun(guarded(), { seed: 42, inputs, runs: 30, concurrency: 3 });
    const c = await chaosRun(guarded(), { seed: 43, inputs, runs: 30 });
    expect(injections(a).length).toBeGreaterThan(5);
    expect(injections(b)).toEqual(injections(a));
    expect(injections(c)).not.toEqual(injections(a));
    expect(a.failed).toBe(false);
  });

  it("fails (and names the step reached) when a step swallows a fault and passes a default on with high confidence", async () => {
    const report = await chaosRun(swallowing, { seed: 3, inputs, runs: 30, kinds: ["malformed", "low-confidence"] });
    expect(report.failed).toBe(true);
    const leaks = report.faults.filter((f) => f.outcome === "leaked");
    expect(leaks.length).toBeGreaterThan(0);
    const atParse = leaks.find((f) => f.step === "parse")!;
    expect(atParse.reached).toEqual(["total"]);
    expect(atParse.explanation).toMatch(/reached total unflagged \(it had no gate/);
    // A fault in the last step goes straight into the run's result.
    expect(leaks.find((f) => f.step === "total")?.reached).toEqual(["(run result)"]);
    expect(formatChaosTable(report)).toMatch(/✗ leaked/);
  });

  it("reports a hang in a step without a time limit as a hang, not as a graceful failure", async () => {
    const report = await chaosRun(swallowing, { seed: 5, inputs, runs: 12, kinds: ["timeout"], hangMs: 30 });
    expect(report.faults.length).toBeGreaterThan(0);
    expect(report.faults.every((f) => f.outcome === "hung" && !f.accounted)).toBe(true);
    expect(report.faults[0]!.explanation).toMatch(/has no timeoutMs/);
    expect(report.failed).toBe(true);
  });

  it("counts a thrown error as a graceful failure even without any gate: the SDK stops the run and records it", async () => {
    const report = await chaosRun(swallowing, { seed: 5, inputs, runs: 12, kinds: ["throw"] });
    expect(report.faults.length).toBeGreaterThan(0);
    expect(report.faults.every((f) => f.outcome === "failed" && f.accounted)).toBe(true);
    expect(report.failed).toBe(false);
  });

  it("counts workflow code that throws on a malformed value between steps as a graceful failure", async () => {
    const fragile: GoldenWorkflowModule = {
      createGoldenWorkflow(st: Seamtrace) {
        const wf = st.workflow("fragile");
        return {
          run: (input) =>
            wf.run({ input }, async (run) => {
              const p = await run.step("parse", () => ({ value: { amount: input as number }, confidence: 0.9 }));
              const text = p.value.amount.toFixed(2); // throws on a malformed value, outside any step
              return (await run.step("total", { from: [p], input: text }, () => ({ value: Number(text) * 2 }))).value;
            }),
        };
      },
    };
    const report = await chaosRun(fragile, { seed: 1, inputs, runs: 20, kinds: ["malformed"] });
    const atParse = report.faults.filter((f) => f.step === "parse");
    expect(atParse.length).toBeGreaterThan(0);
    for (const f of atParse)
      expect([f.outcome, f.accounted, f.explanation]).toEqual(["failed", true, expect.stringMatching(/between steps threw .*TypeError/)]);
  });

  it("accepts low confidence passed on flagged, when every downstream output carries the flag", async () => {
    const report = await chaosRun(guarded({ minConfidence: 0.5, onLow: "flag" }), { seed: 9, inputs, runs: 30, kinds: ["low-confidence"] });
    expect(report.faults.length).toBeGreaterThan(3);
    expect(report.faults.every((f) => f.outcome === "flagged" && f.accounted)).toBe(true);
  });
});
