import { uuidv7, type DroppedEvent, type RunEndedEvent, type RunStartedEvent, type SeamtraceEvent, type StepEvent } from "@seamtrace/sdk";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { acceptsAsIs, canonicalIds, eventSchema, parseEvent } from "./contract.js";
import { checkJsonLimits } from "../../platform/http/json-limits.js";

const limits = { maxStringLength: 1024, maxDepth: 8 };

/** What goes over the wire: the SDK serialises events with JSON.stringify (undefined keys vanish). */
const wire = (e: SeamtraceEvent): unknown => JSON.parse(JSON.stringify(e));

describe("contract: events as the SDK builds them pass the server's parser", () => {
  // Built field for field like sdk/src/client.ts (run events) and sdk/src/run.ts (step events).
  const runId = uuidv7();
  const started = Date.now() - 5_000;
  const identity = { runId, workflow: "claims", version: "3" };
  const extractId = uuidv7();

  const runStarted: RunStartedEvent = {
    id: uuidv7(),
    type: "run.started",
    time: new Date(started).toISOString(),
    ...identity,
    key: "msg-42",
    input: { subject: "Claim", attachments: [] },
  };
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
    attemptErrors: [
      { name: "Error", message: "timeout" },
      { name: "Error", message: "timeout" },
    ],
  };
  const ended: RunEndedEvent[] = [
    {
      id: uuidv7(),
      type: "run.failed",
      time: new Date(started + 1000).toISOString(),
      ...identity,
      durationMs: 1000,
      error: stepFailed.error!,
      stepId: stepFailed.stepId,
    },
    { id: uuidv7(), type: "run.completed", time: new Date(started + 1000).toISOString(), ...identity, durationMs: 1000, output: "auto-approve" },
    { id: uuidv7(), type: "run.paused", time: new Date(started + 1000).toISOString(), ...identity, durationMs: 1000, stepId: extractId },
  ];
  const droppedReport: DroppedEvent = {
    id: uuidv7(),
    type: "sdk.dropped",
    time: new Date().toISOString(),
    reason: "buffer_full",
    count: 3,
    from: new Date(started).toISOString(),
    to: new Date().toISOString(),
  };

  it.each([runStarted, stepCompleted, stepWithoutConfidence, stepFailed, ...ended, droppedReport].map((e) => [e.type, e] as const))(
    "accepts a %s event and keeps its content",
    (_, event) => {
      const parsed = parseEvent(wire(event), { maxStringLength: 1024 * 1024, maxDepth: 32 });
      expect(parsed).toMatchObject({ ok: true, event: wire(event), asIs: true });
    },
  );
});

describe("parseEvent", () => {
  const valid = (): Record<string, unknown> => ({
    id: uuidv7(),
    type: "run.started",
    time: "2025-01-01T00:00:00.000+02:00",
    runId: uuidv7(),
    workflow: "w",
    version: "1",
  });

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

  const step = () => ({
    ...valid(),
    type: "step.completed",
    stepId: uuidv7(),
    step: "s",
    parents: [],
    source: "inferred",
    stale: false,
    attempt: 1,
    durationMs: 1,
    startedAt: "2025-01-01T00:00:00Z",
  });

  it("rejects a step event with an unknown source, attempt 0 or a parent that is not a UUID as invalid_event", () => {
    expect(parseEvent(step(), limits).ok).toBe(true);
    for (const patch of [{ source: "oracle" }, { attempt: 0 }, { parents: ["x"] }]) {
      expect(parseEvent({ ...step(), ...patch }, limits)).toMatchObject({ ok: false, code: "invalid_event" });
    }
  });

  it.each([
    ["above 1", { confidence: 1.7 }, "confidence", "1.7"],
    ["a percentage", { confidence: 85 }, "confidence", "85"],
    ["negative", { confidence: -0.2 }, "confidence", "-0.2"],
    ["a numeric string", { confidence: "0.9" }, "confidence", '"0.9"'],
    ["a word", { confidence: "high" }, "confidence", '"high"'],
    ["null", { confidence: null }, "confidence", "null"],
    ["an object", { confidence: { p: 0.9 } }, "confidence", '{"p":0.9}'],
    ["a cumulative above 1", { cumulative: 1.01 }, "cumulative", "1.01"],
    ["a calibrated value below 0", { calibrated: -1 }, "calibrated", "-1"],
  ])("rejects a confidence %s as invalid_confidence, naming the value", (_, patch, field, shown) => {
    const e = { ...step(), ...patch };
    const parsed = parseEvent(e, limits);
    expect(parsed).toMatchObject({ ok: false, code: "invalid_confidence", id: (e as Record<string, unknown>).id });
    expect(!parsed.ok && parsed.message).toBe(`${field} must be a finite number in [0, 1] (or left out for an unscored step), got ${shown}`);
  });

  it("names the other mistakes of an event whose confidence is invalid too", () => {
    const parsed = parseEvent({ ...step(), confidence: 2, attempt: 0 }, limits);
    expect(parsed).toMatchObject({ ok: false, code: "invalid_confidence", message: expect.stringMatching(/got 2; also attempt: /) });
  });

  it("accepts a step event without a confidence (unscored) as it is", () => {
    const e = step();
    expect(parseEvent(e, limits)).toEqual({ ok: true, event: e, asIs: true, keys: expect.any(Number) });
  });

  it("lower-cases every UUID of an event, and then stores the event rather than its text", () => {
    const parent = uuidv7();
    const e = { ...step(), id: uuidv7().toUpperCase(), runId: uuidv7().toUpperCase(), parents: [parent.toUpperCase()], escalationId: uuidv7().toUpperCase() };
    const parsed = parseEvent(e, limits);
    expect(parsed).toMatchObject({
      ok: true,
      asIs: false,
      event: { id: e.id.toLowerCase(), runId: e.runId.toLowerCase(), stepId: e.stepId, parents: [parent], escalationId: e.escalationId.toLowerCase() },
    });
    const lower = step();
    expect(parseEvent(lower, limits)).toMatchObject({ ok: true, asIs: true });
    expect(parseEvent(lower, limits).ok && (parseEvent(lower, limits) as { event: unknown }).event).toBe(lower);
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

describe("acceptsAsIs: the compiled check that lets well-formed events skip zod", () => {
  const T = "2025-01-01T00:00:00.000Z";
  const full = (): Record<string, unknown> => ({
    id: uuidv7(),
    type: "step.completed",
    time: T,
    runId: uuidv7(),
    workflow: "claims",
    version: "3",
    stepId: uuidv7(),
    step: "extract",
    parents: [uuidv7()],
    input: { a: [1, "x", null] },
    output: "out",
    confidence: 0.5,
    cumulative: 0.25,
    source: "inferred",
    observedAt: "2024-02-29T23:59:59+05:30",
    maxAgeMs: 1000,
    stale: false,
    reasoning: "why",
    alternatives: [1, { b: 2 }],
    features: { amount: 1, region: "eu", vip: true },
    attempt: 2,
    call: 0,
    attemptErrors: [{ name: "E", message: "m", stack: "s" }],
    durationMs: 3,
    startedAt: T,
    error: { name: "E", message: "m" },
    gate: { outcome: "escalate", kinds: ["confidence", "stale"], minConfidence: 0.9, minCumulative: 0.5, issues: [{ message: "x", path: ["a", 0] }] },
    flagged: true,
    escalationId: uuidv7(),
    spotCheck: { rate: 0.1 },
    contract: { jsonSchema: { type: "object" }, vendor: "zod" },
  });
  const bases = (): Record<string, unknown>[] => [
    full(),
    { id: uuidv7(), type: "run.started", time: T, runId: uuidv7(), workflow: "w", version: "1", key: "k", input: null },
    {
      id: uuidv7(),
      type: "run.failed",
      time: T,
      runId: uuidv7(),
      workflow: "w",
      version: "1",
      durationMs: 0,
      error: { name: "E", message: "m" },
      stepId: uuidv7(),
      escalationId: uuidv7(),
      output: [1],
    },
    { id: uuidv7(), type: "sdk.dropped", time: T, reason: "buffer_full", count: 0, from: T, to: T },
  ];
  // Where a value can be replaced, removed or an unknown key added, nested objects included.
  const paths: string[][] = [
    ...Object.keys(full()).map((k) => [k]),
    ["key"],
    ["reason"],
    ["count"],
    ["from"],
    ["to"],
    ["unknown"],
    ["parents", "0"],
    ["features", "amount"],
    ["features", "x"],
    ["alternatives", "5"],
    ["gate", "outcome"],
    ["gate", "kinds"],
    ["gate", "kinds", "0"],
    ["gate", "minConfidence"],
    ["gate", "issues", "0", "path"],
    ["gate", "issues", "0", "path", "0"],
    ["gate", "issues", "0", "message"],
    ["gate", "issues", "0", "extra"],
    ["gate", "extra"],
    ["error", "name"],
    ["error", "stack"],
    ["error", "extra"],
    ["attemptErrors", "0", "extra"],
    ["attemptErrors", "0", "message"],
    ["spotCheck", "rate"],
    ["spotCheck", "extra"],
    ["contract", "jsonSchema"],
    ["contract", "vendor"],
    ["contract", "extra"],
  ];
  const emoji = (n: number) => "😀".repeat(n);
  const values = fc.oneof(
    fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -0,
      1,
      -1,
      0.5,
      1.5,
      1e-300,
      Infinity,
      -Infinity,
      Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER + 1,
      1_000_000,
      1_000_001,
      2.5e9,
      "",
      "x",
      " ",
      "x".repeat(128),
      "x".repeat(129),
      "x".repeat(256),
      "x".repeat(257),
      "x".repeat(1024),
      "x".repeat(1025),
      emoji(64),
      emoji(65),
      emoji(128),
      emoji(129),
      emoji(512),
      emoji(513),
      "00000000-0000-0000-0000-000000000000",
      "0190F0F0-0000-7000-8000-00000000000A",
      "0190f0f0-0000-0000-8000-000000000000",
      "0190f0f0-0000-7000-c000-000000000000",
      "2025-01-01T00:00:00Z",
      "2025-01-01T00:00:00",
      "2025-02-29T00:00:00Z",
      "2024-02-29T00:00:00.123456789-12:00",
      "2025-01-01 00:00:00Z",
      "2025-01-01T24:00:00Z",
      "pass",
      "flag",
      "escalate",
      "confidence",
      "contract",
      "cache",
      "human",
      "direct",
      "run.started",
      "step.failed",
      "run.paused",
      [],
      [uuidv7()],
      ["x"],
      {},
      { a: 1 },
      { rate: 0 },
      { name: "E", message: "m" },
      [{ message: "m" }],
      [{ name: "E", message: "m", extra: 1 }],
    ),
    fc.jsonValue({ maxDepth: 2 }),
  );
  type Edit = { path: string[]; op: "set" | "delete"; value: unknown };
  const edit = fc.record({ path: fc.constantFrom(...paths), op: fc.constantFrom<"set" | "delete">("set", "set", "delete"), value: values });

  function apply(target: Record<string, unknown>, { path, op, value }: Edit): void {
    let at: unknown = target;
    for (const key of path.slice(0, -1)) {
      if (typeof at !== "object" || at === null) return;
      at = (at as Record<string, unknown>)[key];
    }
    if (typeof at !== "object" || at === null) return;
    const last = path[path.length - 1]!;
    if (op === "delete") delete (at as Record<string, unknown>)[last];
    else (at as Record<string, unknown>)[last] = structuredClone(value);
  }

  it("accepts every kind of event as the SDK builds it, in full", () => {
    for (const e of bases()) expect(acceptsAsIs(e), String(e.type)).toBe(true);
  });

  it("agrees with zod on generated events: accepts exactly those zod accepts and returns unchanged, ids in lower case", () => {
    fc.assert(
      fc.property(fc.nat(3), fc.array(edit, { minLength: 1, maxLength: 4 }), (which, edits) => {
        const event = bases()[which]!;
        for (const e of edits) apply(event, e);
        const parsed = eventSchema.safeParse(event);
        const unchanged =
          parsed.success && JSON.stringify(sortKeys(parsed.data)) === JSON.stringify(sortKeys(event)) && canonicalIds(parsed.data) === parsed.data;
        expect(acceptsAsIs(event)).toBe(unchanged);
      }),
      { numRuns: 3_000 },
    );
  });

  it("counts string length in code points, as zod does", () => {
    const e = bases()[1]!;
    for (const workflow of [emoji(256), emoji(256) + "x", "\ud800".repeat(256), "\ud800".repeat(257)]) {
      expect(acceptsAsIs({ ...e, workflow }), `${workflow.length} units`).toBe(eventSchema.safeParse({ ...e, workflow }).success);
    }
    expect(acceptsAsIs({ ...e, workflow: emoji(256) })).toBe(true);
    expect(acceptsAsIs({ ...e, workflow: emoji(257) })).toBe(false);
  });

  it("leaves events with unknown keys, at any depth, to zod, which strips them", () => {
    const e = full();
    (e.gate as Record<string, unknown>).projectId = "other";
    expect(acceptsAsIs(e)).toBe(false);
    const parsed = parseEvent(e, { maxStringLength: 1024, maxDepth: 16 });
    expect(parsed.ok && (parsed.event as { gate: object }).gate).not.toHaveProperty("projectId");
  });
});

/** A copy with object keys in sorted order, to compare values whatever order their keys came in. */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v !== "object" || v === null) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
  );
}
