import type { Run } from "@seamtrace/sdk";
import { describe, expect, it } from "vitest";
import { harness } from "./harness.js";

/**
 * Two workers whose clocks disagree by 10 s take turns on one run: A (5 s fast) starts it and it
 * pauses; B (5 s slow) resumes it and it pauses again, at a later step but an earlier time than
 * A's pause; A resumes it to the end. The run must follow what happened, not the timestamps.
 */
describe("workers whose clocks differ by ±5 s resume one run in turn", () => {
  it("leaves the run paused at the later stop, resumable from its new review, and then completed", async () => {
    const h = await harness();
    const calls: Record<string, number> = {};
    const count = (n: string) => (calls[n] = (calls[n] ?? 0) + 1);
    const pipeline = async (run: Run) => {
      const fields = await run.step("extract", async () => (count("extract"), { value: { amount: 4000 }, confidence: 0.95 }));
      const kind = await run.step("classify", { from: [fields] }, async () => (count("classify"), { value: "storm", confidence: 0.4 }));
      const reserve = await run.step(
        "reserve",
        { from: [kind] },
        async () => (count("reserve"), { value: `${kind.value}:${fields.value.amount}`, confidence: 0.3 }),
      );
      const pay = await run.step("pay", { from: [reserve] }, async () => (count("pay"), { value: `paid ${reserve.value}`, confidence: 1 }));
      return pay.value;
    };
    const policy = { minConfidence: 0.6, onLow: "escalate" as const };
    const fast = h.client({ now: () => Date.now() + 5_000 });
    const slow = h.client({ now: () => Date.now() - 5_000 });
    const wfFast = fast.workflow("skew", { policy });
    const wfSlow = slow.workflow("skew", { policy });

    const first = await wfFast.run({ key: "claim-1" }, pipeline);
    expect(first).toMatchObject({ status: "escalated", escalation: { step: "classify" } });
    await fast.flush();
    await h.resolve(first.escalation!.id, "correct", "flood");

    const second = await wfSlow.resume(first.runId, pipeline);
    expect(second).toMatchObject({ status: "escalated", escalation: { step: "reserve" } });
    await slow.flush();
    const paused = await h.state(first.runId);
    console.log("after B's pause:", paused.run.status, "waits on", paused.escalation?.step, paused.escalation?.status);
    expect(paused.run.status).toBe("paused");
    expect(paused.escalation).toMatchObject({ id: second.escalation!.id, step: "reserve", status: "open" });
    const detail = (await (await h.ctx.app.request(`/v1/runs/${first.runId}`, { headers: { authorization: `Bearer ${h.key}` } })).json()) as {
      run: { stopStepId: string };
    };
    expect(detail.run.stopStepId).toBe(second.escalation!.stepId);

    await h.resolve(second.escalation!.id, "accept");
    const listed = (await (await h.ctx.app.request("/v1/resumable", { headers: { authorization: `Bearer ${h.key}` } })).json()) as {
      items: Array<{ escalationId: string }>;
    };
    expect(listed.items.map((i) => i.escalationId)).toEqual([second.escalation!.id]);

    const third = await wfFast.resume(first.runId, pipeline);
    await fast.flush();
    console.log("third:", third.status, third.output, "calls:", calls);
    expect(third).toMatchObject({ status: "completed", output: "paid flood:4000" });
    expect(calls).toEqual({ extract: 1, classify: 1, reserve: 1, pay: 1 });
    expect((await h.state(first.runId)).run.status).toBe("completed");
    await Promise.all([fast.shutdown(), slow.shutdown()]);
  });
});
