import type { Seamtrace } from "@seamtrace/sdk";
import { describe, expect, it } from "vitest";
import { chaosRun, formatChaosTable } from "./chaos.js";
import type { GoldenWorkflowModule } from "./executor.js";

/**
 * Two parallel steps, as the claims workflow's classify ∥ match-policy: `lookup` (called first)
 * has a time limit; `judge` escalates at once, so `run()` resolves while `lookup` still runs.
 * A hang injected into `lookup` is cut by its timeout only afterwards.
 */
function parallel(retry?: { attempts: number; backoffMs: number }): GoldenWorkflowModule {
  return {
    createGoldenWorkflow(st: Seamtrace) {
      const wf = st.workflow("parallel", { policy: { minConfidence: 0.5, onLow: "escalate" } });
      return {
        run: (input) =>
          wf.run({ input }, async (run) => {
            const [a] = await Promise.all([
              run.step("lookup", { timeoutMs: 40, ...(retry && { retry }) }, () => ({ value: input, confidence: 0.9 })),
              run.step("judge", () => ({ value: "unsure", confidence: 0.1 })),
            ]);
            return a.value;
          }),
      };
    },
  };
}

describe("chaos with a step still running when its run ends", () => {
  it("waits for the step's own outcome instead of reporting that no event was recorded", async () => {
    // rate 1: the first step call of every run (lookup) gets the fault.
    const report = await chaosRun(parallel(), { seed: 7, inputs: [1, 2, 3], rate: 1, kinds: ["timeout"], concurrency: 1 });
    expect(
      report.faults.map((f) => [f.step, f.kind, f.outcome]),
      formatChaosTable(report),
    ).toEqual([
      ["lookup", "timeout", "failed"],
      ["lookup", "timeout", "failed"],
      ["lookup", "timeout", "failed"],
    ]);
    expect(report.faults[0]!.explanation).toBe('step "lookup" failed gracefully (StepTimeoutError after 1 attempt); the run had already stopped (escalated)');
    expect(report.failed).toBe(false);
  });

  it("accounts for a step whose retries were cut short because a parallel step stopped the run", async () => {
    const report = await chaosRun(parallel({ attempts: 3, backoffMs: 30 }), { seed: 7, inputs: [1], rate: 1, kinds: ["throw"] });
    expect(
      report.faults.map((f) => [f.step, f.kind, f.outcome]),
      formatChaosTable(report),
    ).toEqual([["lookup", "throw", "failed"]]);
    expect(report.failed).toBe(false);
  });
});
