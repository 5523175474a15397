import { uuidv7 } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postEvents, runEnded, runStarted, stepEvent } from "../../../test-support/events-fixtures.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const iso = (ms: number) => new Date(ms).toISOString();

describe("a run resumed by a worker whose clock is behind", () => {
  it("still ends completed, with the reviewer's output on the escalated step", async () => {
    const { key, projectId } = await ctx.newProject();
    const T = Date.UTC(2025, 5, 1, 12);
    const start = runStarted({ time: iso(T) });
    const runId = start.runId;
    const esc = uuidv7();
    const step = stepEvent(runId, { step: "classify", output: "model", confidence: 0.3, startedAt: iso(T + 10), time: iso(T + 20), escalationId: esc, gate: { outcome: "escalate", kinds: ["confidence"] } });
    const paused = runEnded(runId, "run.paused", { time: iso(T + 30), stepId: step.stepId, escalationId: esc });
    expect((await postEvents(ctx, key, { events: [start, step, paused] })).status).toBe(200);
    // The resuming worker's clock runs 10 minutes behind the one that paused the run.
    const B = T - 600_000;
    const human = stepEvent(runId, { stepId: step.stepId, step: "classify", output: "reviewed", confidence: 1, cumulative: 1, source: "human", startedAt: iso(B), time: iso(B + 1) });
    const resumed = runStarted({ runId, time: iso(B) });
    const done = runEnded(runId, "run.completed", { time: iso(B + 50), output: "ok" });
    expect((await postEvents(ctx, key, { events: [resumed, human, done] })).status).toBe(200);
    await ctx.deps.projector.sync();
    const run = await ctx.store.client.execute({ sql: "SELECT status FROM runs WHERE project_id = ? AND id = ?", args: [projectId, runId] });
    expect(run.rows[0]!.status).toBe("completed");
    const row = await ctx.store.client.execute({ sql: "SELECT output, source FROM steps WHERE project_id = ? AND id = ?", args: [projectId, step.stepId] });
    expect(row.rows[0]).toMatchObject({ output: '"reviewed"', source: "human" });
  });
});
