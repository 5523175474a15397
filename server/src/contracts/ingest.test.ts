import { uuidv7, type DroppedEvent, type RunEndedEvent, type RunStartedEvent, type SeamtraceEvent, type StepEvent } from "@seamtrace/sdk";
import { describe, expect, it } from "vitest";
import { checkJsonLimits, parseEvent } from "./ingest.js";

const limits = { maxStringLength: 1024, maxDepth: 8 };

/** What goes over the wire: the SDK serialises events with JSON.stringify (undefined keys vanish). */
const wire = (e: SeamtraceEvent): unknown => JSON.parse(JSON.stringify(e));

describe("contract: events as the SDK builds them pass the server's parser", () => {
  // Built field for field like sdk/src/client.ts (run events) and sdk/src/run.ts (step events).
  const runId = uuidv7();
  const started = Date.now() - 5_000;
  const identity = { runId, workflow: "claims", version: "3" };
  const extractId = uuidv7();

  const runStarted: RunStartedEvent = { id: uuidv7(), type: "run.started", time: new Date(started).toISOString(), ...identity, key: "msg-42", input: { subject: "Claim", attachments: [] } };
  const stepCompleted: StepEvent = {
    id: uuidv7(),
    type: "step.completed",
    time: new Date(started + 300).toISOString(),
    ...identity,
    stepId: extractId,
    step: "extract",
    parents: [],
    input: { subject: "Claim" },
    output: { policyNo: "P-1", amount: 10.5 },
    cumulative: 0.9,
    source: "inferred",
    stale: false,
    attempt: 1,
    durationMs: 300,
    startedAt: new Date(started).toISOString(),
    confidence: 0.9,
    observedAt: new Date(started - 1000).toISOString(),
    maxAgeMs: 60_000,
    reasoning: "found in subject",
    alternatives: [{ policyNo: "P-7" }, null],
    features: { amount: 10.5, channel: "email", vip: true },
    attemptErrors: [{ name: "TypeError", message: "fetch failed", stack: "TypeError: fetch failed\n    at x (y.js:1:1)" }],
    gate: { outcome: "escalate", kinds: ["confidence", "contract"], minConfidence: 0.95, issues: [{ message: "Required", path: ["policyNo", 0] }] },
    flagged: true,
  };
  const stepWithoutConfidence: StepEvent = { ...stepCompleted, id: uuidv7(), stepId: uuidv7(), parents: [extractId], confidence: undefined, input: undefined };
  const stepFailed: StepEvent = {
    id: uuidv7(),
    type: "step.failed",
    time: new Date(started + 900).toISOString(),
    ...identity,
    stepId: uuidv7(),
    step: "match-policy",
    parents: [extractId],
    input: undefined,
    source: "direct",
    stale: false,
    attempt: 3,
    durationMs: 600,
    startedAt: new Date(started + 300).toISOString(),
    error: { name: "Error", message: "policy service down" },
    attemptErrors: [{ name: "Error", message: "timeout" }, { name: "Error", message: "timeout" }],
  };
  const ended: RunEndedEvent[] = [
    { id: uuidv7(), type: "run.failed", time: new Date(started + 1000).toISOString(), ...identity, durationMs: 1000, error: stepFailed.error!, stepId: stepFailed.stepId },
    { id: uuidv7(), type: "run.completed", time: new Date(started + 1000).toISOString(), ...identity, durationMs: 1000, output: "auto-approve" },
    { id: uuidv7(), type: "run.paused", time: new Date(started + 1000).toISOString(), ...identity, durationMs: 1000, stepId: extractId },
  ];
  const droppedReport: DroppedEvent = { id: uuidv7(), type: "sdk.dropped", time: new Date().toISOString(), reason: "buffer_full", count: 3, from: new Date(started).toISOString(), to: new Date().toISOString() };

  it.each([runStarted, stepCompleted, stepWithoutConfidence, stepFailed, ...ended, droppedReport].map((e) => [e.type, e] as const))(
    "accepts a %s event and keeps its content",
    (_, event) => {
      const parsed = parseEvent(wire(event), { maxStringLength: 1024 * 1024, maxDepth: 32 });
      expect(parsed).toEqual({ ok: true, event: wire(event) });
    },
  );
});

describe("parseEvent", () => {
  const valid = (): Record<string, unknown> => ({ id: uuidv7(), type: "run.started", time: "2025-01-01T00:00:00.000+02:00", runId: uuidv7(), workflow: "w", version: "1" });

  it("strips unknown fields instead of passing them on", () => {
    const parsed = parseEvent({ ...valid(), projectId: "other", status: "completed" }, limits);
    expect(parsed.ok && Object.keys(parsed.event)).toEqual(["id", "time", "runId", "workflow", "version", "type"]);
  });

  it.each([
    ["a non-UUID id", { id: "42" }, "invalid_event", null],
    ["a non-UUID run id", { runId: "run-1" }, "invalid_event", "keep"],
    ["a time that is not ISO 8601", { time: "yesterday" }, "invalid_event", "keep"],
    ["an impossible date", { time: "2025-02-30T00:00:00Z" }, "invalid_event", "keep"],
    ["an empty workflow name", { workflow: "" }, "invalid_event", "keep"],
    ["an unknown type", { type: "run.exploded" }, "unknown_type", "keep"],
    ["no type", { type: undefined }, "unknown_type", "keep"],
  ])("rejects %s", (_, patch, code, id) => {
    const e = { ...valid(), ...patch };
    const parsed = parseEvent(e, limits);
    expect(parsed).toMatchObject({ ok: false, code, id: id === "keep" ? (e as { id: unknown }).id : null });
  });

  it("rejects a step event with confidence or cumulative outside [0, 1], or an unknown source", () => {
    const base = { ...valid(), type: "step.completed", stepId: uuidv7(), step: "s", parents: [], source: "inferred", stale: false, attempt: 1, durationMs: 1, startedAt: "2025-01-01T00:00:00Z" };
    expect(parseEvent(base, limits).ok).toBe(true);
    for (const patch of [{ confidence: -0.1 }, { cumulative: 1.01 }, { source: "oracle" }, { attempt: 0 }, { parents: ["x"] }]) {
      expect(parseEvent({ ...base, ...patch }, limits)).toMatchObject({ ok: false, code: "invalid_event" });
    }
  });

  it("checks limits before the schema", () => {
    expect(parseEvent({ ...valid(), input: "x".repeat(1025) }, limits)).toMatchObject({ ok: false, code: "string_too_long" });
    expect(parseEvent({ id: 7, nested: [[[[[[[[[]]]]]]]]] }, limits)).toMatchObject({ ok: false, code: "too_deep", id: null });
  });
});

describe("checkJsonLimits", () => {
  it("counts the value itself as depth 1", () => {
    expect(checkJsonLimits({ a: [1] }, { maxStringLength: 10, maxDepth: 2 })).toBeNull();
    expect(checkJsonLimits({ a: [[1]] }, { maxStringLength: 10, maxDepth: 2 })?.code).toBe("too_deep");
    expect(checkJsonLimits("a scalar is depth 0", { maxStringLength: 100, maxDepth: 2 })).toBeNull();
  });

  it("checks object keys as well as string values", () => {
    expect(checkJsonLimits({ ["k".repeat(11)]: 1 }, { maxStringLength: 10, maxDepth: 5 })?.code).toBe("string_too_long");
    expect(checkJsonLimits(["0123456789"], { maxStringLength: 10, maxDepth: 5 })).toBeNull();
  });

  it("walks a million levels of nesting without overflowing the stack", () => {
    let v: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) v = [v];
    expect(checkJsonLimits(v, { maxStringLength: 10, maxDepth: 1_000_001 })).toBeNull();
    expect(checkJsonLimits(v, { maxStringLength: 10, maxDepth: 999_999 })?.code).toBe("too_deep");
  });
});
