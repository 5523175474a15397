/**
 * The official OTLP/HTTP exporters, JSON and protobuf, from a real tracer provider, export to a
 * running `seamtrace serve`; the runs, steps, parents and confidences are read back through the
 * query API. SimpleSpanProcessor exports every span in a request of its own, so a child arrives
 * before its parent and the mapping has to join them across requests.
 */
import { context, trace, type Tracer } from "@opentelemetry/api";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { OTLPTraceExporter as HttpJsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as HttpProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnServer, type SpawnedServer } from "../support/server.js";

let server: SpawnedServer;
beforeAll(async () => {
  server = await spawnServer();
});
afterAll(async () => {
  await server?.dispose();
});

/** Records what the server answered each export. */
class Recording implements SpanExporter {
  readonly results: ExportResult[] = [];
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
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

/** A small claims pipeline traced the way an OpenTelemetry user already traces it. */
function tracePipeline(tracer: Tracer): string {
  // Contexts passed explicitly: no global context manager is registered in a test process.
  const root = tracer.startSpan("claims");
  const extract = tracer.startSpan(
    "extract",
    { attributes: { "gen_ai.operation.name": "chat", "gen_ai.request.model": "m-1", "gen_ai.usage.input_tokens": 200 } },
    trace.setSpan(context.active(), root),
  );
  extract.addEvent("gen_ai.evaluation.result", { "gen_ai.evaluation.name": "self", "gen_ai.evaluation.score.value": 0.9 });
  const classify = tracer.startSpan("classify", { attributes: { "seamtrace.confidence": 0.6 } }, trace.setSpan(context.active(), extract));
  classify.end();
  extract.end();
  root.end();
  return root.spanContext().traceId;
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(server.url + path, { headers: { Authorization: `Bearer ${server.apiKey}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

interface RunItem {
  id: string;
  key: string | null;
  workflow: string;
  status: string;
}
interface Detail {
  run: RunItem;
  steps: Array<{ id: string; name: string; parents: string[]; confidence: number | null; cumulative: number | null; features: Record<string, unknown> | null }>;
}

const exporters = [
  ["exporter-trace-otlp-http (JSON)", (url: string, key: string) => new HttpJsonExporter({ url, headers: { Authorization: `Bearer ${key}` } })],
  [
    "exporter-trace-otlp-proto (protobuf, gzip)",
    (url: string, key: string) => new HttpProtoExporter({ url, headers: { Authorization: `Bearer ${key}` }, compression: "gzip" as never }),
  ],
] as const;

describe("official OTLP exporters → POST /v1/traces → query API", () => {
  for (const [name, make] of exporters) {
    it(`${name}: the trace is a run whose steps keep their parents and confidences`, async () => {
      const exporter = new Recording(make(`${server.url}/v1/traces`, server.apiKey));
      const service = `otel-${name.split(" ")[0]}`;
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ "service.name": service }),
        spanProcessors: [new SimpleSpanProcessor(exporter)],
      });
      const traceId = tracePipeline(provider.getTracer("claims"));
      await provider.forceFlush();
      await provider.shutdown();
      expect(exporter.results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS, ExportResultCode.SUCCESS, ExportResultCode.SUCCESS]);

      const list = await getJson<{ items: RunItem[] }>(`/v1/runs?workflow=${encodeURIComponent(service)}`);
      const run = list.items.find((r) => r.key === traceId);
      expect(run, `a run keyed by trace ${traceId}`).toMatchObject({ workflow: service, status: "completed" });

      const detail = await getJson<Detail>(`/v1/runs/${run!.id}`);
      const steps = Object.fromEntries(detail.steps.map((s) => [s.name, s]));
      expect(Object.keys(steps).sort()).toEqual(["claims", "classify", "extract"]);
      expect(steps.claims!.parents).toEqual([]);
      expect(steps.extract!.parents).toEqual([steps.claims!.id]);
      expect(steps.classify!.parents).toEqual([steps.extract!.id]);
      expect(steps.extract).toMatchObject({
        confidence: 0.9,
        features: { "gen_ai.operation.name": "chat", "gen_ai.request.model": "m-1", "gen_ai.usage.input_tokens": 200 },
      });
      expect(steps.classify!.confidence).toBe(0.6);
      expect(steps.claims!.confidence).toBeNull();
    });
  }
});
