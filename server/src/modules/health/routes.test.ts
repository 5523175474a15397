import { createClient } from "@libsql/client";
import { afterEach, describe, expect, it } from "vitest";
import { createTestContext } from "../../../test-support/testing.js";
import { noteWriteCommitted, noteWriteFailed } from "../../platform/db/store-health.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const ctx = await createTestContext();
  cleanups.push(() => ctx.close());
  const health = async () => {
    const res = await ctx.app.request("/healthz");
    return { status: res.status, body: (await res.json()) as { status: string; reasons?: string[]; lockedSince?: string; projection: { lag: number } } };
  };
  return { ctx, health };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Asks until the answer satisfies `done` (the lock must be seen held for a second first), at most `tries` times. */
async function until<T>(ask: () => Promise<T>, done: (v: T) => boolean, tries = 100): Promise<T> {
  let v = await ask();
  for (let i = 0; i < tries && !done(v); i++) {
    await sleep(100);
    v = await ask();
  }
  return v;
}

describe("GET /healthz", () => {
  it("answers 200 ok with the projection lag and the free space of the store's disk", async () => {
    const { health } = await setup();
    const res = await health();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "ok", store: "ok", projection: { lag: 0 }, freeBytes: expect.any(Number) });
  });

  it("reports degraded (503, locked) while another process holds the write lock, and ok once it is let go", async () => {
    const { ctx, health } = await setup();
    const other = createClient({ url: ctx.config.databaseUrl });
    cleanups.push(() => other.close());
    const tx = await other.transaction("write");
    await tx.execute("CREATE TABLE lock_probe (x INTEGER)");
    // Not on the first look: another instance takes the lock for milliseconds at a time.
    const first = await health();
    expect(first.status).toBe(200);
    expect(first.body.lockedSince).toEqual(expect.any(String));
    const held = await until(health, (r) => r.status === 503);
    expect(held).toMatchObject({ status: 503, body: { status: "degraded", reasons: ["locked"] } });
    await tx.rollback();
    tx.close();
    const released = await health();
    expect(released).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(released.body).not.toHaveProperty("lockedSince");
  });

  it("reports storage_full after a write failed for a full disk, until a write commits again", async () => {
    const { ctx, health } = await setup();
    noteWriteFailed(ctx.store.client, Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" }));
    expect(await health()).toMatchObject({ status: 503, body: { status: "degraded", reasons: ["storage_full"] } });
    noteWriteCommitted(ctx.store.client);
    expect((await health()).status).toBe(200);
  });
});
