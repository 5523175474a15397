/**
 * A LangGraph.js ticket-reply graph whose drafted answer waits for a reviewer when the chat model
 * is unsure, before the "send" node emails it. Offline: the chat model is scripted, reporting
 * token log-probabilities where ChatOpenAI puts them.
 *
 *   npm run build   # once: the SDK's adapters load from sdk/dist
 *   SEAMTRACE_ENDPOINT=http://localhost:7077 SEAMTRACE_API_KEY=st_… npx tsx examples/langgraph/index.ts
 *
 * The draft escalates through LangGraph's interrupt(); the thread waits in its checkpointer.
 * Decide it in the review queue and the thread resumes with Command({ resume }): "send" runs with
 * the reviewed draft, and the draft node's model is not called again.
 */
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { Annotation, END, MemorySaver, messagesStateReducer, START, StateGraph } from "@langchain/langgraph";
import { Seamtrace } from "@seamtrace/sdk";
import { withLangGraph } from "@seamtrace/sdk/langgraph";
import { pathToFileURL } from "node:url";

/** A chat model that answers from a script, every token at log-probability log(p). */
class ScriptedChat extends BaseChatModel {
  private n = 0;
  constructor(private readonly turns: Array<{ text: string; p: number }>) {
    super({});
  }
  _llmType() {
    return "scripted";
  }
  async _generate(): Promise<ChatResult> {
    const t = this.turns[this.n++]!;
    const message = new AIMessage({
      content: t.text,
      response_metadata: { model_name: "scripted-chat", logprobs: { content: [{ token: "…", logprob: Math.log(t.p), top_logprobs: [] }] } },
    });
    return { generations: [{ message, text: t.text }] };
  }
}

const State = Annotation.Root({
  ticket: Annotation<string>(),
  messages: Annotation<BaseMessage[]>({ reducer: messagesStateReducer, default: () => [] }),
  sent: Annotation<string | undefined>(),
});

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
  const gates = withLangGraph(st.workflow("ticket-replies", { policy: { minConfidence: 0.7 } }));
  const chat = new ScriptedChat([{ text: "We cannot refund damaged items.", p: 0.55 }]);
  const graph = new StateGraph(State)
    .addNode(
      "draft",
      gates.node(async (s: typeof State.State) => ({ messages: [await chat.invoke([new HumanMessage(`Reply to: ${s.ticket}`)])] })),
    )
    .addNode(
      "send",
      gates.node(async (s: typeof State.State) => {
        const text = String(s.messages.at(-1)!.content);
        log(`send: "${text}"`); // the side effect: runs once, with the reviewed draft
        return { sent: text };
      }),
    )
    .addEdge(START, "draft")
    .addEdge("draft", "send")
    .addEdge("send", END)
    .compile({ checkpointer: new MemorySaver() }); // any checkpointer; a durable one survives restarts
  const config = { configurable: { thread_id: "ticket-7" } };

  let result = await gates.invoke(graph, { ticket: "My parcel arrived broken, can I get a refund?" }, config, { key: "ticket-7" });
  while (result.status === "escalated") {
    const id = result.escalation!.id;
    log(`escalated: node "${result.escalation!.step}" waits for review (escalation ${id}); the thread is paused`);
    await st.flush();
    if (options.onEscalated) await options.onEscalated(id);
    else await waitForReview(st, result.runId, log, options.endpoint ?? process.env.SEAMTRACE_ENDPOINT ?? "http://localhost:7077");
    result = await gates.resume(graph, config);
  }
  log(
    `${result.status}: ${result.status === "completed" ? `sent "${(result.output as typeof State.State).sent}"` : JSON.stringify(result.failure?.error ?? result)}`,
  );
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
