import { describe, expect, it } from "vitest";
import { harness } from "./harness.js";

describe("replay of a step name called several times in parallel", () => {
  it("hands each call back its own recorded output", async () => {
    const h = await harness();
    const st = h.client();
    const wf = st.workflow("fan", { policy: { minConfidence: 0.8, onLow: "escalate" } });
    const items = ["slow-item", "fast-item"];
    const pipeline = async (run: import("@seamtrace/sdk").Run) => {
      const outs = await Promise.all(
        items.map((item, i) =>
          run.step("classify", { input: item }, async () => {
            await new Promise((r) => setTimeout(r, i === 0 ? 30 : 1)); // item 0 finishes last
            return { value: `label-of-${item}`, confidence: 0.95 };
          }),
        ),
      );
      const pairs = items.map((item, i) => `${item}=>${outs[i]!.value}`);
      await run.step("check", async () => ({ value: pairs, confidence: 0.1 })); // escalates
      return pairs;
    };
    const first = await wf.run({ key: "fan-1" }, pipeline);
    expect(first.status).toBe("escalated");
    await st.flush();
    await h.resolve(first.escalation!.id, "accept");
    const second = await wf.run({ key: "fan-1" }, pipeline);
    console.log("first run pairs:", ["slow-item=>label-of-slow-item", "fast-item=>label-of-fast-item"], "\nreplayed pairs:", second.output);
    await st.shutdown();
    // Each record carries the call it answered, whatever order the calls finished in.
    const state = await h.state(first.runId);
    const byCall = Object.fromEntries(
      state.steps.filter((s: { name: string }) => s.name === "classify").map((s: { call: number; output: string }) => [s.call, s.output]),
    );
    expect(byCall).toEqual({ 0: "label-of-slow-item", 1: "label-of-fast-item" });
    expect(second.output).toEqual(["slow-item=>label-of-slow-item", "fast-item=>label-of-fast-item"]);
  });
});
