import type { SeamtraceEvent } from "@seamtrace/sdk";
import { describe, expect, it } from "vitest";
import { executeGoldenSet, trialPassed, type GoldenWorkflowModule, type TrialResult } from "./executor.js";

/** `double` then `label`; "odd" for every third input, which its case does not expect. */
const mod: GoldenWorkflowModule = {
  createGoldenWorkflow: (st) => {
    const wf = st.workflow("on-run");
    return {
      run: (input) =>
        wf.run({ input }, async (run) => {
          const n = input as number;
          const d = await run.step("double", () => ({ value: n * 2, confidence: 0.9 }));
          return (await run.step("label", { from: [d] }, () => ({ value: n % 3 === 0 ? "odd" : "even", confidence: 0.9 }))).value;
        }),
    };
  },
};
const cases = [1, 2, 3].map((n) => ({ id: `n${n}`, input: n, expected: { double: n * 2, label: "even" } }));

describe("executeGoldenSet's onRun hook", () => {
  it("gets every run (each trial) with its outcome and the events it recorded", async () => {
    const seen: Array<{ id: string; passed: boolean; runId: string | undefined; events: readonly SeamtraceEvent[] }> = [];
    const results = await executeGoldenSet(cases, mod, {
      trials: 2,
      onRun: (c, run, events) => void seen.push({ id: c.id, passed: trialPassed(run), runId: run.runId, events }),
    });
    expect(seen.map((s) => s.id).sort()).toEqual(["n1", "n1", "n2", "n2", "n3", "n3"]);
    expect(seen.filter((s) => !s.passed).map((s) => s.id)).toEqual(["n3", "n3"]);
    for (const s of seen) {
      // The run's own events, all of them: the run's start and end and both steps.
      expect(new Set(s.events.map((e) => ("runId" in e ? e.runId : null)))).toEqual(new Set([s.runId]));
      expect(s.events.map((e) => e.type).sort()).toEqual(["run.completed", "run.started", "step.completed", "step.completed"]);
    }
    // The runs it was handed are the runs the results report.
    expect(results.flatMap((r) => r.trials!.map((t) => t.runId)).sort()).toEqual(seen.map((s) => s.runId).sort());
  });

  it("holds a case's next run until the promise it returned settles (backpressure for a sender)", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const calls: TrialResult[] = [];
    const running = executeGoldenSet([cases[0]!], mod, {
      trials: 2,
      onRun: (_c, run) => {
        calls.push(run);
        return calls.length === 1 ? gate : undefined;
      },
    });
    // However long the first call is held, the second trial does not start.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(1);
    release();
    const [result] = await running;
    expect(calls).toHaveLength(2);
    expect(result!.trials!.map((t) => t.runId)).toEqual(calls.map((c) => c.runId));
  });
});
