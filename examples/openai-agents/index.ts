/**
 * An OpenAI Agents SDK support agent whose refund tool waits for a reviewer when the call is
 * unsure. Offline: the model is a minimal scripted `Model`; the SDK's tracing goes to the
 * Seamtrace processor only (nothing is exported to OpenAI).
 *
 *   npm run build   # once: the SDK's adapters load from sdk/dist
 *   SEAMTRACE_ENDPOINT=http://localhost:7077 SEAMTRACE_API_KEY=st_… npx tsx examples/openai-agents/index.ts
 *
 * The refund interrupts the agent run through needsApproval; the serialised RunState is kept.
 * Decide it in the review queue and the decision is applied to that state (a corrected amount
 * rewrites the call), and the agent run continues.
 */
import { Agent, Runner, setTraceProcessors, setTracingDisabled, tool, Usage, withGenerationSpan, type Model, type ModelResponse } from "@openai/agents";
import { Seamtrace } from "@seamtrace/sdk";
import { withOpenAIAgents } from "@seamtrace/sdk/openai-agents";
import { pathToFileURL } from "node:url";
import { z } from "zod";

/** A model that answers from a script, traced as the SDK's Chat Completions model traces. */
function scriptedModel(turns: Array<{ text?: string; call?: { name: string; input: unknown }; p: number }>): Model {
  let n = 0;
  return {
    async getResponse(): Promise<ModelResponse> {
      const t = turns[n++]!;
      return withGenerationSpan(async (span) => {
        const logprobs = { content: [{ token: "…", logprob: Math.log(t.p), top_logprobs: [] }] };
        const message = t.call
          ? {
              role: "assistant",
              content: null,
              tool_calls: [{ id: `call_${n}`, type: "function", function: { name: t.call.name, arguments: JSON.stringify(t.call.input) } }],
            }
          : { role: "assistant", content: t.text };
        span.spanData.model = "scripted-agent";
        span.spanData.output = [{ model: "scripted-agent", choices: [{ index: 0, message, logprobs }], usage: { prompt_tokens: 80, completion_tokens: 12 } }];
        const output: ModelResponse["output"] = t.call
          ? [{ type: "function_call", callId: `call_${n}`, name: t.call.name, arguments: JSON.stringify(t.call.input), status: "completed" }]
          : [{ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: t.text ?? "" }] }];
        return { usage: new Usage({ requests: 1, inputTokens: 80, outputTokens: 12, totalTokens: 92 }), output };
      });
    },
    // biome-ignore lint/correctness/useYield: the scripted model never streams
    async *getStreamedResponse() {
      throw new Error("not streamed");
    },
  };
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
  const support = withOpenAIAgents(st.workflow("support-agents", { steps: { refund: { minConfidence: 0.8 } } }));
  setTracingDisabled(false); // the adapter reads the SDK's spans (off under NODE_ENV=test)
  setTraceProcessors([support.processor]);
  const refund = tool({
    name: "refund",
    description: "Refund an order",
    parameters: z.object({ orderId: z.string(), amount: z.number() }),
    execute: async ({ orderId, amount }) => (log(`refund: $${amount} on order ${orderId}`), `refunded ${amount}`),
  });
  const agent = new Agent({
    name: "support",
    instructions: "Resolve refund requests.",
    model: scriptedModel([
      { call: { name: "refund", input: { orderId: "42", amount: 500 } }, p: 0.6 },
      { text: "Your refund is on its way.", p: 0.96 },
    ]),
    tools: support.tools([refund]),
  });
  const runner = new Runner();

  let result = await support.run({ key: "ticket-42", input: "refund order 42" }, () => runner.run(agent, "Order 42 arrived broken. Refund me."));
  while (result.status === "escalated") {
    const id = result.escalation!.id;
    log(`escalated: step "${result.escalation!.step}" waits for review (escalation ${id})`);
    await st.flush();
    if (options.onEscalated) await options.onEscalated(id);
    else await waitForReview(st, result.runId, log, options.endpoint ?? process.env.SEAMTRACE_ENDPOINT ?? "http://localhost:7077");
    // Keep `result.state` (a string) wherever you keep paused runs; here it is still in memory.
    result = await support.resume(result.runId, { agent, state: result.state! }, (state) => runner.run(agent, state));
  }
  log(`${result.status}: ${result.status === "completed" ? String(result.output) : JSON.stringify(result.failure?.error ?? result)}`);
  setTraceProcessors([]);
  await st.shutdown();
  return result;
}

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
