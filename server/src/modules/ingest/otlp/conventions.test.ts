/**
 * Framework conventions as their packages write them: fixtures recorded offline from the Vercel
 * AI SDK (`ai`, with its mock models) and with OpenInference's attribute names
 * (server/test-support/otlp/record-fixtures.ts), posted as the OTLP/JSON exporter sends them.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunDetailResponse, StepView } from "../../runs/contract.js";
import { createTestContext, type TestContext } from "../../../../test-support/testing.js";
import { runIdForTrace } from "./ids.js";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const fixture = (name: string) => readFileSync(new URL(`../../../../test-support/otlp/fixtures/${name}`, import.meta.url), "utf8");

async function steps(name: string): Promise<Record<string, StepView[]>> {
  const { key } = await ctx.newProject();
  const body = fixture(name);
  const res = await ctx.app.request("/v1/traces", { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` }, body });
  expect(await res.json()).toEqual({});
  const traceId = (JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string }> }> }> }).resourceSpans[0]!.scopeSpans[0]!
    .spans[0]!.traceId;
  const detail = (await (
    await ctx.app.request(`/v1/runs/${runIdForTrace(traceId)}`, { headers: { Authorization: `Bearer ${key}` } })
  ).json()) as RunDetailResponse;
  const byName: Record<string, StepView[]> = {};
  for (const s of detail.steps) (byName[s.name] ??= []).push(s);
  return byName;
}

describe("Vercel AI SDK (ai.*) spans", () => {
  it("map prompts, responses, tool calls, models and token counts", async () => {
    const s = await steps("ai-sdk.json");
    expect(s["ai.generateText"]![0]).toMatchObject({
      input: { system: "You are a claims assistant.", prompt: "Is storm damage to the roof covered?" },
      output: "The roof is covered.",
      features: {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "mock-model-id",
        "gen_ai.provider.name": "mock-provider",
        "gen_ai.usage.input_tokens": 104,
        "gen_ai.usage.output_tokens": 15,
      },
    });
    const [first, second] = s["ai.generateText.doGenerate"]!;
    expect(first!.input).toEqual([
      { role: "system", content: "You are a claims assistant." },
      { role: "user", content: [{ type: "text", text: "Is storm damage to the roof covered?" }] },
    ]);
    expect(first!.output).toEqual([{ toolCallId: "call-1", toolName: "lookupPolicy", input: '{"policy":"P-1"}' }]);
    expect(first!.features).toMatchObject({ "gen_ai.usage.input_tokens": 41, "gen_ai.usage.output_tokens": 9, "gen_ai.request.model": "mock-model-id" });
    expect(second!.output).toBe("The roof is covered.");
    expect(first!.parents).toEqual([s["ai.generateText"]![0]!.id]);

    expect(s["ai.toolCall"]![0]).toMatchObject({
      input: { policy: "P-1" },
      output: { policy: "P-1", covers: ["storm", "fire"] },
      features: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookupPolicy" },
      metadata: { attributes: expect.objectContaining({ "ai.toolCall.id": "call-1", "ai.telemetry.metadata.claimId": "C-7" }) },
    });
    expect(s["ai.embed"]![0]).toMatchObject({ input: "storm damage", output: [0.1, 0.2, 0.3], features: { "gen_ai.operation.name": "embeddings" } });
  });
});

describe("OpenInference spans", () => {
  it("map span kinds, messages, tool calls, models and token counts", async () => {
    const s = await steps("openinference.json");
    expect(s.ChatOpenAI![0]).toMatchObject({
      input: [
        { role: "system", content: "You are a claims assistant." },
        { role: "user", content: "Is storm damage covered?" },
      ],
      output: [{ role: "assistant", tool_calls: [{ id: "call-1", function: { name: "lookup_policy", arguments: { policy: "P-1" } } }] }],
      features: {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.provider.name": "openai",
        "gen_ai.system": "openai",
        "gen_ai.usage.input_tokens": 41,
        "gen_ai.usage.output_tokens": 9,
        "openinference.span.kind": "LLM",
      },
      metadata: { attributes: expect.objectContaining({ "session.id": "session-9", "llm.token_count.total": 50 }) },
    });
    expect(s.lookup_policy![0]).toMatchObject({
      input: { policy: "P-1" },
      output: { covers: ["storm", "fire"] },
      features: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup_policy" },
    });
    expect(s["claims-agent"]![0]).toMatchObject({
      input: "Is storm damage covered?",
      output: "Yes: policy P-1 covers storms.",
      features: { "gen_ai.operation.name": "invoke_agent" },
    });
    expect(s.retrieve![0]).toMatchObject({ input: "storm damage clauses", features: { "openinference.span.kind": "RETRIEVER" } });
  });
});
