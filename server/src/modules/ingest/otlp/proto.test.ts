import { SpanKind, SpanStatusCode, context, trace } from "@opentelemetry/api";
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { decodeTraceRequest, decodeTraceResponse, encodeTraceResponse, OtlpDecodeError } from "./proto.js";

/** Spans from a real tracer, covering every field kind the OTLP trace schema has. */
async function recordedSpans(): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer("conformance", "1.2.3");
  const root = tracer.startSpan("root", { kind: SpanKind.SERVER, attributes: { "service.op": "x" } });
  const ctx = trace.setSpan(context.active(), root);
  const child = tracer.startSpan(
    "child",
    {
      kind: SpanKind.CLIENT,
      attributes: { s: "text", i: 42, big: 2 ** 40, d: 0.25, b: true, arr: ["a", "b"], nums: [1, 2.5] },
      links: [{ context: root.spanContext(), attributes: { why: "follows" } }],
    },
    ctx,
  );
  child.addEvent("gen_ai.evaluation.result", { "gen_ai.evaluation.score.value": 0.75, "gen_ai.evaluation.name": "judge" });
  child.setStatus({ code: SpanStatusCode.ERROR, message: "boom" });
  child.end();
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  await provider.forceFlush();
  return exporter.getFinishedSpans();
}

describe("OTLP protobuf decoding", () => {
  it("decodes what the official protobuf serializer writes into exactly what the official JSON serializer writes", async () => {
    const spans = await recordedSpans();
    const fromJson = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!)) as unknown;
    const fromProto = decodeTraceRequest(ProtobufTraceSerializer.serializeRequest(spans)!);
    expect(normalize(fromProto)).toEqual(normalize(fromJson));
    // And the comparison saw the fields that matter (not two empty objects).
    const span = (
      fromProto as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }> }
    ).resourceSpans[0]!.scopeSpans[0]!.spans.find((s) => s.name === "child")!;
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.parentSpanId).toMatch(/^[0-9a-f]{16}$/);
    expect(span.status).toEqual({ code: 2, message: "boom" });
    expect(span.kind).toBe(3);
  });

  it("refuses bytes that are not an ExportTraceServiceRequest", () => {
    expect(() => decodeTraceRequest(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]))).toThrow(OtlpDecodeError);
  });

  it("encodes the partial-success answer so the response decoder reads it back", () => {
    const bytes = encodeTraceResponse({ partialSuccess: { rejectedSpans: 3, errorMessage: "span 1: bad" } });
    expect(decodeTraceResponse(bytes)).toEqual({ partialSuccess: { rejectedSpans: "3", errorMessage: "span 1: bad" } });
    expect(encodeTraceResponse({}).byteLength).toBe(0);
  });
});

/**
 * What proto3 JSON leaves open: 64-bit integers as numbers or strings (the JSON serializer writes
 * times as numbers, so past 2^53 they are compared at double precision), and default values
 * (0, "", []) written or left out.
 */
function normalize(v: unknown, key = ""): unknown {
  if (Array.isArray(v)) return v.map((x) => normalize(x));
  if (key.endsWith("UnixNano")) return String(Number(v));
  if (typeof v === "number" && Number.isInteger(v)) return String(v);
  if (v && typeof v === "object") {
    const entries = Object.entries(v).filter(([, x]) => !(x === 0 || x === "0" || x === "" || (Array.isArray(x) && x.length === 0)));
    return Object.fromEntries(entries.map(([k, x]) => [k, normalize(x, k)]));
  }
  return v;
}
