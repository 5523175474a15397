/**
 * Records the OTLP fixtures of framework conventions, offline, from the real packages:
 * - the Vercel AI SDK (`ai`) running generateText with a tool call and embed against its own mock
 *   models (`ai/test`), with telemetry on, traced by the OpenTelemetry SDK;
 * - OpenInference: an agent, an LLM call with flattened messages and a tool call, a tool and a
 *   retriever, written with the attribute names of @arizeai/openinference-semantic-conventions.
 * The spans are serialized by the official OTLP/JSON transformer, as the HTTP exporter sends them.
 *
 *   npx tsx server/test-support/otlp/record-fixtures.ts
 */
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { MimeType, OpenInferenceSpanKind, SemanticConventions as SC } from "@arizeai/openinference-semantic-conventions";
import { embed, generateText, stepCountIs, tool } from "ai";
import { MockEmbeddingModelV3, MockLanguageModelV3 } from "ai/test";
import { writeFileSync } from "node:fs";
import { z } from "zod";

const out = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

function tracing(service: string) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": service }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return { exporter, provider, tracer: provider.getTracer(service) };
}

async function save(name: string, t: ReturnType<typeof tracing>): Promise<void> {
  await t.provider.forceFlush();
  const json = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(t.exporter.getFinishedSpans())!)) as unknown;
  writeFileSync(out(name), JSON.stringify(json, null, 1) + "\n");
}

async function aiSdk(): Promise<void> {
  const t = tracing("ai-sdk-app");
  const usage = (input: number, output: number) => ({
    inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
  });
  let call = 0;
  const model = new MockLanguageModelV3({
    doGenerate: async () => {
      call++;
      if (call === 1) {
        return {
          content: [{ type: "tool-call", toolCallId: "call-1", toolName: "lookupPolicy", input: JSON.stringify({ policy: "P-1" }) }],
          finishReason: { unified: "tool-calls", raw: "tool_calls" },
          usage: usage(41, 9),
          warnings: [],
        };
      }
      return { content: [{ type: "text", text: "The roof is covered." }], finishReason: { unified: "stop", raw: "stop" }, usage: usage(63, 6), warnings: [] };
    },
  });
  await t.tracer.startActiveSpan("claims-assistant", async (root) => {
    await generateText({
      model,
      system: "You are a claims assistant.",
      prompt: "Is storm damage to the roof covered?",
      tools: {
        lookupPolicy: tool({
          description: "Looks a policy up",
          inputSchema: z.object({ policy: z.string() }),
          execute: async ({ policy }) => ({ policy, covers: ["storm", "fire"] }),
        }),
      },
      stopWhen: stepCountIs(3),
      experimental_telemetry: { isEnabled: true, tracer: t.tracer, functionId: "answer-claim", metadata: { claimId: "C-7" } },
    });
    await embed({
      model: new MockEmbeddingModelV3({ doEmbed: async () => ({ embeddings: [[0.1, 0.2, 0.3]], usage: { tokens: 5 }, warnings: [] }) }),
      value: "storm damage",
      experimental_telemetry: { isEnabled: true, tracer: t.tracer },
    });
    root.end();
  });
  await save("ai-sdk.json", t);
}

async function openInference(): Promise<void> {
  const t = tracing("openinference-app");
  const kind = SC.OPENINFERENCE_SPAN_KIND;
  await t.tracer.startActiveSpan(
    "claims-agent",
    { attributes: { [kind]: OpenInferenceSpanKind.AGENT, [SC.INPUT_VALUE]: "Is storm damage covered?", [SC.OUTPUT_VALUE]: "Yes: policy P-1 covers storms." } },
    async (agent) => {
      const input = (i: number, role: string, content: string) => ({
        [`${SC.LLM_INPUT_MESSAGES}.${i}.${SC.MESSAGE_ROLE}`]: role,
        [`${SC.LLM_INPUT_MESSAGES}.${i}.${SC.MESSAGE_CONTENT}`]: content,
      });
      const llm = t.tracer.startSpan("ChatOpenAI", {
        attributes: {
          [kind]: OpenInferenceSpanKind.LLM,
          [SC.LLM_MODEL_NAME]: "gpt-4o-mini",
          [SC.LLM_PROVIDER]: "openai",
          [SC.LLM_SYSTEM]: "openai",
          [SC.LLM_INVOCATION_PARAMETERS]: JSON.stringify({ temperature: 0 }),
          [SC.INPUT_VALUE]: JSON.stringify({
            messages: [
              { role: "system", content: "You are a claims assistant." },
              { role: "user", content: "Is storm damage covered?" },
            ],
          }),
          [SC.INPUT_MIME_TYPE]: MimeType.JSON,
          ...input(0, "system", "You are a claims assistant."),
          ...input(1, "user", "Is storm damage covered?"),
          [`${SC.LLM_OUTPUT_MESSAGES}.0.${SC.MESSAGE_ROLE}`]: "assistant",
          [`${SC.LLM_OUTPUT_MESSAGES}.0.${SC.MESSAGE_TOOL_CALLS}.0.${SC.TOOL_CALL_ID}`]: "call-1",
          [`${SC.LLM_OUTPUT_MESSAGES}.0.${SC.MESSAGE_TOOL_CALLS}.0.${SC.TOOL_CALL_FUNCTION_NAME}`]: "lookup_policy",
          [`${SC.LLM_OUTPUT_MESSAGES}.0.${SC.MESSAGE_TOOL_CALLS}.0.${SC.TOOL_CALL_FUNCTION_ARGUMENTS_JSON}`]: JSON.stringify({ policy: "P-1" }),
          [SC.LLM_TOKEN_COUNT_PROMPT]: 41,
          [SC.LLM_TOKEN_COUNT_COMPLETION]: 9,
          [SC.LLM_TOKEN_COUNT_TOTAL]: 50,
          [SC.SESSION_ID]: "session-9",
        },
      });
      llm.end();
      const toolSpan = t.tracer.startSpan("lookup_policy", {
        attributes: {
          [kind]: OpenInferenceSpanKind.TOOL,
          [SC.TOOL_NAME]: "lookup_policy",
          [SC.INPUT_VALUE]: JSON.stringify({ policy: "P-1" }),
          [SC.INPUT_MIME_TYPE]: MimeType.JSON,
          [SC.OUTPUT_VALUE]: JSON.stringify({ covers: ["storm", "fire"] }),
          [SC.OUTPUT_MIME_TYPE]: MimeType.JSON,
        },
      });
      toolSpan.end();
      const retriever = t.tracer.startSpan("retrieve", { attributes: { [kind]: OpenInferenceSpanKind.RETRIEVER, [SC.INPUT_VALUE]: "storm damage clauses" } });
      retriever.end();
      agent.end();
    },
  );
  await save("openinference.json", t);
}

await aiSdk();
await openInference();
console.log("recorded ai-sdk.json and openinference.json");
