/**
 * A scripted language model for the AI SDK tests: the AI SDK's own `MockLanguageModelV3`, each
 * call answered by the next turn of a script, with the prompt it got kept for assertions. Token
 * log-probabilities ride in `providerMetadata.openai.logprobs`, where the OpenAI provider puts
 * them.
 */
import { MockLanguageModelV3 } from "ai/test";

type Content = Awaited<ReturnType<MockLanguageModelV3["doGenerate"]>>["content"];

export interface Turn {
  text?: string;
  toolCalls?: Array<{ id: string; name: string; input: unknown }>;
  /** Per-token log-probabilities reported with the answer. */
  logprobs?: number[];
}

export function scriptedModel(turns: Turn[]) {
  const prompts: unknown[][] = [];
  const model = new MockLanguageModelV3({
    provider: "scripted",
    modelId: "scripted-1",
    doGenerate: async (options) => {
      prompts.push(options.prompt as unknown[]);
      const turn = turns[prompts.length - 1];
      if (!turn) throw new Error(`the script has no turn ${prompts.length}`);
      const content: Content = [];
      if (turn.text !== undefined) content.push({ type: "text", text: turn.text });
      for (const c of turn.toolCalls ?? []) content.push({ type: "tool-call", toolCallId: c.id, toolName: c.name, input: JSON.stringify(c.input) });
      return {
        content,
        finishReason: { unified: turn.toolCalls?.length ? "tool-calls" : "stop", raw: undefined },
        usage: {
          inputTokens: { total: 100 + prompts.length, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
          outputTokens: { total: 20, text: 20, reasoning: undefined },
        },
        warnings: [],
        ...(turn.logprobs
          ? { providerMetadata: { openai: { logprobs: turn.logprobs.map((logprob, i) => ({ token: `t${i}`, logprob, top_logprobs: [] })) } } }
          : {}),
      };
    },
  });
  return { model, prompts, calls: () => prompts.length };
}
