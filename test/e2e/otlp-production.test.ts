/**
 * Production OpenTelemetry setups against a running `seamtrace serve`, with the official SDK,
 * processors and exporters: the default BatchSpanProcessor exporting in several requests, a
 * trace started by an upstream service's `traceparent`, batches of large prompts, GenAI
 * evaluations sent as log records. What each one stores is read back through the query API.
 */
import { context, trace, type Context, type Tracer } from "@opentelemetry/api";
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from "@opentelemetry/core";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPTraceExporter as HttpJsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as HttpProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnServer, type SpawnedServer } from "../support/server.js";

let server: SpawnedServer;
beforeAll(async () => {
  server = await spawnServer();
}, 120_000);
afterAll(async () => {
  await server?.dispose();
});

/** Records what the server answered each export, and how many spans each carried. */
class Recording implements SpanExporter {
  readonly results: ExportResult[] = [];
  readonly sizes: number[] = [];
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.sizes.push(spans.length);
    this.inner.export(spans, (r) => {
      this.results.push(r);
      done(r);
    });
  }
  shutdown() {
    return this.inner.shutdown();
  }
  forceFlush() {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

const auth = () => ({ Authorization: `Bearer ${server.apiKey}` });
const protoExporter = () => new Recording(new HttpProtoExporter({ url: `${server.url}/v1/traces`, headers: auth(), compression: "gzip" as never }));

function provider(service: string, exporter: SpanExporter, batch: ConstructorParameters<typeof BatchSpanProcessor>[1] = {}) {
  return new BasicTracerProvider({ resource: resourceFromAttributes({ "service.name": service }), spanProcessors: [new BatchSpanProcessor(exporter, batch)] });
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(server.url + path, { headers: auth() });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

interface Step {
  id: string;
  name: string;
  parents: string[];
  confidence: number | null;
  cumulative: number | null;
  flagged: boolean;
  input: unknown;
  scores: Array<{ name: string; value: number; origin: string }>;
}
interface Detail {
  run: { id: string; key: string | null; status: string; workflow: string };
  steps: Step[];
}

async function runByKey(workflow: string, key: string): Promise<Detail> {
  const list = await getJson<{ items: Array<{ id: string; key: string | null }> }>(`/v1/runs?workflow=${encodeURIComponent(workflow)}&limit=500`);
  const run = list.items.find((r) => r.key === key);
  expect(run, `a run keyed ${key}`).toBeDefined();
  return getJson<Detail>(`/v1/runs/${run!.id}`);
}

const under = (_tracer: Tracer, parent: ReturnType<Tracer["startSpan"]>): Context => trace.setSpan(context.active(), parent);

describe("production OpenTelemetry setups", () => {
  it("gives three identical LLM calls under one agent the same cumulative confidence when the batch processor splits them", async () => {
    const exporter = protoExporter();
    // Exports only when flushed, so the split below is the test's, whatever the machine's speed.
    const p = provider("agents", exporter, { scheduledDelayMillis: 3_600_000 });
    const tracer = p.getTracer("agent");
    const agent = tracer.startSpan("agent", { attributes: { "seamtrace.confidence": 0.9, "seamtrace.workflow": "agents-named" } });
    for (let i = 0; i < 3; i++) {
      tracer.startSpan("chat", { attributes: { "seamtrace.confidence": 0.85 } }, under(tracer, agent)).end();
      // An export between calls, as the processor's timer makes one during slow LLM calls.
      if (i < 2) await p.forceFlush();
    }
    agent.end();
    await p.forceFlush();
    await p.shutdown();
    expect(exporter.sizes).toEqual([1, 1, 2]);
    expect(exporter.results.every((r) => r.code === ExportResultCode.SUCCESS)).toBe(true);

    const d = await runByKey("agents-named", agent.spanContext().traceId);
    const chats = d.steps.filter((s) => s.name === "chat");
    expect(chats.map((s) => s.cumulative)).toEqual([0.765, 0.765, 0.765].map((v) => expect.closeTo(v, 10)));
    expect(d.run.status).toBe("completed");
  }, 120_000);

  it("ends the run of a trace started by a gateway's traceparent, keyed by its trace id", async () => {
    const exporter = protoExporter();
    const p = provider("behind-gateway", exporter);
    const tracer = p.getTracer("svc");
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const incoming = new W3CTraceContextPropagator().extract(
      context.active(),
      { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      { get: (c, k) => (c as Record<string, string>)[k], keys: (c) => Object.keys(c as object) },
    );
    const handle = tracer.startSpan("POST /claims", { attributes: { "gen_ai.input.messages": '[{"role":"user","content":"roof"}]' } }, incoming);
    tracer.startSpan("chat", { attributes: { "seamtrace.confidence": 0.7 } }, under(tracer, handle)).end();
    await p.forceFlush(); // the child first
    handle.end();
    await p.shutdown();

    const state = await fetch(`${server.url}/v1/run-state?workflow=behind-gateway&key=${traceId}`, { headers: auth() });
    expect(state.status).toBe(200);
    const d = await runByKey("behind-gateway", traceId);
    expect(d.run.status).toBe("completed");
    const top = d.steps.find((s) => s.name === "POST /claims")!;
    expect(top.parents).toEqual([]);
    expect(top.input).toEqual([{ role: "user", content: "roof" }]);
    expect(d.steps.find((s) => s.name === "chat")!.parents).toEqual([top.id]);
  }, 120_000);

  it("stores 300 chat spans with 20 KB prompts sent through the default batch processor with gzip", async () => {
    const exporter = protoExporter();
    const p = provider("big-prompts", exporter);
    const tracer = p.getTracer("rag");
    const root = tracer.startSpan("answer");
    for (let i = 0; i < 300; i++) {
      const prompt = JSON.stringify([{ role: "user", content: `${i}:`.padEnd(20_000, "lorem ipsum ") }]);
      tracer.startSpan("chat", { attributes: { "gen_ai.input.messages": prompt, "seamtrace.confidence": 0.9 } }, under(tracer, root)).end();
    }
    // And one with a 1.2 M-character prompt, with a child that must not be orphaned.
    const huge = tracer.startSpan("chat-huge", { attributes: { "gen_ai.prompt": "x".repeat(1_200_000), "seamtrace.confidence": 0.6 } }, under(tracer, root));
    tracer.startSpan("after-huge", { attributes: { "seamtrace.confidence": 0.5 } }, under(tracer, huge)).end();
    huge.end();
    root.end();
    await p.forceFlush();
    await p.shutdown();
    expect(exporter.results.map((r) => r.code)).toEqual(exporter.results.map(() => ExportResultCode.SUCCESS));
    expect(exporter.sizes.reduce((a, b) => a + b, 0)).toBe(303);

    const d = await runByKey("big-prompts", root.spanContext().traceId);
    expect(d.steps).toHaveLength(303);
    const hugeStep = d.steps.find((s) => s.name === "chat-huge")!;
    expect(hugeStep.confidence).toBe(0.6);
    expect(String(hugeStep.input)).toMatch(/…\[truncated by Seamtrace: 1200000 characters\]$/);
    expect(d.steps.find((s) => s.name === "after-huge")).toMatchObject({ parents: [hugeStep.id], cumulative: 0.3 });
  }, 300_000);

  it("takes evaluations sent as log records by the official logs exporter", async () => {
    const exporter = new Recording(new HttpJsonExporter({ url: `${server.url}/v1/traces`, headers: auth() }));
    const p = provider("judged", exporter);
    const logs = new LoggerProvider({
      resource: resourceFromAttributes({ "service.name": "judged" }),
      processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${server.url}/v1/logs`, headers: auth() }) })],
    });
    const tracer = p.getTracer("judge");
    const root = tracer.startSpan("answer");
    const chat = tracer.startSpan("chat", {}, under(tracer, root));
    for (const [name, value] of [
      ["relevance", 0.95],
      ["faithfulness", 0.3],
    ] as const) {
      logs.getLogger("evals").emit({
        eventName: "gen_ai.evaluation.result",
        context: under(tracer, chat),
        attributes: { "gen_ai.evaluation.name": name, "gen_ai.evaluation.score.value": value },
      });
    }
    chat.end();
    root.end();
    await logs.forceFlush();
    await p.forceFlush();
    await Promise.all([logs.shutdown(), p.shutdown()]);

    const d = await runByKey("judged", root.spanContext().traceId);
    const step = d.steps.find((s) => s.name === "chat")!;
    expect(step.scores.map((s) => [s.name, s.value, s.origin]).sort()).toEqual([
      ["faithfulness", 0.3, "log"],
      ["relevance", 0.95, "log"],
    ]);
    // Both arrived before the span: the lowest is the confidence by default.
    expect(step.confidence).toBe(0.3);
  }, 120_000);
});
