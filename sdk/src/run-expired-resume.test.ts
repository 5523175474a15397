import { describe, expect, it } from "vitest";
import { Run } from "./run.js";
import type { RunState, SeamtraceEvent, StepEvent } from "./types.js";

// A run whose escalation nobody decided in time, with `onExpiry: "accept-flagged"`: the server
// settles it as an accept marked `flagged`, and the resumed run goes on with the model's own
// output, flagged (and so is everything downstream), never passed off as a reviewer's.

const RUN_ID = "0190a000-0000-7000-8000-0000000000bb";
const STEP_ID = "0190a000-0000-7000-8000-00000000c1a5";
const ESC_ID = "0190a000-0000-7000-8000-00000000e5c2";

function stateWith(escalation: Partial<NonNullable<RunState["escalation"]>>): RunState {
  return {
    run: { id: RUN_ID, workflow: "wf", version: "1", key: null, status: "paused", input: "roof" },
    steps: [
      {
        stepId: STEP_ID,
        name: "classify",
        status: "completed",
        output: "storm",
        confidence: 0.41,
        cumulative: 0.41,
        source: "inferred",
        stale: false,
        flagged: false,
        parents: [],
        escalationId: ESC_ID,
        gated: true,
        call: 0,
      },
    ],
    escalation: {
      id: ESC_ID,
      stepId: STEP_ID,
      step: "classify",
      status: "resolved",
      decision: "accept",
      output: "storm",
      reason: null,
      resumedAt: null,
      ...escalation,
    },
  };
}

function resumed(state: RunState) {
  const events: SeamtraceEvent[] = [];
  const run = new Run({ runId: RUN_ID, workflow: "wf", version: "1" }, (e) => events.push(JSON.parse(JSON.stringify("toWire" in e ? e.toWire() : e))));
  run.replayFrom(state);
  return { run, steps: () => events.filter((e): e is StepEvent => e.type === "step.completed") };
}

describe("resuming a run its deadline accepted", () => {
  it("goes on with the model's own output, flagged, and flags what follows", async () => {
    const { run, steps } = resumed(stateWith({ flagged: true }));
    let called = 0;
    const kind = await run.step("classify", () => (called++, { value: "never" }));
    expect(called).toBe(0);
    expect(kind).toMatchObject({ value: "storm", source: "inferred", confidence: 0.41, flagged: true });
    const reserve = await run.step("reserve", { from: [kind] }, () => ({ value: "storm:1100", confidence: 0.9 }));
    expect(reserve.flagged).toBe(true);
    // Nothing claims a person checked it: no human step is reported for classify.
    expect(steps().filter((s) => s.step === "classify")).toEqual([]);
    expect(steps().find((s) => s.step === "reserve")).toMatchObject({ flagged: true });
  });

  it("treats an accept by a person as human-verified, unflagged", async () => {
    const { run } = resumed(stateWith({}));
    const kind = await run.step("classify", () => ({ value: "never" }));
    expect(kind).toMatchObject({ value: "storm", source: "human", confidence: 1 });
    expect(kind.flagged).toBeFalsy();
  });
});
