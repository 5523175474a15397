/**
 * A scripted LangChain chat model for the LangGraph tests: each call answers with the next turn,
 * an AIMessage carrying token log-probabilities and usage where ChatOpenAI puts them
 * (`response_metadata.logprobs.content`, `usage_metadata`).
 */
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";

export interface ChatTurn {
  text: string;
  logprobs: number[];
}

export class ScriptedChatModel extends BaseChatModel {
  calls = 0;
  readonly prompts: BaseMessage[][] = [];
  constructor(private readonly turns: ChatTurn[]) {
    super({});
  }
  _llmType(): string {
    return "scripted";
  }
  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    this.prompts.push(messages);
    const turn = this.turns[this.calls++];
    if (!turn) throw new Error(`the script has no turn ${this.calls}`);
    const message = new AIMessage({
      content: turn.text,
      response_metadata: {
        model_name: "scripted-chat",
        logprobs: { content: turn.logprobs.map((logprob, i) => ({ token: `t${i}`, logprob, top_logprobs: [] })) },
      },
      usage_metadata: { input_tokens: 40, output_tokens: 8, total_tokens: 48 },
    });
    return { generations: [{ message, text: turn.text }] };
  }
}
