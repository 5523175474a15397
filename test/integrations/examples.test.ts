import { describe, expect, it } from "vitest";
import { main as aiSdk } from "../../examples/ai-sdk/index.js";
import { main as langgraph } from "../../examples/langgraph/index.js";
import { main as openaiAgents } from "../../examples/openai-agents/index.js";
import { startReviewServer } from "./support/server.js";

/**
 * Each framework example runs end to end against a real server: it escalates, a reviewer decides
 * through the review API while it waits, and it finishes from the decision.
 */
describe("framework examples", () => {
  const cases = [
    ["examples/ai-sdk", aiSdk, { orderId: "42", amount: 250 }, ["refund: $250 on order 42", "completed: Done: your refund is on its way."]],
    [
      "examples/langgraph",
      langgraph,
      { messages: [{ role: "assistant", content: "Sorry about that: a full refund is on its way." }] },
      ['send: "Sorry about that: a full refund is on its way."', 'completed: sent "Sorry about that: a full refund is on its way."'],
    ],
    ["examples/openai-agents", openaiAgents, { orderId: "42", amount: 250 }, ["refund: $250 on order 42", "completed: Your refund is on its way."]],
  ] as const;

  for (const [name, main, correction, tail] of cases) {
    it(`${name} escalates, takes the reviewer's correction, and finishes`, async () => {
      const server = await startReviewServer();
      try {
        const lines: string[] = [];
        const result = await main({
          endpoint: server.url,
          apiKey: server.apiKey,
          log: (l) => lines.push(l),
          onEscalated: (id) => server.decide(id, "correct", correction, "checked against the order"),
        });
        expect(result.status).toBe("completed");
        expect(lines[0]).toMatch(/^escalated: /);
        expect(lines.slice(-tail.length)).toEqual([...tail]);
      } finally {
        await server.close();
      }
    });
  }
});
