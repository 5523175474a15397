/**
 * A support agent on the Vercel AI SDK whose refunds wait for a reviewer when the model is unsure.
 * Offline: the "model" is scripted (MockLanguageModelV3 from `ai/test`), reporting token
 * log-probabilities the way the OpenAI provider does.
 *
 *   npm run build   # once: the SDK's adapters load from sdk/dist
 *   SEAMTRACE_ENDPOINT=http://localhost:7077 SEAMTRACE_API_KEY=st_… npx tsx examples/ai-sdk/index.ts
 *
 * The refund escalates; decide it in the Seamtrace review queue (accept, correct the amount, or
 * reject) and the generation continues from your decision.
 */
import { generateText, stepCountIs, tool, type ModelMessage } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { Seamtrace } from "@seamtrace/sdk";
import { withAISDK, type AIContext } from "@seamtrace/sdk/ai";
import { pathToFileURL } from "node:url";
import { z } from "zod";

type Turn = { text?: string; call?: { name: string; input: unknown }; p: number };

/** A model that answers from a script, with the log-probability of every token at `p`. */
function scriptedModel(turns: Turn[]) {
  let n = 0;
  return new MockLanguageModelV3({
    modelId: "scripted-support",
    doGenerate: async () => {
      const t = turns[n++]!;
      return {
        content: t.call
          ? [{ type: "tool-call", toolCallId: `call-${n}`, toolName: t.call.name, input: JSON.stringify(t.call.input) }]
          : [{ type: "text", text: t.text ?? "" }],
        finishReason: { unified: t.call ? "tool-calls" : "stop", raw: undefined },
        usage: {
          inputTokens: { total: 120, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
          outputTokens: { total: 18, text: 18, reasoning: undefined },
        },
        warnings: [],
        providerMetadata: { openai: { logprobs: [{ token: "…", logprob: Math.log(t.p), top_logprobs: [] }] } },
      };
    },
  });
}

export interface ExampleOptions {
  endpoint?: string;
  apiKey?: string;
  log?: (line: string) => void;
  /** Called once the escalation is in the review queue; the default waits for a person. */
  onEscalated?: (escalationId: string) => Promise<void>;
}

export async function main(options: ExampleOptions = {}) {
  const log = options.log ?? console.log;
  const st = new Seamtrace({ endpoint: options.endpoint ?? process.env.SEAMTRACE_ENDPOINT, apiKey: options.apiKey ?? process.env.SEAMTRACE_API_KEY });
  // Refunds need 0.8; the model's own 0.6 is not enough for one.
  const support = withAISDK(st.workflow("support-ai-sdk", { steps: { refund: { minConfidence: 0.8 } } }));
  const model = scriptedModel([
    { call: { name: "lookupOrder", input: { orderId: "42" } }, p: 0.95 },
    { call: { name: "refund", input: { orderId: "42", amount: 500 } }, p: 0.6 },
    { text: "Done: your refund is on its way.", p: 0.97 },
  ]);
  const tools = {
    lookupOrder: tool({
      description: "Look an order up",
      inputSchema: z.object({ orderId: z.string() }),
      execute: async ({ orderId }) => ({ orderId, paid: 500, damaged: "one of two items" }),
    }),
    refund: tool({
      description: "Refund an order",
      inputSchema: z.object({ orderId: z.string(), amount: z.number() }),
      execute: async ({ orderId, amount }) => (log(`refund: $${amount} on order ${orderId}`), `refunded ${amount}`),
    }),
  };
  const generate = (ai: AIContext) => generateText({ model: ai.model(model), tools: ai.tools(tools), messages: ai.messages, stopWhen: stepCountIs(5) });
  const messages: ModelMessage[] = [{ role: "user", content: "Order 42 arrived with one of two items broken. Refund me." }];

  let result = await support.run({ messages, key: "ticket-42" }, generate);
  while (result.status === "escalated") {
    const id = result.escalation!.id;
    log(`escalated: step "${result.escalation!.step}" waits for review (escalation ${id})`);
    await st.flush();
    if (options.onEscalated) await options.onEscalated(id);
    else await waitForReview(st, result.runId, log, options.endpoint ?? process.env.SEAMTRACE_ENDPOINT ?? "http://localhost:7077");
    // Keep `result.messages` wherever you keep conversations; here it is still in memory.
    result = await support.resume(result.runId, { messages: result.messages }, generate);
  }
  log(`${result.status}: ${result.status === "completed" ? String(result.output) : JSON.stringify(result.failure?.error ?? result)}`);
  await st.shutdown();
  return result;
}

/** Waits until a reviewer has decided this run's escalation. */
async function waitForReview(st: Seamtrace, runId: string, log: (line: string) => void, endpoint: string): Promise<void> {
  log(`decide it in the review queue (${endpoint}) …`);
  // The SDK's polling never keeps a process alive by itself; this wait should.
  const keepAlive = setInterval(() => {}, 60_000);
  await new Promise<void>((resolve) => {
    const stop = st.onResolved((review) => {
      if (review.runId !== runId) return;
      stop();
      resolve();
    });
  });
  clearInterval(keepAlive);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
