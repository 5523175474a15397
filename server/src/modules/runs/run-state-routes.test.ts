import { uuidv7, type RunState } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escalations } from "../review/schema.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { postEvents, runEnded, runStarted, stepEvent } from "../../../test-support/events-fixtures.js";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const T = Date.UTC(2025, 0, 15, 9, 30);
const iso = (ms: number) => new Date(ms).toISOString();

/** A run paused at its second step, with the escalation row as the review queue holds it. */
async function pausedRun(key: string, projectKey: string, projectId: string) {
  const start = runStarted({ key });
  const runId = start.runId;
  const a = stepEvent(runId, { step: "extract", startedAt: iso(T), time: iso(T + 10) });
  const escalationId = uuidv7();
  const b = stepEvent(runId, {
    step: "classify",
    parents: [a.stepId],
    output: "health",
    confidence: 0.4,
    startedAt: iso(T + 20),
    time: iso(T + 30),
    gate: { outcome: "escalate", kinds: ["confidence"], minConfidence: 0.8 },
    escalationId,
  });
  const paused = runEnded(runId, "run.paused", { stepId: b.stepId, escalationId });
  const res = await postEvents(ctx, projectKey, { events: [start, a, b, paused] });
  expect(res.status).toBe(200);
  await ctx.deps.projector.sync();
  await ctx.store.db
    .insert(escalations)
    .values({
      projectId,
      id: escalationId,
      runId,
      stepId: b.stepId,
      workflow: "claims",
      version: "3",
      step: "classify",
      kind: "escalate",
      gateKinds: '["confidence"]',
      blocking: true,
      confidence: 0.4,
      cumulative: 0.4,
      packet: "{}",
      status: "open",
      createdAt: T + 30,
    })
    .onConflictDoNothing();
  return { runId, escalationId, extract: a, classify: b };
}

async function resolve(projectId: string, escalationId: string, decision: "accept" | "correct" | "reject", output?: unknown) {
  await ctx.store.client.execute({
    sql: "UPDATE escalations SET status = 'resolved', decision = ?, corrected_output = ?, reason = 'checked', resolved_at = ? WHERE project_id = ? AND id = ?",
    args: [decision, output === undefined ? null : JSON.stringify(output), Date.now(), projectId, escalationId],
  });
}

function get(path: string, key: string) {
  return ctx.app.request(path, { headers: { authorization: `Bearer ${key}` } });
}
function resume(runId: string, escalationId: string, key: string) {
  return ctx.app.request(`/v1/runs/${runId}/resume`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ escalationId }),
  });
}

describe("GET /v1/runs/:id/state", () => {
  it("returns the completed steps in order and the open escalation the run waits on", async () => {
    const { key, projectId } = await ctx.newProject();
    const { runId, escalationId, extract, classify } = await pausedRun("k-1", key, projectId);
    const res = await get(`/v1/runs/${runId}/state`, key);
    expect(res.status).toBe(200);
    const state = (await res.json()) as RunState;
    expect(state.run).toMatchObject({ id: runId, status: "paused", key: "k-1", workflow: "claims" });
    expect(state.steps.map((s) => [s.name, s.stepId])).toEqual([
      ["extract", extract.stepId],
      ["classify", classify.stepId],
    ]);
    expect(state.steps[1]).toMatchObject({ output: "health", confidence: 0.4, parents: [extract.stepId] });
    expect(state.escalation).toMatchObject({ id: escalationId, stepId: classify.stepId, status: "open", decision: null, output: null, resumedAt: null });
  });

  it("hands back the reviewer's correction, or the model's own output when accepted", async () => {
    const { key, projectId } = await ctx.newProject();
    const corrected = await pausedRun("k-2", key, projectId);
    await resolve(projectId, corrected.escalationId, "correct", "travel");
    const s1 = (await (await get(`/v1/runs/${corrected.runId}/state`, key)).json()) as RunState;
    expect(s1.escalation).toMatchObject({ status: "resolved", decision: "correct", output: "travel", reason: "checked" });

    const accepted = await pausedRun("k-3", key, projectId);
    await resolve(projectId, accepted.escalationId, "accept");
    const s2 = (await (await get(`/v1/runs/${accepted.runId}/state`, key)).json()) as RunState;
    expect(s2.escalation).toMatchObject({ decision: "accept", output: "health" });
  });

  it("finds a run by workflow and idempotency key", async () => {
    const { key, projectId } = await ctx.newProject();
    const { runId } = await pausedRun("msg-42", key, projectId);
    const res = await get(`/v1/run-state?workflow=claims&key=msg-42`, key);
    expect(res.status).toBe(200);
    expect(((await res.json()) as RunState).run.id).toBe(runId);
    expect((await get(`/v1/run-state?workflow=claims&key=nope`, key)).status).toBe(404);
  });

  it("never shows another project's run", async () => {
    const a = await ctx.newProject();
    const b = await ctx.newProject();
    const { runId } = await pausedRun("k-x", a.key, a.projectId);
    const res = await get(`/v1/runs/${runId}/state`, b.key);
    expect(res.status).toBe(404);
    expect((await get(`/v1/run-state?workflow=claims&key=k-x`, b.key)).status).toBe(404);
  });
});

describe("POST /v1/runs/:id/resume", () => {
  it("lets exactly one of two racing workers resume a resolved run", async () => {
    const { key, projectId } = await ctx.newProject();
    const { runId, escalationId } = await pausedRun("k-race", key, projectId);
    await resolve(projectId, escalationId, "correct", "travel");
    const [r1, r2] = await Promise.all([resume(runId, escalationId, key), resume(runId, escalationId, key)]);
    expect([r1.status, r2.status].sort()).toEqual([200, 409]);
    const loser = [r1, r2].find((r) => r.status === 409)!;
    expect(((await loser.json()) as { error: { code: string } }).error.code).toBe("already_resumed");
    const winner = (await [r1, r2].find((r) => r.status === 200)!.json()) as { claimed: boolean; state: RunState };
    expect(winner.claimed).toBe(true);
    expect(winner.state.escalation?.resumedAt).not.toBeNull();
    // A third attempt later is refused too.
    expect((await resume(runId, escalationId, key)).status).toBe(409);
  });

  it("refuses to resume before the review, and 404s for other projects", async () => {
    const { key, projectId } = await ctx.newProject();
    const other = await ctx.newProject();
    const { runId, escalationId } = await pausedRun("k-open", key, projectId);
    const early = await resume(runId, escalationId, key);
    expect(early.status).toBe(409);
    expect(((await early.json()) as { error: { code: string } }).error.code).toBe("not_resolved");
    await resolve(projectId, escalationId, "accept");
    expect((await resume(runId, escalationId, other.key)).status).toBe(404);
    expect((await resume(runId, uuidv7(), key)).status).toBe(404);
  });
});

describe("GET /v1/resumable", () => {
  it("lists resolved runs nobody has resumed yet, in resolution order, and drops them once claimed", async () => {
    const { key, projectId } = await ctx.newProject();
    const first = await pausedRun("k-r1", key, projectId);
    const second = await pausedRun("k-r2", key, projectId);
    const open = await pausedRun("k-r3", key, projectId);
    await resolve(projectId, first.escalationId, "accept");
    await new Promise((r) => setTimeout(r, 5));
    await resolve(projectId, second.escalationId, "reject");
    type Page = { items: Array<{ runId: string; decision: string }>; nextCursor: string | null };
    const page = (await (await get(`/v1/resumable`, key)).json()) as Page;
    expect(page.items.map((i) => [i.runId, i.decision])).toEqual([
      [first.runId, "accept"],
      [second.runId, "reject"],
    ]);
    expect(page.items.some((i) => i.runId === open.runId)).toBe(false);
    const after = (await (await get(`/v1/resumable?after=${page.nextCursor}`, key)).json()) as Page;
    expect(after.items).toEqual([]);
    expect((await resume(first.runId, first.escalationId, key)).status).toBe(200);
    const remaining = (await (await get(`/v1/resumable`, key)).json()) as Page;
    expect(remaining.items.map((i) => i.runId)).toEqual([second.runId]);
    expect((await get(`/v1/resumable?after=garbage`, key)).status).toBe(400);
  });
});
