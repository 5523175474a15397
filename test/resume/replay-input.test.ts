import { describe, expect, it } from "vitest";
import { harness } from "./harness.js";

describe("run.started on a replay", () => {
  it("keeps the run's recorded input (the one the replayed steps were computed from)", async () => {
    const h = await harness();
    const st = h.client();
    const wf = st.workflow("inp", { policy: { minConfidence: 0.8 } });
    const seen: unknown[] = [];
    const pipeline = async (run: any) => {
      seen.push(run.input);
      const a = await run.step("a", { input: run.input }, async () => ({ value: `from:${run.input}`, confidence: 0.5 }));
      return a.value;
    };
    const first = await wf.run({ key: "m-1", input: "original email" }, pipeline);
    await st.flush();
    await h.resolve(first.escalation!.id, "accept");
    // The message is redelivered (same key) with a different payload, e.g. re-serialised.
    const second = await wf.run({ key: "m-1", input: "redelivered payload" }, pipeline);
    await st.flush();
    const stored = (await h.state(first.runId)).run.input;
    console.log("run.input seen by user code:", seen, "| output:", second.output, "| run input stored on the server now:", stored);
    await st.shutdown();
    expect(stored).toBe("original email");
  });
});
