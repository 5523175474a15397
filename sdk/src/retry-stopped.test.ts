import { describe, expect, it } from "vitest";
import { Seamtrace } from "./client.js";
import { MemorySink } from "./memory.js";
import type { StepEvent } from "./types.js";

describe("a retrying step whose run a parallel step stops", () => {
  it("records its failure with the attempts made instead of leaving no event", async () => {
    const sink = new MemorySink();
    const st = new Seamtrace({ sink });
    const wf = st.workflow("w", { policy: { minConfidence: 0.5, onLow: "escalate" } });
    let calls = 0;
    const r = await wf.run({}, async (run) => {
      await Promise.all([
        run.step("flaky", { retry: { attempts: 3, backoffMs: 20 } }, () => {
          calls++;
          throw new Error("model down");
        }),
        run.step("judge", () => ({ value: "unsure", confidence: 0.1 })),
      ]);
    });
    expect(r.status).toBe("escalated");
    // The escalation stopped the run before the first backoff ended: no second attempt.
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls).toBe(1);
    const failed = sink.events({ runId: r.runId }).filter((e): e is StepEvent => e.type === "step.failed");
    expect(failed.map((e) => [e.step, e.attempt, e.error?.message])).toEqual([["flaky", 1, "model down"]]);
  });
});
