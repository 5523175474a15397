import { describe, expect, it } from "vitest";
import { Run } from "../../run.js";
import type { RunState, SeamtraceEvent, StepEvent } from "../../types.js";
import { walkRecorded } from "./resume-walk.js";

const RUN_ID = "0190a000-0000-7000-8000-0000000000bb";
const id = (n: number) => `0190a000-0000-7000-8000-${String(n).padStart(12, "0")}`;

function rec(n: number, name: string, parents: number[], extra: Partial<RunState["steps"][number]> = {}): RunState["steps"][number] {
  return {
    stepId: id(n),
    name,
    status: "completed",
    output: `${name}-out`,
    confidence: 0.9,
    cumulative: 0.9,
    source: "inferred",
    stale: false,
    flagged: false,
    parents: parents.map(id),
    escalationId: null,
    gated: false,
    call: 0,
    ...extra,
  };
}

function resumed(steps: RunState["steps"], decision: "accept" | "correct" | "reject", reviewedStep: number) {
  const state: RunState = {
    run: { id: RUN_ID, workflow: "wf", version: "1", key: null, status: "paused", input: null },
    steps,
    escalation: {
      id: id(999),
      stepId: id(reviewedStep),
      step: "x",
      status: "resolved",
      decision,
      output: decision === "correct" ? "fixed" : decision === "accept" ? "orig" : null,
      reason: "why",
      resumedAt: null,
    },
  };
  const events: SeamtraceEvent[] = [];
  const run = new Run({ runId: RUN_ID, workflow: "wf", version: "1" }, (e) => events.push(JSON.parse(JSON.stringify("toWire" in e ? e.toWire() : e))));
  run.replayFrom(state);
  return { run, steps: () => events.filter((e): e is StepEvent => e.type === "step.completed") };
}

describe("walkRecorded", () => {
  it("walks parents before children whatever order the records come in, so a reviewed step keeps its parents", async () => {
    // Steps started in the same millisecond come ordered by id, which may put a child first.
    const { run, steps } = resumed([rec(2, "call", [1], { gated: true }), rec(1, "model", []), rec(3, "other", [1])], "correct", 2);
    const walked = await walkRecorded(run);
    expect([...walked.handles.keys()].sort()).toEqual([id(1), id(2), id(3)]);
    expect(walked.reviewed?.value).toBe("fixed");
    expect(walked.reviewed?.parents.map((p) => p.stepId)).toEqual([id(1)]);
    // The reviewer's value is recorded once, with its lineage.
    expect(steps()).toEqual([expect.objectContaining({ stepId: id(2), source: "human", output: "fixed", parents: [id(1)] })]);
  });

  it("leaves gated, never-reviewed steps to be run again, and defers the reviewed one when asked", async () => {
    const { run, steps } = resumed([rec(1, "a", []), rec(2, "b", [1], { gated: true }), rec(3, "c", [1], { gated: true })], "accept", 3);
    const walked = await walkRecorded(run, { deferReviewed: true });
    expect([...walked.handles.keys()]).toEqual([id(1)]);
    expect(walked.pending.map((r) => r.stepId)).toEqual([id(2), id(3)]);
    expect(walked.reviewed).toBeUndefined();
    expect(steps()).toEqual([]);
  });

  it("stops the run on a rejected review", async () => {
    const { run } = resumed([rec(1, "a", []), rec(2, "b", [1], { gated: true }), rec(3, "c", [2])], "reject", 2);
    const walked = await walkRecorded(run);
    expect(run.stopped?.reason).toBe("failed");
    expect(run.failure?.error).toMatchObject({ name: "ReviewRejected", message: "why" });
    expect(walked.reviewed).toBeUndefined();
  });

  it("walks a chain of ten thousand steps", async () => {
    const chain = Array.from({ length: 10_000 }, (_, i) => rec(10_000 - i, `s${10_000 - i}`, i === 9_999 ? [] : [10_000 - i - 1]));
    const { run } = resumed(chain, "accept", 1);
    const walked = await walkRecorded(run);
    expect(walked.handles.size).toBe(10_000);
  });
});
