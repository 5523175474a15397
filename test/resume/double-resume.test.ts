import { describe, expect, it } from "vitest";
import { harness } from "./harness.js";

describe("a reviewed run is resumed at most once", () => {
  it("a second worker asking while the first is still resuming gets duplicate, and runs no user code", async () => {
    const h = await harness();
    const calls: Record<string, number> = {};
    const count = (n: string) => (calls[n] = (calls[n] ?? 0) + 1);
    const pipeline = async (run: any) => {
      const a = await run.step("extract", async () => (count("extract"), { value: 1, confidence: 0.95 }));
      const b = await run.step("classify", { from: [a] }, async () => (count("classify"), { value: "storm", confidence: 0.4 }));
      const c = await run.step("pay", { from: [b] }, async () => {
        count("pay");
        await new Promise((r) => setTimeout(r, 1500));
        return { value: `paid:${b.value}` };
      });
      return c.value;
    };
    const stA = h.client({ transport: { flushIntervalMs: 100 } });
    const stB = h.client();
    const wfA = stA.workflow("pay", { policy: { minConfidence: 0.6 } });
    const wfB = stB.workflow("pay", { policy: { minConfidence: 0.6 } });
    const first = await wfA.run({ key: "p1" }, pipeline);
    await stA.flush();
    await h.resolve(first.escalation!.id, "correct", "flood");
    const resumingA = wfA.resume(first.runId, pipeline); // worker A wins the claim; "pay" takes 1.5 s
    await new Promise((r) => setTimeout(r, 500)); // A's run.started has been flushed meanwhile
    const rB = await wfB.resume(first.runId, pipeline); // e.g. worker B's onResolved saw the same review
    const rA = await resumingA;
    console.log("A:", rA.status, "B:", rB.status, "calls:", calls);
    await Promise.all([stA.shutdown(), stB.shutdown()]);
    expect(rB.status).toBe("duplicate");
    expect(calls.pay).toBe(1);
  });
});
