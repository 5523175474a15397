import { uuidv7, type RunState } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postEvents, runEnded, runStarted, stepEvent } from "../../../test-support/events-fixtures.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { STEP_EVENT_JOIN, stepPayload } from "./step-payload.js";
import { storedId } from "../../platform/db/stored-id.js";

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
    const step = stepEvent(runId, {
      step: "classify",
      output: "model",
      confidence: 0.3,
      startedAt: iso(T + 10),
      time: iso(T + 20),
      escalationId: esc,
      gate: { outcome: "escalate", kinds: ["confidence"] },
    });
    const paused = runEnded(runId, "run.paused", { time: iso(T + 30), stepId: step.stepId, escalationId: esc });
    expect((await postEvents(ctx, key, { events: [start, step, paused] })).status).toBe(200);
    // The resuming worker's clock runs 10 minutes behind the one that paused the run.
    const B = T - 600_000;
    const human = stepEvent(runId, {
      stepId: step.stepId,
      step: "classify",
      output: "reviewed",
      confidence: 1,
      cumulative: 1,
      source: "human",
      startedAt: iso(B),
      time: iso(B + 1),
    });
    const resumed = runStarted({ runId, time: iso(B) });
    const done = runEnded(runId, "run.completed", { time: iso(B + 50), output: "ok" });
    expect((await postEvents(ctx, key, { events: [resumed, human, done] })).status).toBe(200);
    await ctx.deps.projector.sync();
    const run = await ctx.store.client.execute({
      sql: "SELECT status FROM runs WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND id = ?",
      args: [projectId, runId],
    });
    expect(run.rows[0]!.status).toBe("completed");
    const row = await ctx.store.client.execute({
      sql: `SELECT ev.body, s.source FROM steps s ${STEP_EVENT_JOIN} WHERE s.project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND s.id = ?`,
      args: [projectId, storedId(step.stepId)],
    });
    expect({ output: stepPayload(row.rows[0]!.body).output, source: row.rows[0]!.source }).toEqual({ output: "reviewed", source: "human" });
  });
});

describe("a run's status and stop step follow the resume epoch, never the workers' clocks", () => {
  const statusOf = async (projectId: string, runId: string) =>
    (
      await ctx.store.client.execute({
        sql: "SELECT status, stop_step_id FROM runs WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND id = ?",
        args: [projectId, runId],
      })
    ).rows[0]!;

  /** Paused at classify (epoch 0, clock A); resumed (epoch 1, clock B 10 s behind) and paused again at reserve. */
  function twoPauses() {
    const T = Date.UTC(2025, 5, 1, 12);
    const start = runStarted({ time: iso(T), epoch: 0, epochSeq: 0 });
    const runId = start.runId;
    const e1 = uuidv7();
    const classify = stepEvent(runId, {
      step: "classify",
      confidence: 0.3,
      startedAt: iso(T + 10),
      time: iso(T + 20),
      escalationId: e1,
      gate: { outcome: "escalate", kinds: ["confidence"] },
      epoch: 0,
      epochSeq: 1,
    });
    const paused1 = runEnded(runId, "run.paused", { time: iso(T + 30), stepId: classify.stepId, escalationId: e1, epoch: 0, epochSeq: 2 });
    const B = T - 10_000;
    const e2 = uuidv7();
    const resumed = runStarted({ runId, time: iso(B), epoch: 1, epochSeq: 0 });
    const human = stepEvent(runId, {
      stepId: classify.stepId,
      step: "classify",
      output: "flood",
      confidence: 1,
      cumulative: 1,
      source: "human",
      startedAt: iso(B + 1),
      time: iso(B + 1),
      epoch: 1,
      epochSeq: 1,
    });
    const reserve = stepEvent(runId, {
      step: "reserve",
      parents: [classify.stepId],
      confidence: 0.2,
      startedAt: iso(B + 2),
      time: iso(B + 3),
      escalationId: e2,
      gate: { outcome: "escalate", kinds: ["confidence"] },
      epoch: 1,
      epochSeq: 2,
    });
    const paused2 = runEnded(runId, "run.paused", { time: iso(B + 4), stepId: reserve.stepId, escalationId: e2, epoch: 1, epochSeq: 3 });
    return { runId, first: [start, classify, paused1], second: [resumed, human, reserve, paused2], reserve, e2 };
  }

  it("a later epoch's pause wins over an earlier one that carries a later time", async () => {
    const { key, projectId } = await ctx.newProject();
    const r = twoPauses();
    expect((await postEvents(ctx, key, { events: r.first })).status).toBe(200);
    await ctx.deps.projector.sync();
    expect((await postEvents(ctx, key, { events: r.second })).status).toBe(200);
    await ctx.deps.projector.sync();
    expect(await statusOf(projectId, r.runId)).toMatchObject({ status: "paused", stop_step_id: r.reserve.stepId });
    // The state a resume replays from names the review the run waits on now.
    const state = (await (await ctx.app.request(`/v1/runs/${r.runId}/state`, { headers: { authorization: `Bearer ${key}` } })).json()) as RunState;
    expect(state.escalation).toMatchObject({ id: r.e2, status: "open" });
    expect(state.run.epoch).toBe(1);
  });

  it("an earlier epoch's events arriving late change nothing", async () => {
    const { key, projectId } = await ctx.newProject();
    const r = twoPauses();
    expect((await postEvents(ctx, key, { events: r.second })).status).toBe(200);
    await ctx.deps.projector.sync();
    expect((await postEvents(ctx, key, { events: r.first })).status).toBe(200);
    await ctx.deps.projector.sync();
    expect(await statusOf(projectId, r.runId)).toMatchObject({ status: "paused", stop_step_id: r.reserve.stepId });
  });

  it("within an epoch the later event wins, even one stamped earlier", async () => {
    const { key, projectId } = await ctx.newProject();
    const T = Date.UTC(2025, 5, 1, 12);
    const start = runStarted({ time: iso(T), epoch: 0, epochSeq: 0 });
    const esc = uuidv7();
    const step = stepEvent(start.runId, {
      step: "a",
      confidence: 0.1,
      startedAt: iso(T),
      time: iso(T),
      escalationId: esc,
      gate: { outcome: "escalate", kinds: ["confidence"] },
      epoch: 0,
      epochSeq: 1,
    });
    // The worker's clock stepped back while the run ran (NTP), and its start arrives last.
    const paused = runEnded(start.runId, "run.paused", { time: iso(T - 2_000), stepId: step.stepId, escalationId: esc, epoch: 0, epochSeq: 2 });
    expect((await postEvents(ctx, key, { events: [step, paused] })).status).toBe(200);
    await ctx.deps.projector.sync();
    expect((await postEvents(ctx, key, { events: [start] })).status).toBe(200);
    await ctx.deps.projector.sync();
    expect(await statusOf(projectId, start.runId)).toMatchObject({ status: "paused", stop_step_id: step.stepId });
  });
});
