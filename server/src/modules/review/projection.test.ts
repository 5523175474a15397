import { uuidv7, type SeamtraceEvent } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUN_SO_FAR_STEPS, type EscalationPacket } from "./contract.js";
import { runStarted, stepEvent } from "../../../test-support/events-fixtures.js";
import { iso, postBatches } from "../../../test-support/review-fixtures.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";

let ctx: TestContext;
let project: { projectId: string; key: string };
beforeAll(async () => {
  ctx = await createTestContext();
  project = await ctx.newProject();
});
afterAll(() => ctx.close());

const T = Date.UTC(2025, 0, 15, 9, 30);

async function packetOf(escalationId: string): Promise<EscalationPacket> {
  const rs = await ctx.store.client.execute({ sql: "SELECT packet FROM escalations WHERE project_id = ? AND id = ?", args: [project.projectId, escalationId] });
  return JSON.parse(String(rs.rows[0]![0])) as EscalationPacket;
}

describe("the escalation packet's run so far", () => {
  it(`keeps the newest ${RUN_SO_FAR_STEPS} earlier steps, in execution order, and says it was truncated`, async () => {
    const start = runStarted({ time: iso(T) });
    const earlier = Array.from({ length: RUN_SO_FAR_STEPS + 5 }, (_, i) =>
      stepEvent(start.runId, { step: `s${i}`, startedAt: iso(T + i * 10), time: iso(T + i * 10 + 5), output: i }),
    );
    const escalationId = uuidv7();
    const last = stepEvent(start.runId, {
      step: "reserve",
      startedAt: iso(T + 10_000),
      time: iso(T + 10_005),
      escalationId,
      gate: { outcome: "escalate", kinds: ["confidence"] },
    });
    // Half stored by an earlier batch, half in the escalation's own batch.
    await postBatches(ctx, project.key, [
      [start, ...earlier.slice(0, 100)],
      [...earlier.slice(100), last],
    ]);
    const { runSoFar } = await packetOf(escalationId);
    expect(runSoFar.truncated).toBe(true);
    expect(runSoFar.steps).toHaveLength(RUN_SO_FAR_STEPS);
    expect(runSoFar.steps[0]!.step).toBe("s5");
    expect(runSoFar.steps.at(-1)!.step).toBe(`s${RUN_SO_FAR_STEPS + 4}`);
    expect(runSoFar.steps.map((s) => s.output)).toEqual(Array.from({ length: RUN_SO_FAR_STEPS }, (_, i) => i + 5));
  });

  it("drops the outputs of older steps past the size budget, newest kept", async () => {
    const start = runStarted({ time: iso(T) });
    const big = (n: number) => "x".repeat(400_000) + n;
    const steps = [0, 1, 2].map((i) => stepEvent(start.runId, { step: `big${i}`, startedAt: iso(T + i * 10), time: iso(T + i * 10 + 5), output: big(i) }));
    const escalationId = uuidv7();
    const last = stepEvent(start.runId, { step: "reserve", startedAt: iso(T + 100), time: iso(T + 105), escalationId, parents: [steps[0]!.stepId] });
    const events: SeamtraceEvent[][] = [[start, steps[0]!], [steps[1]!], [steps[2]!, last]];
    await postBatches(ctx, project.key, events);
    const packet = await packetOf(escalationId);
    expect(packet.runSoFar.steps.map((s) => [s.step, s.outputOmitted ?? false, s.output === null])).toEqual([
      ["big0", true, true],
      ["big1", false, false],
      ["big2", false, false],
    ]);
    // Lineage keeps a parent's output whatever the budget.
    expect(packet.lineage.parents[0]).toMatchObject({ found: true, output: big(0) });
  });
});

describe("contracts reported with step events", () => {
  it("keeps the newest contract of a step, whatever order its reports arrive in", async () => {
    const start = runStarted({ time: iso(T) });
    const newer = stepEvent(start.runId, { step: "c", time: iso(T + 2_000), contract: { jsonSchema: { type: "string" }, vendor: "zod" } });
    const older = stepEvent(start.runId, { step: "c", time: iso(T + 1_000), contract: { jsonSchema: { type: "number" } } });
    await postBatches(ctx, project.key, [[start, newer], [older]]);
    const rs = await ctx.store.client.execute({
      sql: "SELECT json_schema, vendor FROM contracts WHERE project_id = ? AND workflow = 'claims' AND version = '3' AND step = 'c'",
      args: [project.projectId],
    });
    expect(rs.rows.map((r) => [r.json_schema, r.vendor])).toEqual([['{"type":"string"}', "zod"]]);
  });
});
