// Recalibration: the server serves an isotonic map per step and workflow version with
// the policies; a workflow created with `recalibrate: true` gates on the calibrated confidence
// and reports both values, one that did not opt in is untouched.
import { describe, expect, it } from "vitest";
import { Seamtrace } from "./client.js";
import type { PolicySource } from "./gate.js";
import { PolicyClient } from "./policy-client.js";
import type { RequestFn } from "./transport-types.js";
import type { PoliciesResponse, SeamtraceEvent, StepEvent } from "./types.js";

const answer: PoliciesResponse = {
  policies: [{ workflow: "claims", step: null, minConfidence: 0.8, revision: 1, updatedAt: "2026-01-01T00:00:00.000Z" }],
  // An overconfident model: a claimed 0.9 is right 70% of the time.
  calibrations: [{ workflow: "claims", step: "classify", version: "3", x: [0.5, 0.9, 1], y: [0.3, 0.7, 0.95] }],
};

function server(body: unknown = answer) {
  const sent: SeamtraceEvent[] = [];
  const request: RequestFn = async (url, init) => {
    if (String(url).endsWith("/v1/policies")) return { status: 200, headers: { get: () => null }, text: async () => JSON.stringify(body) };
    const text = typeof init.body === "string" ? init.body : new TextDecoder().decode(init.body);
    const events = (JSON.parse(text) as { events: SeamtraceEvent[] }).events;
    sent.push(...events);
    return { status: 200, headers: { get: () => null }, text: async () => JSON.stringify({ results: events.map((e) => ({ id: e.id, status: "accepted" })) }) };
  };
  return { request, sent };
}

describe("PolicyClient.calibrate", () => {
  it("reads the served map by workflow, version and step, linearly between points and flat beyond", async () => {
    const pc = new PolicyClient({ endpoint: "http://c.test", apiKey: "k", request: server().request });
    expect(await pc.refresh()).toBe(true);
    expect(pc.calibrate("claims", "3", "classify", 0.9)).toBe(0.7);
    expect(pc.calibrate("claims", "3", "classify", 0.7)).toBeCloseTo(0.5, 12);
    expect(pc.calibrate("claims", "3", "classify", 0.1)).toBe(0.3);
    expect(pc.calibrate("claims", "3", "classify", 1)).toBe(0.95);
    // Another version, or a step without a map: no calibration.
    expect(pc.calibrate("claims", "4", "classify", 0.9)).toBeUndefined();
    expect(pc.calibrate("claims", "3", "extract", 0.9)).toBeUndefined();
    pc.stop();
  });

  it("skips a malformed map and keeps the policies", async () => {
    const bad = { ...answer, calibrations: [{ workflow: "claims", step: "classify", version: "3", x: [0.5, "x"], y: [0.3] }] };
    const pc = new PolicyClient({ endpoint: "http://c.test", apiKey: "k", request: server(bad).request });
    await pc.refresh();
    expect(pc.calibrate("claims", "3", "classify", 0.9)).toBeUndefined();
    expect(pc.ruleFor("claims", "classify").minConfidence).toBe(0.8);
    pc.stop();
  });
});

describe("a workflow with recalibrate: true", () => {
  async function runOnce(recalibrate: boolean) {
    const { request, sent } = server();
    const st = new Seamtrace({ endpoint: "http://c.test", apiKey: "st_test", request, transport: { flushIntervalMs: 60_000, gzip: false } });
    await (st as unknown as { policies: PolicyClient }).policies.ready(1000);
    const wf = st.workflow("claims", { version: "3", recalibrate });
    let seen = 0;
    const result = await wf.run({}, async (run) => {
      const a = await run.step("classify", () => ({ value: "water", confidence: 0.9 }));
      seen = a.confidence ?? Number.NaN;
      return a.cumulative;
    });
    await st.flush();
    await st.shutdown();
    return { result, seen, event: sent.find((e): e is StepEvent => e.type === "step.completed")! };
  }

  it("gates on the calibrated confidence and sends the model's own beside it", async () => {
    const { result, event } = await runOnce(true);
    // 0.9 claimed, 0.7 calibrated: below the server's minConfidence 0.8, so the run escalates.
    expect(result).toMatchObject({ status: "escalated" });
    expect(event.confidence).toBe(0.9);
    expect(event.calibrated).toBe(0.7);
    expect(event.cumulative).toBe(0.7);
    expect(event.gate).toMatchObject({ outcome: "escalate", kinds: ["confidence"], minConfidence: 0.8 });
  });

  it("leaves a workflow that did not opt in alone", async () => {
    const { result, seen, event } = await runOnce(false);
    expect(seen).toBe(0.9);
    expect(result).toMatchObject({ status: "completed", output: 0.9 });
    expect(event.calibrated).toBeUndefined();
  });

  it("keeps the raw confidence when the policy source's map throws", async () => {
    const { request } = server();
    const st = new Seamtrace({ endpoint: "http://c.test", request, transport: { flushIntervalMs: 60_000, gzip: false } });
    const source: PolicySource = {
      ruleFor: () => ({}),
      calibrate: () => {
        throw new Error("corrupt map");
      },
    };
    Object.defineProperty(st, "policies", { value: { ...source, start() {}, stop() {} }, configurable: true });
    const r = await st
      .workflow("claims", { version: "3", recalibrate: true })
      .run({}, async (run) => (await run.step("classify", () => ({ value: 1, confidence: 0.9 }))).confidence);
    expect(r).toMatchObject({ status: "completed", output: 0.9 });
    await st.shutdown();
  });
});
