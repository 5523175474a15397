// The memory sink as a user's test meets it: a real client, a real workflow, events read back
// without any collector (the request function must never be called).
import { describe, expect, it } from "vitest";
import { Seamtrace } from "./client.js";
import { MemorySink } from "./memory.js";
import type { RequestFn } from "./transport-types.js";
import type { StepEvent } from "./types.js";

const noNetwork: RequestFn = () => {
  throw new Error("a client with a sink must not send anything");
};

function clientOn(sink: MemorySink, errors: unknown[] = []) {
  return new Seamtrace({ sink, request: noNetwork, onError: (e) => errors.push(e) });
}

describe("MemorySink", () => {
  it("holds each run's events the moment run() resolves, without a flush, and sends nothing", async () => {
    const sink = new MemorySink();
    const errors: unknown[] = [];
    const st = clientOn(sink, errors);
    const wf = st.workflow("toy", { version: "2", policy: { minConfidence: 0.5, onLow: "escalate" } });
    const r = await wf.run({ input: 3 }, async (run) => {
      const a = await run.step("double", () => ({ value: 6, confidence: 0.9 }));
      return (await run.step("label", { from: [a] }, () => ({ value: "even", confidence: 0.2 }))).value;
    });
    expect(r.status).toBe("escalated");
    const { events, lost } = sink.take(r.runId);
    expect(events.map((e) => e.type)).toEqual(["run.started", "step.completed", "step.completed", "run.paused"]);
    const label = events[2] as StepEvent;
    expect(label).toMatchObject({ step: "label", output: "even", confidence: 0.2, gate: { outcome: "escalate" } });
    expect(label.parents).toEqual([(events[1] as StepEvent).stepId]);
    expect(lost).toEqual([]);
    expect(sink.size).toBe(0);
    expect(await st.flush()).toEqual({ delivered: 0, undelivered: 0 });
    await st.shutdown();
    expect(st.stats().batches).toBe(0);
    expect(errors).toEqual([]);
  });

  it("keeps a snapshot: changing a returned object afterwards does not change the recorded output", async () => {
    const sink = new MemorySink();
    const st = clientOn(sink);
    const value = { amount: 10 };
    const r = await st.workflow("w").run({}, async (run) => (await run.step("s", () => ({ value }))).value);
    value.amount = 99;
    const step = sink.events({ runId: r.runId }).find((e) => e.type === "step.completed") as StepEvent;
    expect(step.output).toEqual({ amount: 10 });
  });

  it("records an event it cannot serialise as lost, naming its run and step, instead of dropping it silently", async () => {
    const sink = new MemorySink();
    const st = clientOn(sink);
    const r = await st.workflow("w").run({}, async (run) => (await run.step("big", () => ({ value: 10n }))).value);
    const { events, lost } = sink.take(r.runId);
    expect(events.some((e) => e.type === "step.completed")).toBe(false);
    expect(lost[0]).toEqual({ reason: "serialize_error", runId: r.runId, step: "big", type: "step.completed", message: expect.stringMatching(/BigInt/) });
    // The run's end carries the same output, so it is lost too, and said so.
    expect(lost.map((l) => l.type)).toEqual(["step.completed", "run.completed"]);
  });

  it("is bounded: past maxEvents an event is lost and recorded with its run; taking a run frees room", async () => {
    const sink = new MemorySink({ maxEvents: 3 });
    const st = clientOn(sink);
    const wf = st.workflow("w");
    const pipeline = async (run: Parameters<Parameters<typeof wf.run>[1]>[0]) => (await run.step("s", () => ({ value: 1 }))).value;
    const first = await wf.run({}, pipeline);
    const second = await wf.run({}, pipeline);
    expect(sink.take(first.runId).events).toHaveLength(3);
    const { events, lost } = sink.take(second.runId);
    expect(events).toEqual([]);
    expect(lost.map((l) => [l.reason, l.type])).toEqual([
      ["full", "run.started"],
      ["full", "step.completed"],
      ["full", "run.completed"],
    ]);
    const third = await wf.run({}, pipeline);
    expect(sink.take(third.runId).events).toHaveLength(3);
    expect(() => new MemorySink({ maxEvents: 0 })).toThrow(RangeError);
  });
});
