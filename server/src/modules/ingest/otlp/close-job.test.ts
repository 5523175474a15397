import type { RunDetailResponse } from "../../runs/contract.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../../../../test-support/testing.js";
import type { Scheduler } from "../../jobs/scheduler.js";
import { runIdForTrace, stepIdFor } from "./ids.js";

/**
 * Every trace ends: one whose root never arrives (never exported, or rejected) is settled with
 * what came and its run closed as RootMissing once it has been quiet for the idle time.
 */
let ctx: TestContext;
let clock = Date.now();
beforeAll(async () => {
  ctx = await createTestContext({ SEAMTRACE_OTLP_IDLE_CLOSE_MS: "60000" });
  ctx.deps.now = () => clock;
});
afterAll(() => ctx.close());

const TRACE = "5bf92f3577b34da6a3ce929d0e0e4736";
const ROOT = "00f067aa0ba902b7";
const A = "53995c3f42cd8ad8";
const B = "1111111111111111";
const T0 = BigInt(Date.now() - 3_600_000) * 1_000_000n;
const ns = (ms: number) => String(T0 + BigInt(ms) * 1_000_000n);
const kv = (key: string, v: number | string) => ({ key, value: typeof v === "number" ? { doubleValue: v } : { stringValue: v } });

function request(spans: unknown[]) {
  return { resourceSpans: [{ resource: { attributes: [kv("service.name", "claims")] }, scopeSpans: [{ spans }] }] };
}

async function post(key: string, body: unknown) {
  const res = await ctx.app.request("/v1/traces", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

async function closeJob(): Promise<void> {
  const run = await (ctx.deps.jobs as Scheduler).run("otlp-close", { trigger: "manual", actor: "test" });
  expect(run).toMatchObject({ outcome: "ok" });
}

async function detail(key: string, runId: string): Promise<RunDetailResponse | null> {
  const res = await ctx.app.request(`/v1/runs/${runId}`, { headers: { Authorization: `Bearer ${key}` } });
  return res.status === 404 ? null : ((await res.json()) as RunDetailResponse);
}

const children = [
  {
    traceId: TRACE,
    spanId: A,
    parentSpanId: ROOT,
    name: "classify",
    startTimeUnixNano: ns(10),
    endTimeUnixNano: ns(50),
    attributes: [kv("seamtrace.confidence", 0.8)],
  },
  {
    traceId: TRACE,
    spanId: B,
    parentSpanId: A,
    name: "lookup",
    startTimeUnixNano: ns(20),
    endTimeUnixNano: ns(40),
    attributes: [kv("seamtrace.confidence", 0.5)],
  },
];

describe("the otlp-close job", () => {
  it("leaves a trace waiting for its root alone until it has been quiet for SEAMTRACE_OTLP_IDLE_CLOSE_MS, then closes its run as RootMissing", async () => {
    const { key } = await ctx.newProject();
    await post(key, request(children));
    expect(await detail(key, runIdForTrace(TRACE))).toBeNull(); // waiting for the root

    clock += 59_000;
    await closeJob();
    expect(await detail(key, runIdForTrace(TRACE))).toBeNull();

    clock += 2_000;
    await closeJob();
    const d = (await detail(key, runIdForTrace(TRACE)))!;
    expect(d.run).toMatchObject({ status: "failed", key: TRACE, workflow: "claims", error: { name: "RootMissing" }, stopStepId: stepIdFor(TRACE, A) });
    const byName = Object.fromEntries(d.steps.map((s) => [s.name, s]));
    expect(byName.classify).toMatchObject({ parents: [], cumulative: 0.8 });
    expect(byName.lookup).toMatchObject({ parents: [stepIdFor(TRACE, A)], cumulative: 0.4 });
  });

  it("lets a root that arrives after the close end the run with its own status", async () => {
    const { key } = await ctx.newProject();
    await post(key, request(children));
    clock += 61_000;
    await closeJob();
    await post(key, request([{ traceId: TRACE, spanId: ROOT, name: "pipeline", startTimeUnixNano: ns(0), endTimeUnixNano: ns(100), status: { code: 1 } }]));
    const d = (await detail(key, runIdForTrace(TRACE)))!;
    expect(d.run).toMatchObject({ status: "completed", error: null });
    expect(d.steps).toHaveLength(3);
  });
});
