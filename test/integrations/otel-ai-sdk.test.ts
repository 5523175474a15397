import { context } from "@opentelemetry/api";
import type { StepView } from "../../server/src/modules/runs/contract.js";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { generateText, stepCountIs, tool } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { scriptedModel } from "./support/ai-model.js";
import { startReviewServer, type ReviewServer } from "./support/server.js";

/**
 * The trace-based route, for apps that do not use an adapter: the AI SDK's own telemetry
 * (`experimental_telemetry`) on a tracer provider whose official OTLP/HTTP exporter sends to the
 * real server's `POST /v1/traces`. The generation is a run; its model calls and tool call are
 * steps under it, with the GenAI model and token usage kept as features.
 */

let server: ReviewServer;
// The AI SDK nests its spans through the active context, as any Node app's OpenTelemetry setup
// (NodeSDK) provides it.
const contextManager = new AsyncLocalStorageContextManager();
beforeAll(async () => {
  server = await startReviewServer();
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(async () => {
  context.disable();
  await server?.close();
});

async function get<T>(path: string): Promise<T> {
  const res = await fetch(server.url + path, { headers: { authorization: `Bearer ${server.apiKey}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

describe("AI SDK telemetry → OTLP exporter → POST /v1/traces", () => {
  it("records the generation as a run, its model calls and tool call as steps", async () => {
    const exported: number[] = [];
    const exporter = new OTLPTraceExporter({ url: `${server.url}/v1/traces`, headers: { Authorization: `Bearer ${server.apiKey}` } });
    const provider = new BasicTracerProvider({
      // The run's workflow; without it the service name is used.
      resource: resourceFromAttributes({ "service.name": "support-service", "seamtrace.workflow": "support-otel" }),
      spanProcessors: [
        new SimpleSpanProcessor({
          export: (spans, done) => exporter.export(spans, (r) => (exported.push(r.code), done(r))),
          shutdown: () => exporter.shutdown(),
          forceFlush: () => exporter.forceFlush(),
        }),
      ],
    });
    const s = scriptedModel([{ toolCalls: [{ id: "c1", name: "lookupOrder", input: { orderId: "42" } }] }, { text: "Order 42 was paid $500." }]);
    const result = await generateText({
      model: s.model,
      tools: {
        lookupOrder: tool({
          description: "Look an order up",
          inputSchema: z.object({ orderId: z.string() }),
          execute: async ({ orderId }) => ({ orderId, paid: 500 }),
        }),
      },
      prompt: "What was paid for order 42?",
      stopWhen: stepCountIs(3),
      experimental_telemetry: { isEnabled: true, tracer: provider.getTracer("ai"), functionId: "support" },
    });
    expect(result.text).toBe("Order 42 was paid $500.");
    await provider.forceFlush();
    await provider.shutdown();
    expect(exported.length).toBeGreaterThan(0);
    expect(exported.every((code) => code === 0)).toBe(true);

    const runs = await get<{ items: Array<{ id: string; status: string }> }>("/v1/runs?workflow=support-otel");
    expect(runs.items).toHaveLength(1);
    expect(runs.items[0]!.status).toBe("completed");
    const detail = await get<{ steps: StepView[] }>(`/v1/runs/${runs.items[0]!.id}`);
    const byName = (n: string) => detail.steps.filter((x) => x.name === n);
    const root = byName("ai.generateText");
    expect(root).toHaveLength(1);
    const calls = byName("ai.generateText.doGenerate");
    expect(calls).toHaveLength(2);
    for (const c of calls) {
      expect(c.parents).toEqual([root[0]!.id]);
      expect(c.features).toMatchObject({ "gen_ai.request.model": "scripted-1", "gen_ai.system": "scripted", "gen_ai.usage.output_tokens": 20 });
    }
    const toolCall = byName("ai.toolCall");
    expect(toolCall).toHaveLength(1);
    expect(toolCall[0]!.parents).toEqual([root[0]!.id]);
  });
});
