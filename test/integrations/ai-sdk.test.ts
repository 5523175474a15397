import { generateText, stepCountIs, tool, type ModelMessage } from "ai";
import { withAISDK, type AIContext } from "@seamtrace/sdk/ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { scriptedModel, type Turn } from "./support/ai-model.js";
import { startReviewServer, type ReviewServer } from "./support/server.js";

/**
 * The AI SDK adapter against the real `ai` package (MockLanguageModelV3 from `ai/test`, no
 * network) and a real Seamtrace server: tool calls gated by policy through the AI SDK's own tool
 * approval, reviewed through the review API, and the generation continued from the decision.
 */

let server: ReviewServer;
beforeAll(async () => {
  server = await startReviewServer();
});
afterAll(async () => {
  await server?.close();
});

// exp(mean) of these: 0.95 and 0.30.
const SURE = [Math.log(0.95), Math.log(0.95)];
const UNSURE = [Math.log(0.3), Math.log(0.3), Math.log(0.3)];
const MAYBE = [Math.log(0.6)];

function support(turns: Turn[]) {
  const scripted = scriptedModel(turns);
  const refunds: unknown[] = [];
  const tools = {
    lookupOrder: tool({
      description: "Look an order up",
      inputSchema: z.object({ orderId: z.string() }),
      execute: async ({ orderId }) => ({ orderId, paid: 500 }),
    }),
    refund: tool({
      description: "Refund an order",
      inputSchema: z.object({ orderId: z.string(), amount: z.number() }),
      execute: async (input) => (refunds.push(input), `refunded ${input.amount}`),
    }),
  };
  const generate = (ai: AIContext) =>
    generateText({ model: ai.model(scripted.model), tools: ai.tools(tools), messages: ai.messages, stopWhen: stepCountIs(5) });
  return { ...scripted, refunds, generate };
}

const ask: ModelMessage[] = [{ role: "user", content: "Please refund order 42, it arrived broken." }];

function workflow(name: string) {
  const st = server.client();
  const wf = st.workflow(name, { version: "1", steps: { refund: { minConfidence: 0.8 }, model: { minConfidence: 0.5 } } });
  return { st, ai: withAISDK(wf) };
}

describe("@seamtrace/sdk/ai with the AI SDK's tool approval", () => {
  it("holds an unsure tool call for review, and a correction continues the generation with the reviewer's input", async () => {
    const { st, ai } = workflow("refunds-correct");
    const s = support([
      { toolCalls: [{ id: "c1", name: "lookupOrder", input: { orderId: "42" } }], logprobs: SURE },
      { toolCalls: [{ id: "c2", name: "refund", input: { orderId: "42", amount: 500 } }], logprobs: MAYBE },
      { text: "I have refunded $50.", logprobs: SURE },
    ]);
    const first = await ai.run({ messages: ask, key: "ticket-1" }, s.generate);
    expect(first.status).toBe("escalated");
    expect(first.escalation).toMatchObject({ step: "refund", kinds: ["confidence"] });
    expect(s.refunds).toEqual([]); // the refund waits for the reviewer
    expect(s.calls()).toBe(2);
    // The AI SDK's own pause: an approval request for the refund, in the conversation to keep.
    const parts = first.messages.flatMap((m) => (typeof m.content === "string" ? [] : (m.content as Array<{ type: string }>)));
    expect(parts.filter((p) => p.type === "tool-approval-request")).toHaveLength(1);

    await st.flush();
    const packet = await server.escalation(first.escalation!.id);
    expect(packet).toMatchObject({ step: "refund", status: "open" });
    expect(JSON.stringify(packet)).toContain('"amount":500');
    // Open review: resuming calls nothing and says so.
    const early = await ai.resume(first.runId, { messages: first.messages }, s.generate);
    expect(early.status).toBe("escalated");
    expect(s.calls()).toBe(2);

    await server.decide(first.escalation!.id, "correct", { orderId: "42", amount: 50 }, "half the order arrived intact");
    const saved = JSON.parse(JSON.stringify(first.messages)) as ModelMessage[]; // as an app would store it
    const next = await ai.resume(first.runId, { messages: saved }, s.generate);
    expect(next.status).toBe("completed");
    expect(next.output).toBe("I have refunded $50.");
    expect(s.refunds).toEqual([{ orderId: "42", amount: 50 }]);
    // The model saw the corrected call and its result, and was not asked again for the refund.
    expect(s.calls()).toBe(3);
    const lastPrompt = JSON.stringify(s.prompts[2]);
    expect(lastPrompt).toContain("refunded 50");
    expect(lastPrompt).not.toContain('"amount":500');
    await st.flush();

    const detail = await server.runDetail(first.runId);
    expect(detail.run).toMatchObject({ status: "completed", output: "I have refunded $50." });
    const byName = (n: string) => detail.steps.filter((x) => x.name === n);
    expect(byName("model")).toHaveLength(3);
    expect(byName("refund")[0]).toMatchObject({ source: "human", output: { orderId: "42", amount: 50 }, confidence: 1 });
    expect(byName("lookupOrder")[0]).toMatchObject({ output: { orderId: "42" } });
    expect(byName("lookupOrder")[0]!.confidence as number).toBeCloseTo(0.95, 10);
    expect(byName("refund.result")[0]).toMatchObject({ output: "refunded 50", source: "direct" });
    // Lineage: model → call → result → next model.
    const [m1, m2, m3] = byName("model");
    expect(byName("lookupOrder")[0]!.parents).toEqual([m1!.id]);
    expect(byName("lookupOrder.result")[0]!.parents).toEqual([byName("lookupOrder")[0]!.id]);
    expect(m2!.parents).toEqual([m1!.id, byName("lookupOrder.result")[0]!.id]);
    expect(byName("refund")[0]!.parents).toEqual([m2!.id]);
    expect(byName("refund.result")[0]!.parents).toEqual([byName("refund")[0]!.id]);
    expect(m3!.parents).toEqual([m2!.id, byName("refund.result")[0]!.id]);
    expect(m1!.features).toMatchObject({ model: "scripted-1", provider: "scripted", inputTokens: 101, outputTokens: 20, finishReason: "tool-calls" });
    // Resuming the ended run again runs nothing: its saved conversation still holds the approval
    // request, which would otherwise run the refund a second time.
    const twice = await ai.resume(first.runId, { messages: saved }, s.generate);
    expect(twice.status).toBe("duplicate");
    expect(s.refunds).toHaveLength(1);
    expect(s.calls()).toBe(3);
    await st.flush();
    expect((await server.state(first.runId)).run.status).toBe("completed");
  });

  it("approves the call as the model made it on accept", async () => {
    const { st, ai } = workflow("refunds-accept");
    const s = support([
      { toolCalls: [{ id: "c1", name: "refund", input: { orderId: "7", amount: 20 } }], logprobs: MAYBE },
      { text: "Refunded $20.", logprobs: SURE },
    ]);
    const first = await ai.run({ messages: ask }, s.generate);
    expect(first.status).toBe("escalated");
    await st.flush();
    await server.decide(first.escalation!.id, "accept");
    const next = await ai.resume(first.runId, { messages: first.messages }, s.generate);
    expect(next).toMatchObject({ status: "completed", output: "Refunded $20." });
    expect(s.refunds).toEqual([{ orderId: "7", amount: 20 }]);
  });

  it("fails the run and denies the call on reject, without running the tool or the model", async () => {
    const { st, ai } = workflow("refunds-reject");
    const s = support([{ toolCalls: [{ id: "c1", name: "refund", input: { orderId: "9", amount: 900 } }], logprobs: MAYBE }]);
    const first = await ai.run({ messages: ask }, s.generate);
    await st.flush();
    await server.decide(first.escalation!.id, "reject", undefined, "order 9 was never paid");
    const next = await ai.resume(first.runId, { messages: first.messages }, s.generate);
    expect(next.status).toBe("failed");
    expect(next.failure?.error).toMatchObject({ name: "ReviewRejected", message: "order 9 was never paid" });
    expect(s.refunds).toEqual([]);
    expect(s.calls()).toBe(1);
    const last = next.messages.at(-1)!;
    expect(last).toMatchObject({ role: "tool", content: [{ type: "tool-approval-response", approved: false, reason: "order 9 was never paid" }] });
    await st.flush();
    expect((await server.state(first.runId)).run.status).toBe("failed");
  });

  it("holds every tool call of a response while one of them is reviewed", async () => {
    const { st, ai } = workflow("refunds-siblings");
    const s = support([
      {
        toolCalls: [
          { id: "a", name: "lookupOrder", input: { orderId: "5" } },
          { id: "b", name: "refund", input: { orderId: "5", amount: 60 } },
          { id: "c", name: "refund", input: { orderId: "6", amount: 10 } },
        ],
        logprobs: UNSURE.map(() => Math.log(0.7)),
      },
      { text: "Both refunded.", logprobs: SURE },
    ]);
    // The model's 0.7 passes its own gate; refunds need 0.8, so the first refund escalates.
    const first = await ai.run({ messages: ask }, s.generate);
    expect(first.status).toBe("escalated");
    expect(first.escalation?.step).toBe("refund");
    expect(s.refunds).toEqual([]);
    await st.flush();
    // The second refund was never gated (the run stopped first): on resume it is, and escalates.
    await server.decide(first.escalation!.id, "accept");
    const second = await ai.resume(first.runId, { messages: first.messages }, s.generate);
    expect(second.status).toBe("escalated");
    expect(s.refunds).toEqual([]);
    expect(s.calls()).toBe(1);
    await st.flush();
    // The second refund, gated on resume, still reports the model's confidence as from logprobs.
    expect(
      server
        .sentSteps(first.runId)
        .filter((e) => e.step === "refund")
        .map((e) => [e.source, e.confidenceSource]),
    ).toEqual([
      ["inferred", "logprob"],
      ["human", undefined],
      ["inferred", "logprob"],
    ]);
    await server.decide(second.escalation!.id, "correct", { orderId: "6", amount: 5 });
    const done = await ai.resume(first.runId, { messages: second.messages }, s.generate);
    expect(done).toMatchObject({ status: "completed", output: "Both refunded." });
    expect(s.refunds).toEqual([
      { orderId: "5", amount: 60 },
      { orderId: "6", amount: 5 },
    ]);
    await st.flush();
    // Both reviewed calls keep their place in the DAG: children of the model call that made them.
    const steps = (await server.runDetail(first.runId)).steps;
    const model = steps.find((x) => x.name === "model")!;
    expect(steps.filter((x) => x.name === "refund").map((x) => [x.source, x.parents])).toEqual([
      ["human", [model.id]],
      ["human", [model.id]],
    ]);
  });

  it("escalates an unsure final answer; its review is the output, without asking the model again", async () => {
    const { st, ai } = workflow("answers");
    const s = support([{ text: "Your order ships Tuesday.", logprobs: [Math.log(0.2)] }]);
    const first = await ai.run({ messages: ask }, s.generate);
    expect(first).toMatchObject({ status: "escalated", escalation: { step: "model", kinds: ["confidence"] } });
    await st.flush();
    await server.decide(first.escalation!.id, "correct", { text: "Your order ships Thursday." });
    const next = await ai.resume(first.runId, { messages: first.messages }, s.generate);
    expect(next).toMatchObject({ status: "completed", output: "Your order ships Thursday." });
    expect(s.calls()).toBe(1);
    expect(next.messages.at(-1)).toMatchObject({ role: "assistant", content: [{ type: "text", text: "Your order ships Thursday." }] });
  });

  it("reports a confidence from log-probabilities as such, on the model call and the tool calls that inherit it", async () => {
    const { st, ai } = workflow("refunds-sources");
    const s = support([
      { toolCalls: [{ id: "c1", name: "lookupOrder", input: { orderId: "42" } }], logprobs: SURE },
      { text: "Order 42 was paid.", logprobs: SURE },
    ]);
    const r = await ai.run({ messages: ask }, s.generate);
    expect(r.status).toBe("completed");
    await st.flush();
    const sent = server.sentSteps(r.runId).map((e) => [e.step, e.confidenceSource ?? null]);
    expect(sent.sort()).toEqual([
      ["lookupOrder", "logprob"],
      ["lookupOrder.result", null],
      ["model", "logprob"],
      ["model", "logprob"],
    ]);
  });

  it("takes the confidence from the scorers when given, and leaves a call unscored without logprobs", async () => {
    const st = server.client();
    const seen: unknown[] = [];
    const ai = withAISDK(st.workflow("scored", { steps: { refund: { minConfidence: 0.8 } } }), {
      scoreModel: (c) => (c.text.includes("sure") ? 0.9 : undefined),
      scoreTool: (c) => (seen.push(c), (c.input as { amount: number }).amount > 100 ? 0.1 : 0.99),
    });
    const s = support([{ toolCalls: [{ id: "x", name: "refund", input: { orderId: "1", amount: 30 } }] }, { text: "sure, done" }]);
    const r = await ai.run({ messages: ask }, s.generate);
    expect(r).toMatchObject({ status: "completed", output: "sure, done" });
    expect(seen).toEqual([{ toolCallId: "x", toolName: "refund", input: { orderId: "1", amount: 30 }, modelConfidence: undefined }]);
    await st.flush();
    const steps = (await server.runDetail(r.runId)).steps;
    expect(steps.map((x) => [x.name, x.confidence]).sort()).toEqual([
      ["model", null],
      ["model", 0.9],
      ["refund", 0.99],
      ["refund.result", null],
    ]);
    // The scorers' numbers come from elsewhere than log-probabilities: no source is claimed.
    expect(server.sentSteps(r.runId).map((e) => e.confidenceSource)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it("reports a scorer's value as from log-probabilities when it hands back theirs", async () => {
    const st = server.client();
    const ai = withAISDK(st.workflow("scored-logprobs"), { scoreModel: (c) => c.logprobConfidence ?? 0.5 });
    const s = support([{ text: "Order 42 ships today.", logprobs: SURE }]);
    const r = await ai.run({ messages: ask }, s.generate);
    await st.flush();
    expect(server.sentSteps(r.runId).map((e) => [e.step, e.confidenceSource])).toEqual([["model", "logprob"]]);
  });
});
