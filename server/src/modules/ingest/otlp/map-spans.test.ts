import type { StepEvent } from "@seamtrace/sdk";
import { describe, expect, it } from "vitest";
import type { OtlpTraceRequest } from "./contract.js";
import { mapTraceRequest } from "./map-spans.js";
import { stepIdFor } from "./ids.js";

const TRACE = "0af7651916cd43dd8448eb211c80319c";
const LIMITS = { maxStringLength: 1024, maxDepth: 32 };
const ids = ["a000000000000001", "a000000000000002", "a000000000000003", "a000000000000004"];

/** A chain of spans, each the parent of the next, with the given attributes. */
function chain(...attrs: Array<Record<string, string | number>>): OtlpTraceRequest {
  const spans = attrs.map((a, i) => ({
    traceId: TRACE,
    spanId: ids[i]!,
    parentSpanId: i === 0 ? "" : ids[i - 1]!,
    name: `s${i}`,
    startTimeUnixNano: String(1_750_000_000_000_000_000n + BigInt(i) * 1_000_000n),
    endTimeUnixNano: String(1_750_000_000_000_000_000n + BigInt(i + 1) * 1_000_000n),
    attributes: Object.entries(a).map(([key, v]) => ({ key, value: typeof v === "number" ? { doubleValue: v } : { stringValue: v } })),
  }));
  return { resourceSpans: [{ scopeSpans: [{ spans }] }] };
}

const steps = (r: ReturnType<typeof mapTraceRequest>) => r.events.filter((e): e is StepEvent => e.type === "step.completed");

describe("mapTraceRequest: lineage", () => {
  it("multiplies own confidences down the chain, a span without one counting as 1", () => {
    const r = mapTraceRequest(chain({ "seamtrace.confidence": 0.9 }, {}, { "seamtrace.confidence": 0.5 }), { limits: LIMITS });
    expect(steps(r).map((s) => s.cumulative)).toEqual([0.9, 0.9, 0.45]);
    expect(steps(r)[2]!.parents).toEqual([stepIdFor(TRACE, ids[1]!)]);
  });

  it("re-bases the chain at a human-verified output", () => {
    const r = mapTraceRequest(chain({ "seamtrace.confidence": 0.5 }, { "seamtrace.source": "human" }, { "seamtrace.confidence": 0.8 }), { limits: LIMITS });
    expect(steps(r).map((s) => s.cumulative)).toEqual([0.5, 1, 0.8]);
  });

  it("flags a step that fails the served policy and every step below it, with a stable escalation id", () => {
    const request = chain({ "seamtrace.confidence": 0.9 }, { "seamtrace.confidence": 0.4 }, { "seamtrace.confidence": 0.95 });
    const ruleFor = (_wf: string, step: string) => (step === "s1" ? { minConfidence: 0.6 } : undefined);
    const [a, b, c] = steps(mapTraceRequest(request, { limits: LIMITS, ruleFor }));
    expect(a!.flagged).toBeUndefined();
    expect(b).toMatchObject({ flagged: true, gate: { outcome: "flag", kinds: ["confidence"], minConfidence: 0.6 }, escalationId: expect.any(String) });
    expect(c!.flagged).toBe(true);
    expect(c!.escalationId).toBeUndefined();
    const again = steps(mapTraceRequest(request, { limits: LIMITS, ruleFor }));
    expect(again[1]!.escalationId).toBe(b!.escalationId);
  });

  it("rejects a span with a string over the wire limit, and only that span", () => {
    const r = mapTraceRequest(chain({}, { "seamtrace.reasoning": "x".repeat(2000) }), { limits: LIMITS });
    expect(r.rejected).toBe(1);
    expect(r.errors[0]).toMatch(/^span 1: a string is longer than 1024/);
    expect(steps(r).map((s) => s.step)).toEqual(["s0"]);
  });
});
