/**
 * Gates for OpenTelemetry users (`@seamtrace/sdk/otel`): a pipeline traced with an OpenTelemetry
 * tracer escalates at its gate, is reviewed, and resumes — against a real server, with the spans
 * also exported to Seamtrace's `POST /v1/traces` by the official exporter, as a user who points
 * everything at Seamtrace would.
 */
import { context, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { Seamtrace } from "@seamtrace/sdk";
import { seamtraceSpanProcessor, withTracer, type TracedRun } from "@seamtrace/sdk/otel";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath, spawnServer, type SpawnedServer } from "../support/server.js";

const exec = promisify(execFile);
const PASSWORD = "a long reviewer password";

let server: SpawnedServer;
let cookie: string;
let provider: BasicTracerProvider;
const memory = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(async () => {
  server = await spawnServer();
  await exec(
    process.execPath,
    [cliPath, "users", "create", "--email", "rev@example.test", "--role", "reviewer", "--project", "default", "--password-env", "PW"],
    {
      env: { PATH: process.env.PATH ?? "", SEAMTRACE_DATA_DIR: server.dataDir, PW: PASSWORD },
    },
  );
  const login = await fetch(`${server.url}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "rev@example.test", password: PASSWORD }),
  });
  expect(login.status).toBe(200);
  cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  // What an instrumented app has: a context manager, and a provider exporting over OTLP.
  context.setGlobalContextManager(contextManager.enable());
  provider = new BasicTracerProvider({
    spanProcessors: [
      seamtraceSpanProcessor(),
      new SimpleSpanProcessor(memory),
      new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${server.url}/v1/traces`, headers: { Authorization: `Bearer ${server.apiKey}` } })),
    ],
  });
});
afterAll(async () => {
  await provider?.shutdown();
  context.disable();
  await server?.dispose();
});

async function api(path: string, init: { method?: string; body?: unknown; key?: boolean } = {}) {
  const headers: Record<string, string> = init.key ? { authorization: `Bearer ${server.apiKey}` } : { cookie };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${server.url}${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> };
}

/** classify is unsure and escalates; inside it, an "LLM call" span as an instrumentation makes one. */
function pipeline(tracer: Tracer, calls: Record<string, number>) {
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  return async (run: TracedRun) => {
    const fields = await run.step("extract", { input: "storm tore the roof" }, () => (count("extract"), { value: { amount: 4000 }, confidence: 0.95 }));
    const kind = await run.step("classify", { from: [fields] }, async (_ctx, span) => {
      count("classify");
      span.setAttribute("gen_ai.request.model", "m-1");
      const llm = tracer.startSpan("chat m-1", { attributes: { "gen_ai.operation.name": "chat", "gen_ai.usage.output_tokens": 12 } });
      llm.end();
      return { value: "storm", confidence: 0.41, alternatives: ["flood"] };
    });
    const reserve = await run.step("reserve", { from: [kind] }, () => (count("reserve"), { value: `${kind.value}:${fields.value.amount}`, confidence: 0.9 }));
    return reserve.value;
  };
}

const attrs = (s: ReadableSpan) => s.attributes as Record<string, unknown>;

describe("withTracer: gates, escalation and resume with OpenTelemetry spans", () => {
  it("escalates at the gate inside spans, files instrumented child spans under the step, and resumes after review", async () => {
    const st = new Seamtrace({ endpoint: server.url, apiKey: server.apiKey });
    const tracer = provider.getTracer("roof");
    const claims = withTracer(st.workflow("roof-otel", { policy: { minConfidence: 0.6, onLow: "escalate" } }), tracer);
    const calls: Record<string, number> = {};

    const first = await claims.run({ key: "claim-otel-1" }, pipeline(tracer, calls));
    expect(first.status).toBe("escalated");
    expect(calls).toEqual({ extract: 1, classify: 1 });
    await st.flush();
    await provider.forceFlush();

    // The spans say what the gates decided.
    const spans = memory.getFinishedSpans();
    const byName = (n: string) => spans.filter((s) => s.name === n);
    const runSpan = byName("roof-otel")[0]!;
    const classify = byName("classify")[0]!;
    const llm = byName("chat m-1")[0]!;
    expect(attrs(runSpan)).toMatchObject({
      "seamtrace.run.id": first.runId,
      "seamtrace.run.status": "escalated",
      "seamtrace.escalation.id": first.escalation!.id,
    });
    expect(attrs(byName("extract")[0]!)).toMatchObject({ "seamtrace.confidence": 0.95, "seamtrace.gate.outcome": "pass" });
    expect(attrs(classify)).toMatchObject({
      "seamtrace.gate.outcome": "escalate",
      "seamtrace.gate.kinds": ["confidence"],
      "seamtrace.escalation.id": first.escalation!.id,
    });
    expect(classify.parentSpanContext?.spanId).toBe(runSpan.spanContext().spanId);
    expect(llm.parentSpanContext?.spanId).toBe(classify.spanContext().spanId);
    expect(attrs(llm)).toMatchObject({ "seamtrace.run.id": first.runId, "seamtrace.parent.step.id": first.escalation!.stepId });

    // Seamtrace has the steps once (the SDK's), and the LLM span from OTLP under classify.
    const detail = (await api(`/v1/runs/${first.runId}`, { key: true })).body as {
      run: { status: string };
      steps: Array<{ id: string; name: string; parents: string[]; features: Record<string, unknown> | null }>;
    };
    expect(detail.run.status).toBe("paused");
    expect(detail.steps.map((s) => s.name).sort()).toEqual(["chat m-1", "classify", "extract"]);
    const chat = detail.steps.find((s) => s.name === "chat m-1")!;
    expect(chat.parents).toEqual([first.escalation!.stepId]);
    expect(chat.features).toMatchObject({ "gen_ai.operation.name": "chat" });

    // A reviewer corrects classify; the run resumes from there: recorded steps make no spans.
    expect((await api(`/v1/escalations/${first.escalation!.id}/claim`, { method: "POST", body: {} })).status).toBe(200);
    const decided = await api(`/v1/escalations/${first.escalation!.id}/decision`, {
      method: "POST",
      body: { decision: "correct", output: "flood", reason: "photos show water" },
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    memory.reset();
    const resumed = await claims.resume(first.runId, pipeline(tracer, calls));
    expect(resumed).toMatchObject({ status: "completed", output: "flood:4000" });
    expect(calls).toEqual({ extract: 1, classify: 1, reserve: 1 });
    await st.shutdown();
    await provider.forceFlush();
    expect(
      memory
        .getFinishedSpans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(["reserve", "roof-otel"]);
    expect((await api(`/v1/runs/${first.runId}`, { key: true })).body).toMatchObject({ run: { status: "completed" } });
  });

  it("files instrumented spans under their step without the span processor, and keeps what the step's span was given", async () => {
    // No seamtraceSpanProcessor: the LLM span carries nothing of Seamtrace's, only its parent.
    const bare = new BasicTracerProvider({
      spanProcessors: [
        new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${server.url}/v1/traces`, headers: { Authorization: `Bearer ${server.apiKey}` } })),
      ],
    });
    try {
      const st = new Seamtrace({ endpoint: server.url, apiKey: server.apiKey });
      const tracer = bare.getTracer("roof");
      const claims = withTracer(st.workflow("roof-bare", { policy: { minConfidence: 0.6, onLow: "escalate" } }), tracer);
      const first = await claims.run({ key: "claim-bare-1" }, pipeline(tracer, {}));
      expect(first.status).toBe("escalated");
      await st.shutdown();
      await bare.forceFlush();

      const detail = (await api(`/v1/runs/${first.runId}`, { key: true })).body as {
        steps: Array<{ id: string; name: string; parents: string[]; metadata: { attributes: Record<string, unknown> } | null }>;
      };
      expect(detail.steps.map((s) => s.name).sort()).toEqual(["chat m-1", "classify", "extract"]);
      expect(detail.steps.find((s) => s.name === "chat m-1")!.parents).toEqual([first.escalation!.stepId]);
      // Set on the step's span by the step's code: shown as the step's metadata.
      expect(detail.steps.find((s) => s.name === "classify")!.metadata!.attributes).toMatchObject({ "gen_ai.request.model": "m-1" });
      const runs = (await api(`/v1/runs?workflow=roof-bare`, { key: true })).body as { items: unknown[] };
      expect(runs.items).toHaveLength(1);
    } finally {
      await bare.shutdown();
    }
  });

  it("puts the step's confidence on the span of a step that escalated", async () => {
    memory.reset();
    const st = new Seamtrace({ endpoint: server.url, apiKey: server.apiKey });
    const tracer = provider.getTracer("roof");
    const claims = withTracer(st.workflow("roof-conf", { policy: { minConfidence: 0.6, onLow: "escalate" } }), tracer);
    const r = await claims.run({ key: "claim-conf-1" }, pipeline(tracer, {}));
    expect(r.status).toBe("escalated");
    await st.shutdown();
    const classify = memory.getFinishedSpans().find((s) => s.name === "classify")!;
    expect(attrs(classify)).toMatchObject({ "seamtrace.gate.outcome": "escalate", "seamtrace.confidence": 0.41 });
  });

  it("works without a context manager: steps are children of the run span", async () => {
    context.disable();
    try {
      const local = new InMemorySpanExporter();
      const p = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(local)] });
      const st = new Seamtrace({ endpoint: server.url });
      const wf = withTracer(st.workflow("plain-otel"), p.getTracer("t"));
      const r = await wf.run({}, async (run) => (await run.step("only", () => ({ value: 1, confidence: 0.7 }))).value);
      expect(r).toMatchObject({ status: "completed", output: 1 });
      const [step, runSpan] = local.getFinishedSpans();
      expect(step!.name).toBe("only");
      expect(step!.parentSpanContext?.spanId).toBe(runSpan!.spanContext().spanId);
      await st.shutdown();
    } finally {
      context.setGlobalContextManager(contextManager.enable());
    }
  });
});
