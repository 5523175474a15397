// Confidence is validated, never bent: what a step may give as its confidence, and what becomes
// of a step that gives none, as a host application meets it through `new Seamtrace({ request })`.
import { describe, expect, it } from "vitest";
import { Seamtrace, type SeamtraceOptions } from "./client.js";
import { InvalidConfidenceError } from "./confidence.js";
import { failedGates } from "./gate.js";
import { cumulativeConfidence, type LineageNode } from "./lineage.js";
import type { PolicySource } from "./gate.js";
import { Run, RunStoppedError } from "./run.js";
import type { RequestFn } from "./transport-types.js";
import type { PoliciesResponse, RunEndedEvent, SeamtraceEvent, StepEvent } from "./types.js";

function harness(extra: Partial<SeamtraceOptions> = {}, policies?: PoliciesResponse) {
  const sent: SeamtraceEvent[] = [];
  const request: RequestFn = async (url, init) => {
    if (url.endsWith("/v1/policies")) return { status: 200, headers: { get: () => null }, text: async () => JSON.stringify(policies) };
    const body = typeof init.body === "string" ? init.body : new TextDecoder().decode(init.body);
    const events = (JSON.parse(body) as { events: SeamtraceEvent[] }).events;
    sent.push(...events);
    const results = events.map((e) => ({ id: e.id, status: "accepted" }));
    return { status: 200, headers: { get: () => null }, text: async () => JSON.stringify({ results }) };
  };
  const st = new Seamtrace({ endpoint: "http://collector.test", request, logger: false, transport: { flushIntervalMs: 60_000, gzip: false }, ...extra });
  const steps = async () => {
    await st.flush();
    return sent.filter((e): e is StepEvent => e.type === "step.completed" || e.type === "step.failed");
  };
  return { st, sent, steps };
}

const INVALID: Array<[string, unknown, string]> = [
  ["above 1", 1.7, "1.7"],
  ["a percentage", 85, "85"],
  ["a numeric string", "0.9", '"0.9"'],
  ["a word", "high", '"high"'],
  ["NaN", Number.NaN, "NaN"],
  ["negative", -0.2, "-0.2"],
  ["null", null, "null"],
  ["Infinity", Number.POSITIVE_INFINITY, "Infinity"],
  ["an object", { p: 0.9 }, '{"p":0.9}'],
];

describe("an invalid confidence", () => {
  it.each(INVALID)(
    "fails the step when it is %s: run failed, InvalidConfidence naming the value on the step event, nothing downstream",
    async (_name, value, shown) => {
      const h = harness();
      // A policy that the old clamping (1.7 → 1, 85 → 1) would have passed and NaN → 0 would have escalated.
      const wf = h.st.workflow("claims", { policy: { minConfidence: 0.8 } });
      let downstream = false;
      let attempts = 0;
      const result = await wf.run({ input: 1 }, async (run) => {
        const a = await run.step("extract", { retry: { attempts: 3 } }, () => (attempts++, { value: "x", confidence: value as number }));
        await run.step("route", { from: [a] }, () => ((downstream = true), { value: "y", confidence: 0.9 }));
        return "done";
      });
      expect(result.status).toBe("failed");
      expect(result.failure).toMatchObject({ step: "extract", attempts: 1, error: { name: "InvalidConfidence" } });
      expect(result.failure!.error.message).toContain(`returned confidence ${shown}:`);
      if (value === 85) expect(result.failure!.error.message).toContain("(a percentage? divide by 100)");
      expect(downstream).toBe(false);
      // Not retried: the same code would give the same value again.
      expect(attempts).toBe(1);
      const [step] = await h.steps();
      expect(step).toMatchObject({ type: "step.failed", step: "extract", error: { name: "InvalidConfidence", message: result.failure!.error.message } });
      expect(step).not.toHaveProperty("confidence");
      expect(h.sent.find((e): e is RunEndedEvent => e.type === "run.failed")).toMatchObject({ stepId: step!.stepId, error: { name: "InvalidConfidence" } });
      await h.st.shutdown();
    },
  );

  it("rejects the step's promise with the run's stop, so careless user code cannot go on", async () => {
    const run = new Run({ runId: "0190a000-0000-7000-8000-000000000001", workflow: "wf", version: "1" }, () => {});
    await expect(run.step("a", async () => ({ value: 1, confidence: 1.0001 }))).rejects.toBeInstanceOf(RunStoppedError);
    expect(run.failure?.error).toMatchObject({ name: "InvalidConfidence" });
    await expect(run.step("b", () => ({ value: 1, confidence: 0.5 }))).rejects.toBeInstanceOf(RunStoppedError);
  });

  it("is an exported error class that keeps the step and the value", () => {
    const err = new InvalidConfidenceError("extract", "0.9");
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: "InvalidConfidence", step: "extract", value: "0.9" });
  });
});

describe("an unscored step", () => {
  it("passes minConfidence, counts as 1 in cumulative, and is sent without a confidence", async () => {
    const h = harness();
    const wf = h.st.workflow("claims", { policy: { minConfidence: 0.8, minCumulative: 0.5 } });
    const result = await wf.run({}, async (run) => {
      const a = await run.step("extract", () => ({ value: 1, confidence: 0.9 }));
      const b = await run.step("lookup", { from: [a], source: "direct" }, () => ({ value: 2 }));
      expect(b.confidence).toBeUndefined();
      expect(b.cumulative).toBeCloseTo(0.9, 12);
      return (await run.step("route", { from: [b] }, () => ({ value: 3, confidence: 0.85 }))).cumulative;
    });
    expect(result).toMatchObject({ status: "completed" });
    expect(result.output).toBeCloseTo(0.85 * 0.9, 12);
    const lookup = (await h.steps()).find((e) => e.step === "lookup")!;
    expect(lookup).not.toHaveProperty("confidence");
    expect(lookup.gate).toEqual({ outcome: "pass", kinds: [], minConfidence: 0.8, minCumulative: 0.5 });
    await h.st.shutdown();
  });

  it("escalates with gate kind unscored under requireConfidence, unless its step's policy says otherwise", async () => {
    const h = harness();
    const wf = h.st.workflow("claims", { policy: { requireConfidence: true }, steps: { lookup: { requireConfidence: false } } });
    const result = await wf.run({}, async (run) => {
      const a = await run.step("lookup", () => ({ value: 1 })); // exempt
      const b = await run.step("extract", { from: [a] }, () => ({ value: 2, confidence: 0.3 })); // scored: passes
      return run.step("classify", { from: [b] }, () => ({ value: 3 }));
    });
    expect(result).toMatchObject({ status: "escalated", escalation: { step: "classify", kinds: ["unscored"] } });
    const classify = (await h.steps()).find((e) => e.step === "classify")!;
    expect(classify).toMatchObject({ gate: { outcome: "escalate", kinds: ["unscored"] }, escalationId: result.escalation!.id });
    expect(classify).not.toHaveProperty("confidence");
    await h.st.shutdown();
  });

  it("takes requireConfidence from a server policy", async () => {
    const policies: PoliciesResponse = {
      policies: [{ workflow: "claims", step: null, requireConfidence: true, onLow: "flag", revision: 1, updatedAt: "2025-01-01T00:00:00Z" }],
    };
    const h = harness({ apiKey: "st_test" }, policies);
    await h.st.policies!.ready(1000);
    const result = await h.st.workflow("claims").run({}, async (run) => (await run.step("lookup", () => ({ value: 1 }))).flagged);
    expect(result).toMatchObject({ status: "completed", output: true });
    expect((await h.steps())[0]!.gate).toMatchObject({ outcome: "flag", kinds: ["unscored"] });
    await h.st.shutdown();
  });

  it("is not recalibrated, and a map that gives an impossible value leaves the raw confidence", async () => {
    const asked: number[] = [];
    const errors: unknown[] = [];
    const h = harness({ onError: (e) => errors.push(e) });
    // The client's own policy client only serves maps within [0, 1]; a custom source might not.
    const source: PolicySource & { stop(): void } = { ruleFor: () => ({}), calibrate: (_w, _v, _s, c) => (asked.push(c), 1.5), stop: () => {} };
    (h.st as unknown as { policies: PolicySource }).policies = source;
    const wf = h.st.workflow("claims", { recalibrate: true });
    await wf.run({}, async (run) => {
      const a = await run.step("unscored", () => ({ value: 1 }));
      const b = await run.step("scored", { from: [a] }, () => ({ value: 2, confidence: 0.6 }));
      expect(a.confidence).toBeUndefined();
      expect(b.confidence).toBe(0.6);
    });
    expect(asked).toEqual([0.6]);
    expect(errors).toEqual([expect.objectContaining({ name: "InvalidConfidence" })]);
    const scored = (await h.steps()).find((e) => e.step === "scored")!;
    expect(scored.confidence).toBe(0.6);
    expect(scored).not.toHaveProperty("calibrated");
    await h.st.shutdown();
  });
});

describe("the gate and lineage maths for unscored steps", () => {
  it("fails no confidence check without requireConfidence, and only unscored with it", () => {
    const facts = { confidence: undefined, cumulative: 1, stale: false };
    expect(failedGates({ minConfidence: 0.99 }, facts, false)).toBeUndefined();
    expect(failedGates({ minConfidence: 0.99, requireConfidence: true }, facts, false)).toEqual(["unscored"]);
    expect(failedGates({ requireConfidence: true }, { ...facts, confidence: 0 }, false)).toBeUndefined();
  });

  it("multiplies distinct scored ancestors only, and a human output re-bases to 1", () => {
    const node = (stepId: string, confidence: number | undefined, parents: LineageNode[] = [], source: LineageNode["source"] = "inferred"): LineageNode => ({
      stepId,
      confidence,
      source,
      parents,
      cumulative: cumulativeConfidence(confidence, source, parents),
    });
    const a = node("a", 0.9);
    const b = node("b", undefined, [a]);
    const c = node("c", 0.5, [a]);
    expect(cumulativeConfidence(0.8, "inferred", [b, c])).toBeCloseTo(0.8 * 0.5 * 0.9, 12);
    expect(cumulativeConfidence(undefined, "inferred", [])).toBe(1);
    const reviewed = node("r", 1, [b, c], "human");
    expect(reviewed.cumulative).toBe(1);
    expect(cumulativeConfidence(undefined, "inferred", [reviewed, node("u", undefined)])).toBe(1);
  });
});

describe("the confidence's source", () => {
  it("goes on the step event from the result, or from the step option, only when the step is scored", async () => {
    const h = harness();
    const wf = h.st.workflow("claims");
    await wf.run({}, async (run) => {
      await run.step("judged", async () => ({ value: 1, confidence: 0.8, confidenceSource: "judge" as const }));
      await run.step("option", { confidenceSource: "logprob" }, async () => ({ value: 2, confidence: 0.7 }));
      await run.step("overridden", { confidenceSource: "logprob" }, async () => ({ value: 3, confidence: 0.6, confidenceSource: "rule" as const }));
      await run.step("unscored", { confidenceSource: "logprob" }, async () => ({ value: 4 }));
    });
    const byName = Object.fromEntries((await h.steps()).map((e) => [e.step, e.confidenceSource]));
    expect(byName).toEqual({ judged: "judge", option: "logprob", overridden: "rule", unscored: undefined });
  });

  it("fails the step with InvalidConfidenceSource when it is not one of the names", async () => {
    const h = harness();
    const wf = h.st.workflow("claims");
    const result = await wf.run({}, (run) => run.step("extract", async () => ({ value: 1, confidence: 0.9, confidenceSource: "llm" as never })));
    expect(result.status).toBe("failed");
    expect(result.failure?.error).toMatchObject({ name: "InvalidConfidenceSource" });
    expect(result.failure?.error.message).toContain('"llm"');
    const [event] = await h.steps();
    expect(event?.type).toBe("step.failed");
    expect(event?.confidenceSource).toBeUndefined();
  });
});
