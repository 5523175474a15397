import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { Annotation, END, MemorySaver, messagesStateReducer, START, StateGraph } from "@langchain/langgraph";
import { withLangGraph, type EscalationPacket } from "@seamtrace/sdk/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptedChatModel } from "./support/chat-model.js";
import { startReviewServer, type ReviewServer } from "./support/server.js";

/**
 * The LangGraph adapter against the real `@langchain/langgraph` (a scripted chat model and plain
 * functions, no network) and a real Seamtrace server: a failing gate raises LangGraph's
 * interrupt() with the escalation packet, the thread waits in the graph's checkpointer, and the
 * reviewer's decision resumes it with Command({ resume }) without running the node again.
 */

let server: ReviewServer;
beforeAll(async () => {
  server = await startReviewServer();
});
afterAll(async () => {
  await server?.close();
});

const State = Annotation.Root({
  ticket: Annotation<string>(),
  order: Annotation<{ id: string; paid: number } | undefined>(),
  messages: Annotation<BaseMessage[]>({ reducer: messagesStateReducer, default: () => [] }),
  sent: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});
type S = typeof State.State;

/** fetch (a read) → draft (the chat model) → send (an email: a side effect). */
function replyGraph(gates: ReturnType<typeof withLangGraph>, model: ScriptedChatModel, checkpointer = new MemorySaver()) {
  const calls = { fetch: 0, draft: 0, send: 0 };
  const outbox: string[] = [];
  const graph = new StateGraph(State)
    .addNode(
      "fetch",
      gates.node(async (s: S) => (calls.fetch++, { order: { id: s.ticket, paid: 500 } }), { score: () => 0.99 }),
    )
    .addNode(
      "draft",
      gates.node(async (s: S) => (calls.draft++, { messages: [await model.invoke([new HumanMessage(`Answer ticket ${s.ticket}`)])] })),
    )
    .addNode(
      "send",
      gates.node(async (s: S) => {
        calls.send++;
        const text = String(s.messages.at(-1)!.content);
        outbox.push(text);
        return { sent: [text] };
      }),
    )
    .addEdge(START, "fetch")
    .addEdge("fetch", "draft")
    .addEdge("draft", "send")
    .addEdge("send", END)
    .compile({ checkpointer });
  return { graph, calls, outbox, checkpointer };
}

const SURE = [Math.log(0.95)];
const UNSURE = [Math.log(0.4), Math.log(0.4)];

describe("@seamtrace/sdk/langgraph with interrupt() and Command({ resume })", () => {
  it("pauses the thread at an unsure node, and a correction resumes it through the checkpointer without running the node again", async () => {
    const st = server.client();
    const gates = withLangGraph(st.workflow("replies", { policy: { minConfidence: 0.7 } }));
    const model = new ScriptedChatModel([{ text: "We refund nothing.", logprobs: UNSURE }]);
    const { graph, calls, outbox, checkpointer } = replyGraph(gates, model);
    const config = { configurable: { thread_id: "ticket-42" } };

    const first = await gates.invoke(graph, { ticket: "42" }, config, { key: "ticket-42" });
    expect(first.status).toBe("escalated");
    expect(first.escalation).toMatchObject({ step: "draft", kinds: ["confidence"] });
    expect(calls).toEqual({ fetch: 1, draft: 1, send: 0 });
    // LangGraph's own pause: the interrupt carries the escalation packet.
    const interrupts = (first.state as { __interrupt__?: Array<{ value: EscalationPacket }> }).__interrupt__!;
    expect(interrupts).toHaveLength(1);
    expect(interrupts[0]!.value).toMatchObject({
      seamtrace: "escalated",
      runId: first.runId,
      step: "draft",
      escalationId: first.escalation!.id,
      kinds: ["confidence"],
    });
    expect(interrupts[0]!.value.confidence).toBeCloseTo(0.4, 10);
    expect(interrupts[0]!.value.confidenceSource).toBe("logprob");
    expect((await graph.getState(config)).next).toEqual(["draft"]);

    await st.flush();
    // While the review is open, resuming changes nothing.
    expect((await gates.resume(graph, config)).status).toBe("escalated");
    expect(calls).toEqual({ fetch: 1, draft: 1, send: 0 });

    await server.decide(
      first.escalation!.id,
      "correct",
      { messages: [{ role: "assistant", content: "We will refund $500 today." }] },
      "policy covers broken items",
    );
    // Another process: a new client and a freshly compiled graph over the same checkpointer.
    const st2 = server.client();
    const gates2 = withLangGraph(st2.workflow("replies", { policy: { minConfidence: 0.7 } }));
    const again = replyGraph(gates2, model, checkpointer);
    const next = await gates2.resume(again.graph, config);
    expect(next.status).toBe("completed");
    expect(again.calls).toEqual({ fetch: 0, draft: 0, send: 1 }); // draft did not run again
    expect(model.calls).toBe(1);
    expect(again.outbox).toEqual(["We will refund $500 today."]);
    expect((next.output as S).sent).toEqual(["We will refund $500 today."]);
    expect(outbox).toEqual([]);

    await st2.flush();
    const detail = await server.runDetail(first.runId);
    expect(detail.run).toMatchObject({ status: "completed", key: "ticket-42" });
    const step = (n: string) => detail.steps.find((x) => x.name === n)!;
    expect(step("draft")).toMatchObject({ source: "human", confidence: 1, parents: [step("fetch").id] });
    expect(step("send").parents).toEqual([step("draft").id]);
    expect(step("fetch").confidence).toBe(0.99);
    expect(step("send").input).toMatchObject({ ticket: "42" });
    // The model's log-probabilities are named as the draft's source; the scorer's 0.99 claims none.
    expect(server.sentSteps(first.runId).map((e) => [e.step, e.source, e.confidenceSource ?? null])).toEqual([
      ["fetch", "inferred", null],
      ["draft", "inferred", "logprob"],
      ["draft", "human", null],
      ["send", "inferred", null],
    ]);
    // Resuming again finds nothing to do.
    expect((await gates2.resume(again.graph, config)).status).not.toBe("completed");
    expect(again.calls.send).toBe(1);
  });

  it("accepts with the node's own update, chat messages and all, and takes confidence and usage from the model", async () => {
    const st = server.client();
    const gates = withLangGraph(st.workflow("replies-accept", { policy: { minConfidence: 0.7 } }));
    const model = new ScriptedChatModel([{ text: "Refund approved.", logprobs: UNSURE }]);
    const { graph, calls, outbox } = replyGraph(gates, model);
    const config = { configurable: { thread_id: "ticket-7" } };
    const first = await gates.invoke(graph, { ticket: "7" }, config);
    await st.flush();
    const packet = await server.escalation(first.escalation!.id);
    expect(JSON.stringify(packet)).toContain("Refund approved.");
    await server.decide(first.escalation!.id, "accept");
    const next = await gates.resume(graph, config);
    expect(next.status).toBe("completed");
    expect(calls).toEqual({ fetch: 1, draft: 1, send: 1 });
    expect(outbox).toEqual(["Refund approved."]);
    const last = (next.output as S).messages.at(-1)!;
    expect(last).toBeInstanceOf(AIMessage);
    expect(last.content).toBe("Refund approved.");
    await st.flush();
    const draft = (await server.runDetail(first.runId)).steps.find((x) => x.name === "draft")!;
    expect(draft.features).toEqual({ model: "scripted-chat", inputTokens: 40, outputTokens: 8 });
  });

  it("fails the graph run on reject, and the nodes after it never run", async () => {
    const st = server.client();
    const gates = withLangGraph(st.workflow("replies-reject", { policy: { minConfidence: 0.7 } }));
    const model = new ScriptedChatModel([{ text: "Refund $5,000.", logprobs: UNSURE }]);
    const { graph, calls } = replyGraph(gates, model);
    const config = { configurable: { thread_id: "ticket-9" } };
    const first = await gates.invoke(graph, { ticket: "9" }, config);
    await st.flush();
    await server.decide(first.escalation!.id, "reject", undefined, "not our customer");
    const next = await gates.resume(graph, config);
    expect(next.status).toBe("failed");
    expect(next.failure?.error).toMatchObject({ name: "ReviewRejected", message: "not our customer" });
    expect(calls).toEqual({ fetch: 1, draft: 1, send: 0 });
    await st.flush();
    expect((await server.state(first.runId)).run.status).toBe("failed");
  });

  it("runs each node of a parallel branch once, while a sibling's review holds the join", async () => {
    const st = server.client();
    const gates = withLangGraph(st.workflow("fan-out", { policy: { minConfidence: 0.7 } }));
    const calls: Record<string, number> = {};
    const count = (n: string) => (calls[n] = (calls[n] ?? 0) + 1);
    const P = Annotation.Root({ parts: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
    const graph = new StateGraph(P)
      .addNode(
        "split",
        gates.node(async () => (count("split"), { parts: ["split"] })),
      )
      .addNode(
        "risky",
        gates.node(async () => (count("risky"), { parts: ["risky"] }), { score: () => 0.2 }),
      )
      .addNode(
        "safe",
        gates.node(async () => (count("safe"), { parts: ["safe"] }), { score: () => 0.9 }),
      )
      .addNode(
        "join",
        gates.node(async (s: typeof P.State) => (count("join"), { parts: [`join(${[...s.parts].sort().join(",")})`] })),
      )
      .addEdge(START, "split")
      .addEdge("split", "risky")
      .addEdge("split", "safe")
      .addEdge(["risky", "safe"], "join")
      .addEdge("join", END)
      .compile({ checkpointer: new MemorySaver() });
    const config = { configurable: { thread_id: "fan-1" } };
    const first = await gates.invoke(graph, {}, config);
    expect(first).toMatchObject({ status: "escalated", escalation: { step: "risky" } });
    expect(calls.join).toBeUndefined();
    await st.flush();
    await server.decide(first.escalation!.id, "correct", { parts: ["risky-fixed"] });
    const next = await gates.resume(graph, config);
    expect(next.status).toBe("completed");
    expect(calls).toEqual({ split: 1, risky: 1, safe: 1, join: 1 });
    expect((next.output as typeof P.State).parts).toContain("join(risky-fixed,safe,split)");
    await st.flush();
    const steps = (await server.runDetail(first.runId)).steps;
    const id = (n: string) => steps.find((x) => x.name === n)!.id;
    expect([...(steps.find((x) => x.name === "join")!.parents as string[])].sort()).toEqual([id("risky"), id("safe")].sort());
  });

  // Which of two parallel nodes reaches its gate first decides how the other is kept: a safe
  // node done first has its write saved by LangGraph; one stopped by the escalation keeps its
  // update in a waiting packet. Either way no node function runs twice.
  for (const order of ["safe first", "escalation first"] as const) {
    it(`runs each parallel node once whatever reaches its gate first (${order})`, async () => {
      const st = server.client();
      const gates = withLangGraph(st.workflow(`fan-out-${order.split(" ")[0]}`, { policy: { minConfidence: 0.7 } }));
      const calls: Record<string, number> = {};
      const count = (n: string) => (calls[n] = (calls[n] ?? 0) + 1);
      const later = () => new Promise((resolve) => setTimeout(resolve, 20));
      let safeDone!: () => void;
      const safeFinished = new Promise<void>((resolve) => (safeDone = resolve));
      const P = Annotation.Root({ parts: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
      const graph = new StateGraph(P)
        .addNode(
          "risky",
          gates.node(
            async () => {
              count("risky");
              // A macrotask after the safe node returned: its gate (all microtasks) has run.
              if (order === "safe first") await safeFinished.then(later);
              return { parts: ["risky"] };
            },
            { score: () => 0.2 },
          ),
        )
        .addNode(
          "safe",
          gates.node(
            async () => {
              count("safe");
              if (order === "escalation first") await later();
              safeDone();
              return { parts: ["safe"] };
            },
            { score: () => 0.9 },
          ),
        )
        .addNode(
          "join",
          gates.node(async (s: typeof P.State) => (count("join"), { parts: [`join(${[...s.parts].sort().join(",")})`] })),
        )
        .addEdge(START, "risky")
        .addEdge(START, "safe")
        .addEdge(["risky", "safe"], "join")
        .addEdge("join", END)
        .compile({ checkpointer: new MemorySaver() });
      const config = { configurable: { thread_id: `fan-${order}` } };
      const first = await gates.invoke(graph, {}, config);
      expect(first).toMatchObject({ status: "escalated", escalation: { step: "risky" } });
      const packets = (first.state as { __interrupt__?: Array<{ value: EscalationPacket }> }).__interrupt__!.map((i) => [i.value.step, i.value.seamtrace]);
      expect(packets.sort()).toEqual(
        order === "safe first"
          ? [["risky", "escalated"]]
          : [
              ["risky", "escalated"],
              ["safe", "waiting"],
            ],
      );
      await st.flush();
      await server.decide(first.escalation!.id, "accept");
      const next = await gates.resume(graph, config);
      expect(next.status).toBe("completed");
      expect(calls).toEqual({ risky: 1, safe: 1, join: 1 });
      expect((next.output as typeof P.State).parts).toContain("join(risky,safe)");
    });
  }

  it("keeps a waiting node's logprob source in its packet, and reports it when the node is judged on resume", async () => {
    const st = server.client();
    const gates = withLangGraph(st.workflow("fan-out-logprob", { policy: { minConfidence: 0.7 } }));
    const model = new ScriptedChatModel([{ text: "Looks fine.", logprobs: SURE }]);
    const P = Annotation.Root({ messages: Annotation<BaseMessage[]>({ reducer: messagesStateReducer, default: () => [] }) });
    const graph = new StateGraph(P)
      .addNode(
        "risky",
        gates.node(async () => ({ messages: [] }), { score: () => 0.2 }),
      )
      .addNode(
        "check",
        gates.node(async () => {
          // A macrotask later: the risky node's escalation has stopped the run by then.
          await new Promise((resolve) => setTimeout(resolve, 20));
          return { messages: [await model.invoke([new HumanMessage("check")])] };
        }),
      )
      .addEdge(START, "risky")
      .addEdge(START, "check")
      .addEdge("risky", END)
      .addEdge("check", END)
      .compile({ checkpointer: new MemorySaver() });
    const config = { configurable: { thread_id: "fan-logprob" } };
    const first = await gates.invoke(graph, {}, config);
    const waiting = (first.state as { __interrupt__?: Array<{ value: EscalationPacket }> }).__interrupt__!.find((i) => i.value.step === "check")!.value;
    expect(waiting).toMatchObject({ seamtrace: "waiting", confidenceSource: "logprob" });
    await st.flush();
    await server.decide(first.escalation!.id, "accept");
    expect((await gates.resume(graph, config)).status).toBe("completed");
    expect(model.calls).toBe(1);
    await st.flush();
    const check = server.sentSteps(first.runId).filter((e) => e.step === "check");
    expect(check.map((e) => [e.confidence, e.confidenceSource])).toEqual([[0.95, "logprob"]]);
  });

  it("resumes the paused call of a node that ran before in a loop", async () => {
    const st = server.client();
    const gates = withLangGraph(st.workflow("loop", { policy: { minConfidence: 0.7 } }));
    const L = Annotation.Root({ drafts: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
    const scores = [0.9, 0.3];
    let drafted = 0;
    const graph = new StateGraph(L)
      .addNode(
        "draft",
        gates.node(async () => ({ drafts: [`draft ${++drafted}`] }), { score: () => scores[drafted - 1] }),
      )
      .addEdge(START, "draft")
      .addConditionalEdges("draft", (s: typeof L.State) => (s.drafts.length < 2 ? "draft" : END), ["draft", END])
      .compile({ checkpointer: new MemorySaver() });
    const config = { configurable: { thread_id: "loop-1" } };
    const first = await gates.invoke(graph, {}, config);
    expect(first).toMatchObject({ status: "escalated", escalation: { step: "draft" } });
    await st.flush();
    await server.decide(first.escalation!.id, "correct", { drafts: ["draft 2, reviewed"] });
    const next = await gates.resume(graph, config);
    expect(next.status).toBe("completed");
    expect(drafted).toBe(2);
    expect((next.output as typeof L.State).drafts).toEqual(["draft 1", "draft 2, reviewed"]);
    await st.flush();
    const state = await server.state(first.runId);
    expect(state.steps.map((x) => [x.name, x.call, x.source])).toEqual([
      ["draft", 0, "inferred"],
      ["draft", 1, "human"],
    ]);
    expect(state.steps[1]!.parents).toEqual([state.steps[0]!.stepId]);
  });
});
