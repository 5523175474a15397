/**
 * `POST /v1/logs`: GenAI event records from the official logs SDK, serialized by the official
 * OTLP transformer, attach to their span's step by trace and span id, whichever arrives first.
 */
import { context, trace, type Span } from "@opentelemetry/api";
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from "@opentelemetry/sdk-logs";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunDetailResponse } from "../../runs/contract.js";
import { putPolicy } from "../../policies/store.js";
import { createTestContext, type TestContext } from "../../../../test-support/testing.js";
import { decodeLogsResponse } from "./proto.js";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const resource = resourceFromAttributes({ "service.name": "claims-llm" });

/** A root and a chat span, ended; and the records `emit` writes in the chat span's context. */
async function traced(
  emit: (logger: ReturnType<LoggerProvider["getLogger"]>, chat: Span) => void,
): Promise<{ spans: ReadableSpan[]; records: ReadableLogRecord[]; traceId: string }> {
  const spanExporter = new InMemorySpanExporter();
  const tracing = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  const logExporter = new InMemoryLogRecordExporter();
  const logging = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] });
  const tracer = tracing.getTracer("t");
  const root = tracer.startSpan("answer");
  const chat = tracer.startSpan("chat m-1", { attributes: { "gen_ai.operation.name": "chat" } }, trace.setSpan(context.active(), root));
  emit(logging.getLogger("evals"), chat);
  chat.end();
  root.end();
  await tracing.forceFlush();
  await logging.forceFlush();
  return { spans: spanExporter.getFinishedSpans(), records: logExporter.getFinishedLogRecords(), traceId: root.spanContext().traceId };
}

const evaluation = (chat: Span, name: string, value: number, explanation?: string) => ({
  eventName: "gen_ai.evaluation.result",
  context: trace.setSpan(context.active(), chat),
  attributes: {
    "gen_ai.evaluation.name": name,
    "gen_ai.evaluation.score.value": value,
    ...(explanation ? { "gen_ai.evaluation.explanation": explanation } : {}),
  },
});

async function post(key: string, path: string, body: Uint8Array, protobuf = false) {
  const res = await ctx.app.request(path, {
    method: "POST",
    headers: { "Content-Type": protobuf ? "application/x-protobuf" : "application/json", Authorization: `Bearer ${key}` },
    body,
  });
  expect(res.status).toBe(200);
  return res;
}

async function chatStep(key: string, traceId: string) {
  const list = (await (await ctx.app.request(`/v1/runs?workflow=claims-llm`, { headers: { Authorization: `Bearer ${key}` } })).json()) as {
    items: Array<{ id: string; key: string }>;
  };
  const run = list.items.find((r) => r.key === traceId)!;
  const detail = (await (await ctx.app.request(`/v1/runs/${run.id}`, { headers: { Authorization: `Bearer ${key}` } })).json()) as RunDetailResponse;
  return detail.steps.find((s) => s.name === "chat m-1")!;
}

describe("POST /v1/logs", () => {
  it("attaches an evaluation record that arrives before its span, and lets the policy make it the confidence", async () => {
    const { key, projectId } = await ctx.newProject();
    await putPolicy(ctx.store.client, {
      projectId,
      workflow: "claims-llm",
      step: null,
      actor: "user:test",
      now: Date.now(),
      patch: { confidenceFrom: "faithfulness" },
    });
    const { spans, records, traceId } = await traced((logger, chat) => {
      logger.emit(evaluation(chat, "relevance", 0.9));
      logger.emit(evaluation(chat, "faithfulness", 0.4, "cites a clause the policy lacks"));
    });
    await post(key, "/v1/logs", JsonLogsSerializer.serializeRequest(records)!);
    await post(key, "/v1/traces", JsonTraceSerializer.serializeRequest(spans)!);
    const chat = await chatStep(key, traceId);
    expect(chat).toMatchObject({
      confidence: 0.4,
      reasoning: "cites a clause the policy lacks",
      features: { "score.faithfulness": 0.4, "score.relevance": 0.9 },
    });
    // In time order; two records of one millisecond in a stable order of their own.
    expect(chat.scores.map((s) => [s.name, s.value, s.origin]).sort()).toEqual([
      ["faithfulness", 0.4, "log"],
      ["relevance", 0.9, "log"],
    ]);
  });

  it("attaches an evaluation record that arrives after its span as a score of the step (protobuf)", async () => {
    const { key } = await ctx.newProject();
    const { spans, records, traceId } = await traced((logger, chat) => logger.emit(evaluation(chat, "relevance", 0.9)));
    await post(key, "/v1/traces", JsonTraceSerializer.serializeRequest(spans)!);
    const res = await post(key, "/v1/logs", ProtobufLogsSerializer.serializeRequest(records)!, true);
    expect(res.headers.get("content-type")).toBe("application/x-protobuf");
    expect(decodeLogsResponse(new Uint8Array(await res.arrayBuffer()))).toEqual({});
    const chat = await chatStep(key, traceId);
    expect(chat.scores).toEqual([expect.objectContaining({ name: "relevance", value: 0.9, origin: "log" })]);
    expect(chat.confidence).toBeNull(); // settled before the record came: the score is kept, the step stays as it settled
  });

  it("keeps other GenAI event records with the step, and a resent export once", async () => {
    const { key } = await ctx.newProject();
    const { spans, records, traceId } = await traced((logger, chat) =>
      logger.emit({
        eventName: "gen_ai.client.inference.operation.details",
        context: trace.setSpan(context.active(), chat),
        attributes: { "gen_ai.response.id": "resp-1" },
      }),
    );
    await post(key, "/v1/traces", JsonTraceSerializer.serializeRequest(spans)!);
    await post(key, "/v1/logs", JsonLogsSerializer.serializeRequest(records)!);
    await post(key, "/v1/logs", JsonLogsSerializer.serializeRequest(records)!);
    const chat = await chatStep(key, traceId);
    expect(chat.records).toEqual([
      { name: "gen_ai.client.inference.operation.details", time: expect.any(String), body: { attributes: { "gen_ai.response.id": "resp-1" } } },
    ]);
  });

  it("rejects, with partial success, records that are not GenAI events or name no span", async () => {
    const { key } = await ctx.newProject();
    const { records } = await traced((logger, chat) => {
      logger.emit({ body: "plain log line", context: trace.setSpan(context.active(), chat) });
      logger.emit({ eventName: "gen_ai.evaluation.result", attributes: { "gen_ai.evaluation.score.value": 1 } });
    });
    const res = await post(key, "/v1/logs", JsonLogsSerializer.serializeRequest(records)!);
    expect(await res.json()).toEqual({
      partialSuccess: {
        rejectedLogRecords: 2,
        errorMessage: expect.stringMatching(/^log record 0: not a GenAI event .*; log record 1: a GenAI event record needs the traceId and spanId/),
      },
    });
  });
});
