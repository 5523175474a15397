import { createClient, type Client, type Transaction } from "@libsql/client";
import { afterEach, describe, expect, it } from "vitest";
import { completedRun, stepEvent } from "../../../test-support/events-fixtures.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { commitIngestBatches } from "../ingest/store.js";
import type { RunDetailResponse, RunListResponse } from "./contract.js";
import type { QueueResponse } from "../review/contract.js";

// Reads while another process holds the store's write lock. Events are appended straight to the
// log, as another instance on the same file would: this server's projector has not seen them, so
// every read that wants them must project first, and the projection needs the lock.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const BUSY_TIMEOUT_MS = 1_000;

async function setup(): Promise<{ ctx: TestContext; key: string; other: Client; append: (runId?: string) => Promise<{ runId: string }> }> {
  const ctx = await createTestContext({ SEAMTRACE_BUSY_TIMEOUT_MS: String(BUSY_TIMEOUT_MS) });
  cleanups.push(() => ctx.close());
  const { projectId, keyId, key } = await ctx.newProject();
  // Another connection's lock is, to the store's client, exactly another process's.
  const other = createClient({ url: ctx.config.databaseUrl });
  cleanups.push(() => other.close());
  const append = async () => {
    const run = completedRun();
    // Escalated, so the review queue has something to show for it.
    const escalated = stepEvent(run.runId, {
      step: "reserve",
      escalationId: crypto.randomUUID(),
      gate: { outcome: "escalate", kinds: ["unscored"] },
      confidence: undefined,
    });
    await commitIngestBatches(ctx.store.client, [{ projectId, keyId, receivedAt: Date.now(), events: [...run.events, escalated] }]);
    return { runId: run.runId };
  };
  return { ctx, key, other, append };
}

async function hold(other: Client): Promise<Transaction> {
  const tx = await other.transaction("write");
  await tx.execute("CREATE TABLE IF NOT EXISTS lock_probe (x INTEGER)");
  cleanups.push(() => tx.close());
  return tx;
}

const WINDOW = `from=${encodeURIComponent("2025-01-01T00:00:00Z")}&to=${encodeURIComponent("2025-02-01T00:00:00Z")}`;

async function get<T>(ctx: TestContext, key: string, path: string) {
  const res = await ctx.app.request(path, { headers: { authorization: `Bearer ${key}` } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T, text };
}

describe("reads while another process holds the write lock", () => {
  it("answer at once from what is projected, saying how stale, and are fresh again once the lock is let go", async () => {
    const { ctx, key, other, append } = await setup();
    const first = await append();
    expect((await get<RunListResponse>(ctx, key, `/v1/runs?${WINDOW}`)).body.items.map((r) => r.id)).toEqual([first.runId]);

    const second = await append();
    const lock = await hold(other);
    const list = await get<RunListResponse>(ctx, key, `/v1/runs?${WINDOW}`);
    expect(list.status, list.text).toBe(200);
    expect(list.body.items.map((r) => r.id)).toEqual([first.runId]);
    expect(list.headers.get("seamtrace-stale")).toBe("locked");
    expect(Number(list.headers.get("seamtrace-projection-lag"))).toBe(6);
    expect(Date.parse(list.headers.get("seamtrace-stale-since")!)).toBeGreaterThan(0);

    // Every read route over the projection answers the same way, none waiting for the lock.
    const detail = await get<RunDetailResponse>(ctx, key, `/v1/runs/${first.runId}`);
    const missing = await get(ctx, key, `/v1/runs/${second.runId}`);
    const queue = await get<QueueResponse>(ctx, key, "/v1/escalations");
    const workflows = await get(ctx, key, `/v1/workflows?${WINDOW}`);
    const analytics = await get(ctx, key, `/v1/analytics/escalations?workflow=claims&${WINDOW}`);
    expect([detail.status, missing.status, queue.status, workflows.status, analytics.status]).toEqual([200, 404, 200, 200, 200]);
    for (const r of [detail, queue, workflows]) expect(r.headers.get("seamtrace-stale")).toBe("locked");
    expect(queue.body.items).toHaveLength(1);

    await lock.rollback();
    const after = await get<RunListResponse>(ctx, key, `/v1/runs?${WINDOW}`);
    expect(after.status).toBe(200);
    expect(after.headers.get("seamtrace-stale")).toBeNull();
    expect(after.headers.get("seamtrace-projection-lag")).toBe("0");
    expect(after.body.items.map((r) => r.id).sort()).toEqual([first.runId, second.runId].sort());
    expect((await get<QueueResponse>(ctx, key, "/v1/escalations")).body.items).toHaveLength(2);
  });

  it("still wait for the projection on routes that act on what they read (a resume's state), and answer 503 past the busy timeout", async () => {
    const { ctx, key, other, append } = await setup();
    const { runId } = await append();
    await hold(other);
    const state = await get<{ error: { code: string } }>(ctx, key, `/v1/runs/${runId}/state`);
    expect(state.status).toBe(503);
    expect(state.headers.get("retry-after")).not.toBeNull();
  });
});
