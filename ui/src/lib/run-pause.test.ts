import { describe, expect, it } from "vitest";
import { pauseReason } from "./run-pause.js";
import type { RunDetailResponse, StepView } from "./types.js";

const step = (over: Partial<StepView>): StepView =>
  ({
    id: "s1",
    name: "classify",
    status: "completed",
    parents: [],
    input: null,
    output: null,
    confidence: 0.41,
    cumulative: 0.37,
    source: "direct",
    observedAt: null,
    maxAgeMs: null,
    stale: false,
    flagged: false,
    reasoning: null,
    alternatives: null,
    features: null,
    attempts: 1,
    attemptErrors: null,
    error: null,
    gate: null,
    durationMs: 3,
    startedAt: "",
    endedAt: "",
    scores: [],
    metadata: null,
    records: [],
    ...over,
  }) as StepView;
const detail = (status: RunDetailResponse["run"]["status"], steps: StepView[], stopStepId: string | null = "s1") =>
  ({ run: { status, stopStepId }, steps, edges: [], truncated: false }) as unknown as RunDetailResponse;

describe("why a run is paused", () => {
  it("names the step and the gate that stopped it, with the numbers", () => {
    const s = step({ gate: { outcome: "escalate", kinds: ["confidence"], minConfidence: 0.6 } });
    expect(pauseReason(detail("paused", [step({ id: "s0", name: "extract" }), s]))).toEqual({
      step: s,
      why: ["its confidence 0.41 is below the minimum 0.6"],
      decided: false,
    });
    // Once decided, it waits for its worker, not for a reviewer.
    expect(pauseReason(detail("paused", [s]), true)!.decided).toBe(true);
  });

  it("gives every failed gate, in words, including staleness in natural units", () => {
    const s = step({ maxAgeMs: 86_400_000, gate: { outcome: "escalate", kinds: ["contract", "stale"], issues: [{ message: "Required" }, { message: "x" }] } });
    expect(pauseReason(detail("paused", [s]))!.why).toEqual([
      "its output broke the step's contract (2 issues)",
      "its data was older than its max age of 1 day",
    ]);
  });

  it("finds the escalated step when the run does not name one, and says nothing of runs not paused", () => {
    const s = step({ gate: { outcome: "escalate", kinds: ["unscored"] } });
    expect(pauseReason(detail("paused", [s], null))!.step).toBe(s);
    expect(pauseReason(detail("completed", [s]))).toBeNull();
  });
});
