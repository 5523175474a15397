import { Agent, Runner, setTraceProcessors, setTracingDisabled, tool } from "@openai/agents";
import { withOpenAIAgents } from "@seamtrace/sdk/openai-agents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ScriptedAgentModel, type AgentTurn } from "./support/agents-model.js";
import { startReviewServer, type ReviewServer } from "./support/server.js";

/**
 * The OpenAI Agents adapter against the real `@openai/agents` (a minimal scripted Model, no
 * network, no OpenAI tracing export) and a real Seamtrace server: needsApproval answered from
 * the Seamtrace policy, the review applied to the serialised RunState, the agent run resumed.
 */

let server: ReviewServer;
beforeAll(async () => {
  server = await startReviewServer();
  // The SDK turns tracing off under NODE_ENV=test; the adapter reads the spans. Nothing is
  // exported to OpenAI: the only processor is the adapter's.
  setTracingDisabled(false);
});
afterAll(async () => {
  setTraceProcessors([]);
  await server?.close();
});

const SURE = [Math.log(0.95)];
const MAYBE = [Math.log(0.6)];

function setup(workflowName: string, turns: AgentTurn[], policy = { steps: { refund: { minConfidence: 0.8 }, output: { minConfidence: 0.5 } } }) {
  const st = server.client();
  const support = withOpenAIAgents(st.workflow(workflowName, { version: "1", ...policy }));
  setTraceProcessors([support.processor]);
  const executed: Array<[string, unknown]> = [];
  const lookupOrder = tool({
    name: "lookupOrder",
    description: "Look an order up",
    parameters: z.object({ orderId: z.string() }),
    execute: async (i) => (executed.push(["lookupOrder", i]), JSON.stringify({ orderId: i.orderId, paid: 500 })),
  });
  const refund = tool({
    name: "refund",
    description: "Refund an order",
    parameters: z.object({ orderId: z.string(), amount: z.number() }),
    execute: async (i) => (executed.push(["refund", i]), `refunded ${i.amount}`),
  });
  const model = new ScriptedAgentModel(turns);
  const agent = new Agent({ name: "support", instructions: "Help with orders.", model, tools: support.tools([lookupOrder, refund]) });
  const runner = new Runner();
  return { st, support, agent, runner, model, executed };
}

describe("@seamtrace/sdk/openai-agents with needsApproval and RunState", () => {
  it("holds a tool call (and its siblings) for review; a correction is applied to the serialised state and the run goes on", async () => {
    const { st, support, agent, runner, model, executed } = setup("agents-correct", [
      {
        toolCalls: [
          { id: "call_a", name: "lookupOrder", input: { orderId: "42" } },
          { id: "call_b", name: "refund", input: { orderId: "42", amount: 500 } },
        ],
        logprobs: MAYBE,
      },
      { text: "Refunded $50 on order 42.", logprobs: SURE },
    ]);
    const first = await support.run({ key: "ticket-42", input: "refund order 42" }, () => runner.run(agent, "Refund order 42, it broke."));
    expect(first.status).toBe("escalated");
    expect(first.escalation).toMatchObject({ step: "refund", kinds: ["confidence"] });
    expect(executed).toEqual([]); // the lookup waits with the refund
    expect(first.result?.interruptions).toHaveLength(2);
    expect(typeof first.state).toBe("string");

    await st.flush();
    await server.decide(first.escalation!.id, "correct", { orderId: "42", amount: 50 }, "partial refund");
    const saved = first.state!;
    const next = await support.resume(first.runId, { agent, state: saved }, (state) => runner.run(agent, state));
    expect(next.status).toBe("completed");
    expect(next.output).toBe("Refunded $50 on order 42.");
    expect(executed).toEqual(
      expect.arrayContaining([
        ["lookupOrder", { orderId: "42" }],
        ["refund", { orderId: "42", amount: 50 }],
      ]),
    );
    expect(executed).toHaveLength(2);
    expect(model.calls).toBe(2);
    const secondInput = JSON.stringify(model.requests[1]!.input);
    expect(secondInput).toContain("refunded 50");
    expect(secondInput).not.toContain('\\"amount\\":500');

    await st.flush();
    const detail = await server.runDetail(first.runId);
    expect(detail.run).toMatchObject({ status: "completed", output: "Refunded $50 on order 42." });
    const one = (n: string) => detail.steps.filter((x) => x.name === n);
    expect(one("support")).toHaveLength(1);
    const [m1, m2] = one("model");
    expect(m1!.parents).toEqual([one("support")[0]!.id]);
    expect(m1!.confidence as number).toBeCloseTo(0.6, 10);
    expect(m1!.features).toEqual({ model: "scripted-agent", inputTokens: 50, outputTokens: 9 });
    expect(one("refund")[0]).toMatchObject({ source: "human", output: { orderId: "42", amount: 50 }, parents: [m1!.id] });
    expect(one("lookupOrder")[0]).toMatchObject({ source: "inferred", parents: [m1!.id] });
    expect(one("refund.result")[0]).toMatchObject({ output: "refunded 50", parents: [one("refund")[0]!.id] });
    expect(one("lookupOrder.result")[0]).toMatchObject({ output: { orderId: "42", paid: 500 }, parents: [one("lookupOrder")[0]!.id] });
    expect([...(m2!.parents as string[])].sort()).toEqual([m1!.id, one("refund.result")[0]!.id, one("lookupOrder.result")[0]!.id].sort());
    expect(one("output")[0]).toMatchObject({ output: "Refunded $50 on order 42.", parents: [m2!.id] });
    // Confidences from the model's log-probabilities say so, on the model calls and on the tool
    // calls and the output that inherit them; the reviewer's value and the tools' results do not.
    const sources = server.sentSteps(first.runId).map((e) => [e.step, e.source ?? null, e.confidenceSource ?? null]);
    expect(sources).toEqual([
      ["support", "direct", null],
      ["model", "inferred", "logprob"],
      ["lookupOrder", "inferred", "logprob"],
      ["refund", "inferred", "logprob"],
      ["refund", "human", null],
      ["lookupOrder.result", "direct", null],
      ["refund.result", "direct", null],
      ["model", "inferred", "logprob"],
      ["output", "inferred", "logprob"],
    ]);
    // The ended run is not run again from its saved state.
    const twice = await support.resume(first.runId, { agent, state: saved }, (state) => runner.run(agent, state));
    expect(twice.status).toBe("duplicate");
    expect(executed).toHaveLength(2);
  });

  it("rejects the call in the state and fails the run on reject, without running the tool", async () => {
    const { st, support, agent, runner, model, executed } = setup("agents-reject", [
      { toolCalls: [{ id: "call_x", name: "refund", input: { orderId: "9", amount: 900 } }], logprobs: MAYBE },
    ]);
    const first = await support.run({}, () => runner.run(agent, "Refund order 9."));
    await st.flush();
    await server.decide(first.escalation!.id, "reject", undefined, "order 9 was never paid");
    const next = await support.resume(first.runId, { agent, state: first.state! }, (state) => runner.run(agent, state));
    expect(next.status).toBe("failed");
    expect(next.failure?.error).toMatchObject({ name: "ReviewRejected", message: "order 9 was never paid" });
    expect(executed).toEqual([]);
    expect(model.calls).toBe(1);
    // The rejection is in the state the app keeps, as the SDK's own reject() records it.
    expect(next.state).toContain("order 9 was never paid");
  });

  it("gates the final output; its review is the run's output, without running the agent again", async () => {
    const { st, support, agent, runner, model } = setup("agents-output", [{ text: "Your order ships Tuesday.", logprobs: [Math.log(0.3)] }], {
      steps: { output: { minConfidence: 0.5 } },
    } as never);
    const first = await support.run({}, () => runner.run(agent, "When does order 5 ship?"));
    expect(first).toMatchObject({ status: "escalated", escalation: { step: "output" } });
    await st.flush();
    await server.decide(first.escalation!.id, "correct", "Your order ships Thursday.");
    const next = await support.resume(first.runId, { agent, state: first.state! }, (state) => runner.run(agent, state));
    expect(next).toMatchObject({ status: "completed", output: "Your order ships Thursday." });
    expect(model.calls).toBe(1);
  });

  it("records handoffs and the agent that took over, and passes calls the policy trusts without stopping", async () => {
    const st = server.client();
    const support = withOpenAIAgents(st.workflow("agents-handoff", { steps: { refund: { minConfidence: 0.8 } } }), {
      scoreTool: (c) => ((c.input as { amount: number }).amount <= 100 ? 0.99 : 0.1),
    });
    setTraceProcessors([support.processor]);
    const executed: unknown[] = [];
    const refund = tool({
      name: "refund",
      description: "Refund",
      parameters: z.object({ orderId: z.string(), amount: z.number() }),
      execute: async (i) => (executed.push(i), "ok"),
    });
    const billing = new Agent({
      name: "billing",
      instructions: "Refunds.",
      model: new ScriptedAgentModel([{ toolCalls: [{ id: "r1", name: "refund", input: { orderId: "3", amount: 30 } }] }, { text: "Done." }]),
      tools: support.tools([refund]),
    });
    const triage = new Agent({
      name: "triage",
      instructions: "Route.",
      model: new ScriptedAgentModel([{ toolCalls: [{ id: "h1", name: "transfer_to_billing", input: {} }] }]),
      handoffs: [billing],
    });
    const r = await support.run({}, () => new Runner().run(triage, "I want a refund for order 3."));
    expect(r).toMatchObject({ status: "completed", output: "Done." });
    expect(executed).toEqual([{ orderId: "3", amount: 30 }]);
    await st.flush();
    const steps = (await server.runDetail(r.runId)).steps;
    const named = (n: string) => steps.find((x) => x.name === n)!;
    expect(named("handoff")).toMatchObject({ output: { from: "triage", to: "billing" } });
    expect(named("billing").parents).toEqual([named("handoff").id]);
    expect(named("refund")).toMatchObject({ confidence: 0.99, output: { orderId: "3", amount: 30 } });
    // A scorer's number claims no source.
    expect(server.sentSteps(r.runId).filter((e) => e.confidenceSource !== undefined)).toEqual([]);
  });
});
