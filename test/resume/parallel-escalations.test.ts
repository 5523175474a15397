import type { Run } from "@seamtrace/sdk";
import { describe, expect, it } from "vitest";
import { harness } from "./harness.js";

describe("two parallel steps that both fail their gate", () => {
  it("open one review item; the other unreviewed output is re-run on resume, never handed on", async () => {
    const h = await harness();
    const st = h.client();
    const wf = st.workflow("par", { policy: { minConfidence: 0.8, onLow: "escalate" } });
    const calls: string[] = [];
    const seenByC: unknown[] = [];
    const pipeline = async (run: Run) => {
      const [a, b] = await Promise.all([
        run.step("a", async () => (calls.push("a"), { value: "a-model", confidence: 0.3 })),
        run.step("b", async () => {
          calls.push("b");
          await new Promise((r) => setTimeout(r, 20));
          return { value: "b-model", confidence: 0.3 };
        }),
      ]);
      const c = await run.step(
        "c",
        { from: [a, b] },
        async () => (calls.push("c"), seenByC.push([a.value, b.value]), { value: `${a.value}+${b.value}`, confidence: 1 }),
      );
      return c.value;
    };
    const first = await wf.run({ key: "k1" }, pipeline);
    expect(first).toMatchObject({ status: "escalated", escalation: { step: "a" } });
    await new Promise((r) => setTimeout(r, 50)); // b, already in flight, finishes after run() returned
    await st.flush();
    // One stop, one review item: b's failed gate is recorded but opens no second blocking item.
    expect((await h.escalationsOf(first.runId)).filter((e) => e.blocking)).toHaveLength(1);

    await h.resolve(first.escalation!.id, "correct", "a-HUMAN");
    const second = await wf.run({ key: "k1" }, pipeline);
    // a comes from the reviewer; b's unreviewed output is not replayed: b runs again and, still
    // unsure, escalates on its own. c has not run on anything unreviewed.
    expect(second).toMatchObject({ status: "escalated", escalation: { step: "b" } });
    expect(calls).toEqual(["a", "b", "b"]);
    expect(seenByC).toEqual([]);
    await st.flush();

    await h.resolve(second.escalation!.id, "accept");
    const third = await wf.run({ key: "k1" }, pipeline);
    expect(third).toMatchObject({ status: "completed", output: "a-HUMAN+b-model" });
    expect(seenByC).toEqual([["a-HUMAN", "b-model"]]);
    await st.shutdown();
  });
});
