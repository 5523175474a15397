/**
 * A scripted model for the OpenAI Agents SDK tests: a minimal `Model` that answers each call
 * with the next turn, and traces it as the SDK's Chat Completions model does (a `generation` span
 * whose output is the chat completion, log-probabilities and usage included).
 */
import { Usage, withGenerationSpan, type Model, type ModelRequest, type ModelResponse } from "@openai/agents";

export interface AgentTurn {
  text?: string;
  toolCalls?: Array<{ id: string; name: string; input: unknown }>;
  logprobs?: number[];
}

export class ScriptedAgentModel implements Model {
  readonly requests: ModelRequest[] = [];
  constructor(private readonly turns: AgentTurn[]) {}

  get calls(): number {
    return this.requests.length;
  }

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const turn = this.turns[this.requests.length - 1];
    if (!turn) throw new Error(`the script has no turn ${this.requests.length}`);
    return withGenerationSpan(async (span) => {
      span.spanData.model = "scripted-agent";
      const message = {
        role: "assistant",
        content: turn.text ?? null,
        tool_calls: (turn.toolCalls ?? []).map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: JSON.stringify(c.input) } })),
      };
      const logprobs = turn.logprobs ? { content: turn.logprobs.map((logprob, i) => ({ token: `t${i}`, logprob, top_logprobs: [] })) } : null;
      span.spanData.output = [{ model: "scripted-agent", choices: [{ index: 0, message, logprobs }], usage: { prompt_tokens: 50, completion_tokens: 9 } }];
      const output: ModelResponse["output"] = [];
      for (const c of turn.toolCalls ?? [])
        output.push({ type: "function_call", callId: c.id, name: c.name, arguments: JSON.stringify(c.input), status: "completed", id: `fc_${c.id}` });
      if (turn.text !== undefined)
        output.push({
          type: "message",
          role: "assistant",
          status: "completed",
          id: `msg_${this.requests.length}`,
          content: [{ type: "output_text", text: turn.text }],
        });
      return { usage: new Usage({ requests: 1, inputTokens: 50, outputTokens: 9, totalTokens: 59 }), output };
    });
  }

  // biome-ignore lint/correctness/useYield: the scripted model never streams
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error("the scripted model does not stream");
  }
}
