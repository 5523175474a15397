import { uuidv7, type ResumeClaimResponse, type RunState, type SeamtraceEvent } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunDetailResponse, RunListResponse } from "./contract.js";
import type { InValue } from "@libsql/client";
import { streamAudit } from "../audit/query-store.js";
import { listResumableQuery } from "./run-state-store.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { postEvents, runEnded, runStarted, stepEvent } from "../../../test-support/events-fixtures.js";

// The server's clock is a fake one: a lease lapses when the test says so, never because the
// machine was slow.
const LEASE_MS = 60_000;
let clock = Date.UTC(2025, 2, 3, 10);
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ SEAMTRACE_RESUME_LEASE_MS: String(LEASE_MS) });
  ctx.deps.now = () => clock;
});
afterAll(() => ctx.close());

const iso = (ms: number) => new Date(ms).toISOString();

/** A run paused at classify with its review decided, as a worker finds it. */
async function reviewedRun(key: string, projectId: string) {
  const start = runStarted({ time: iso(clock), epoch: 0, epochSeq: 0 });
  const runId = start.runId;
  const escalationId = uuidv7();
  const classify = stepEvent(runId, {
    step: "classify",
    confidence: 0.4,
    startedAt: iso(clock),
    time: iso(clock + 10),
    escalationId,
    gate: { outcome: "escalate", kinds: ["confidence"] },
    epoch: 0,
    epochSeq: 1,
  });
  const paused = runEnded(runId, "run.paused", { time: iso(clock + 20), stepId: classify.stepId, escalationId, epoch: 0, epochSeq: 2 });
  expect((await postEvents(ctx, key, { events: [start, classify, paused] })).status).toBe(200);
  await ctx.deps.projector.sync();
  await ctx.store.client.execute({
    sql: "UPDATE escalations SET status = 'resolved', decision = 'accept', reason = 'ok', resolved_at = ? WHERE project_id = ? AND id = ?",
    args: [clock, projectId, escalationId],
  });
  return { runId, escalationId, classify };
}

async function call<T>(key: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const init: RequestInit = { headers: { authorization: `Bearer ${key}`, "content-type": "application/json" } };
  if (body !== undefined) Object.assign(init, { method: "POST", body: JSON.stringify(body) });
  const res = await ctx.app.request(path, init);
  return { status: res.status, body: (await res.json()) as T };
}
const claim = (key: string, runId: string, escalationId: string) =>
  call<ResumeClaimResponse & { error?: { code: string } }>(key, `/v1/runs/${runId}/resume`, { escalationId });
const renew = (key: string, runId: string, escalationId: string, epoch: number) =>
  call<{ renewed?: boolean; leaseExpiresAt?: string; error?: { code: string } }>(key, `/v1/runs/${runId}/resume/renew`, { escalationId, epoch });
const resumable = async (key: string) => (await call<{ items: Array<{ runId: string }> }>(key, "/v1/resumable")).body.items.map((i) => i.runId);
const state = async (key: string, runId: string) => (await call<RunState>(key, `/v1/runs/${runId}/state`)).body;
const lost = async (key: string, runId: string) => ({
  list: (await call<RunListResponse>(key, "/v1/runs")).body.items.find((r) => r.id === runId)?.resumerLost,
  detail: (await call<RunDetailResponse>(key, `/v1/runs/${runId}`)).body.run.resumerLost,
});

async function send(key: string, events: SeamtraceEvent[]) {
  expect((await postEvents(ctx, key, { events })).status).toBe(200);
  await ctx.deps.projector.sync();
}

describe("a resume claim is a lease", () => {
  it("lasts SEAMTRACE_RESUME_LEASE_MS, is renewed by its holder, and keeps other workers out while live", async () => {
    const { key, projectId } = await ctx.newProject();
    const { runId, escalationId } = await reviewedRun(key, projectId);
    const won = await claim(key, runId, escalationId);
    expect(won.status).toBe(200);
    expect(won.body).toMatchObject({ claimed: true, epoch: 1, leaseMs: LEASE_MS, leaseExpiresAt: iso(clock + LEASE_MS) });

    clock += LEASE_MS - 1;
    expect((await renew(key, runId, escalationId, 1)).body).toEqual({ renewed: true, leaseExpiresAt: iso(clock + LEASE_MS) });
    clock += LEASE_MS - 1; // past the first lease, within the renewed one
    expect((await claim(key, runId, escalationId)).body.error?.code).toBe("already_resumed");
    expect(await resumable(key)).toEqual([]);
    expect((await state(key, runId)).escalation).toMatchObject({ resumable: false, leaseExpiresAt: iso(clock + 1) });
    expect(await lost(key, runId)).toEqual({ list: false, detail: false });
  });

  it("lapses without renewal: the run is resumable again, shown as such, and the next claim takes the next epoch", async () => {
    const { key, projectId } = await ctx.newProject();
    const { runId, escalationId } = await reviewedRun(key, projectId);
    expect((await claim(key, runId, escalationId)).body.epoch).toBe(1);
    // The worker sent its start and a step, then died.
    await send(key, [
      runStarted({ runId, time: iso(clock), epoch: 1, epochSeq: 0 }),
      stepEvent(runId, { step: "enrich", startedAt: iso(clock), time: iso(clock + 1), epoch: 1, epochSeq: 1 }),
    ]);
    expect(await resumable(key)).toEqual([]);

    clock += LEASE_MS;
    expect(await resumable(key)).toEqual([runId]);
    expect((await state(key, runId)).escalation).toMatchObject({ status: "resolved", resumable: true, leaseExpiresAt: null });
    expect(await lost(key, runId)).toEqual({ list: true, detail: true });
    // The dead worker's renewal, had it come now, is refused: it must write nothing more.
    expect((await renew(key, runId, escalationId, 1)).body.error?.code).toBe("lease_lost");

    const next = await claim(key, runId, escalationId);
    expect(next.body).toMatchObject({ claimed: true, epoch: 2 });
    expect(next.body.state?.steps.map((s) => s.name)).toEqual(["classify", "enrich"]); // what the dead one recorded
    expect(await resumable(key)).toEqual([]);
    expect(await lost(key, runId)).toEqual({ list: false, detail: false });
    expect((await renew(key, runId, escalationId, 1)).body.error?.code).toBe("lease_lost");
    expect((await renew(key, runId, escalationId, 2)).status).toBe(200);

    // Both claims are on the audit trail; the takeover names the claim that lapsed.
    const claims: unknown[] = [];
    for await (const row of streamAudit(ctx.store.db, projectId, { runId, action: "run.resume_claimed", window: { from: 0, to: Number.MAX_SAFE_INTEGER } }))
      claims.push(row.payload);
    expect(claims).toEqual([
      { escalationId, epoch: 1 },
      { escalationId, epoch: 2, lapsedEpoch: 1, lapsedAt: clock },
    ]);
  });

  it("ends when the run moves past it (from its epoch on, or from an older SDK), never by an older epoch's end", async () => {
    const { key, projectId } = await ctx.newProject();
    const { runId, escalationId } = await reviewedRun(key, projectId);
    await claim(key, runId, escalationId);
    clock += LEASE_MS;
    await claim(key, runId, escalationId); // epoch 2 took over from epoch 1
    // The first worker's end, sent before it noticed, does not end the second one's claim.
    await send(key, [runEnded(runId, "run.completed", { time: iso(clock), epoch: 1, epochSeq: 5 })]);
    clock += LEASE_MS;
    expect(await resumable(key)).toEqual([runId]);
    expect(await lost(key, runId)).toEqual({ list: true, detail: true });

    await claim(key, runId, escalationId); // epoch 3
    await send(key, [
      runStarted({ runId, time: iso(clock), epoch: 3, epochSeq: 0 }),
      runEnded(runId, "run.completed", { time: iso(clock + 5), epoch: 3, epochSeq: 1 }),
    ]);
    clock += 10 * LEASE_MS;
    expect(await resumable(key)).toEqual([]);
    expect(await lost(key, runId)).toEqual({ list: false, detail: false });
    expect((await state(key, runId)).run).toMatchObject({ status: "completed", epoch: 3 });

    // An older SDK sends no epoch: its end of the run ends its claim.
    const legacy = await reviewedRun(key, projectId);
    await claim(key, legacy.runId, legacy.escalationId);
    const { epoch: _e, epochSeq: _s, ...end } = runEnded(legacy.runId, "run.completed", { time: iso(clock) });
    await send(key, [end]);
    clock += 10 * LEASE_MS;
    expect(await resumable(key)).toEqual([]);
  });

  it("lists resumable runs from the short partial index, however many claims are done (EXPLAIN)", async () => {
    const { sql, params } = listResumableQuery(ctx.store.db, "p", { resolvedAt: 1, id: "e" }, 100, clock).toSQL();
    const plan = await ctx.store.client.execute({ sql: `EXPLAIN QUERY PLAN ${sql}`, args: params as InValue[] });
    expect(plan.rows.map((r) => String(r.detail)).join("\n")).toMatch(/USING INDEX escalations_resumable_idx/);
  });

  it("answers 404 for an unknown escalation and 400 for a renewal without an epoch", async () => {
    const { key, projectId } = await ctx.newProject();
    const { runId } = await reviewedRun(key, projectId);
    expect((await renew(key, runId, uuidv7(), 1)).status).toBe(404);
    const bad = await call<{ error: { code: string } }>(key, `/v1/runs/${runId}/resume/renew`, { escalationId: uuidv7() });
    expect(bad.status).toBe(400);
  });
});
