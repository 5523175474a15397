import { describe, expect, it } from "vitest";
import { Run } from "./run.js";
import type { RunState, SeamtraceEvent, StepEvent } from "./types.js";

// What framework adapters need from a resumed run: the recorded state, and re-entering a paused
// step under the call it was recorded with (a framework re-runs only the paused step, so the
// per-name call count of this process says nothing about which call that was).

const RUN_ID = "0190a000-0000-7000-8000-0000000000aa";

function record(name: string, call: number, output: unknown, extra: Partial<RunState["steps"][number]> = {}): RunState["steps"][number] {
  const id = `0190a000-0000-7000-8000-${String(call).padStart(6, "0")}${name
    .padEnd(6, "0")
    .slice(0, 6)
    .replace(/[^0-9a-f]/g, "0")}`;
  return {
    stepId: id,
    name,
    status: "completed",
    output,
    confidence: 0.9,
    cumulative: 0.9,
    source: "inferred",
    stale: false,
    flagged: false,
    parents: [],
    escalationId: null,
    gated: false,
    call,
    ...extra,
  };
}

function resumedRun(state: RunState) {
  const events: SeamtraceEvent[] = [];
  const run = new Run({ runId: RUN_ID, workflow: "wf", version: "1" }, (e) => events.push(JSON.parse(JSON.stringify("toWire" in e ? e.toWire() : e))));
  run.replayFrom(state);
  const steps = () => events.filter((e): e is StepEvent => e.type === "step.completed");
  return { run, steps };
}

describe("resume hooks for framework adapters", () => {
  const draft2 = record("draft", 2, "third draft", { gated: true, escalationId: "0190a000-0000-7000-8000-00000000e5c1", confidence: 0.3, cumulative: 0.3 });
  const state: RunState = {
    run: { id: RUN_ID, workflow: "wf", version: "1", key: null, status: "paused", input: { topic: "x" } },
    steps: [record("draft", 0, "first draft"), record("draft", 1, "second draft"), draft2],
    escalation: {
      id: "0190a000-0000-7000-8000-00000000e5c1",
      stepId: draft2.stepId,
      step: "draft",
      status: "resolved",
      decision: "correct",
      output: "reviewed draft",
      reason: "tone",
      resumedAt: null,
    },
  };

  it("exposes the recorded state a run replays, and nothing for a fresh run", () => {
    expect(resumedRun(state).run.recorded).toBe(state);
    expect(new Run({ runId: RUN_ID, workflow: "wf", version: "1" }, () => {}).recorded).toBeUndefined();
  });

  it("re-enters a paused step under its recorded call, whatever ran before it here", async () => {
    const { run, steps } = resumedRun(state);
    let called = 0;
    // First step of this process, but the third call of "draft" in the run: the reviewer's value.
    const reviewed = await run.step("draft", { call: 2 }, () => (called++, { value: "never" }));
    expect(reviewed).toMatchObject({ value: "reviewed draft", source: "human", confidence: 1, cumulative: 1, stepId: draft2.stepId });
    expect(called).toBe(0);
    expect(steps()).toHaveLength(1);
    expect(steps()[0]).toMatchObject({ step: "draft", call: 2, output: "reviewed draft", source: "human" });
    // The next call of the name counts on from the bound one: a new step, not a replay of call 0.
    const next = await run.step("draft", () => (called++, { value: "fourth draft", confidence: 0.8 }));
    expect(called).toBe(1);
    expect(steps()[1]).toMatchObject({ step: "draft", call: 3, output: "fourth draft" });
    expect(next.stepId).not.toBe(draft2.stepId);
  });

  it("replays an earlier call bound explicitly, and a lower bound does not move the count back", async () => {
    const { run } = resumedRun(state);
    const first = await run.step("draft", { call: 1 }, () => ({ value: "never" }));
    expect(first.value).toBe("second draft");
    const zero = await run.step("draft", { call: 0 }, () => ({ value: "never" }));
    expect(zero.value).toBe("first draft");
    // Count is at 2 (after the highest bound, 1): the next unbound call is the reviewed one.
    const reviewed = await run.step("draft", () => ({ value: "never" }));
    expect(reviewed.value).toBe("reviewed draft");
  });
});
