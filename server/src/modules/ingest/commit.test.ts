import { createClient, type Transaction } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeIngestWriter, ingestWriter } from "./store.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { completedRun, counts, postEvents, runStarted, countRows } from "../../../test-support/events-fixtures.js";

describe("POST /v1/events: group commit", () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it("answers 20 concurrent requests with 200 and stores every one of their events", async () => {
    const { key, projectId } = await ctx.newProject();
    const runs = Array.from({ length: 20 }, () => completedRun());
    const before = ingestWriter(ctx.store).stats();
    const responses = await Promise.all(runs.map((r) => postEvents(ctx, key, { events: r.events })));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(responses.every((r) => r.body.results.every((x) => x.status === "accepted"))).toBe(true);
    expect(await counts(ctx, projectId)).toEqual({ events: 100, runs: 20, steps: 60 });
    const after = ingestWriter(ctx.store).stats();
    expect(after.items - before.items).toBe(20);
    // Informational: how many transactions the 20 requests shared.
    console.info(`group commit: 20 requests in ${after.commits - before.commits} transaction(s)`);
  });

  it("stores an event sent concurrently by two requests once, answering one accepted and one duplicate", async () => {
    const { key, projectId } = await ctx.newProject();
    const e = runStarted();
    const [a, b] = await Promise.all([postEvents(ctx, key, { events: [e] }), postEvents(ctx, key, { events: [e] })]);
    expect([a.body.results[0]!.status, b.body.results[0]!.status].sort()).toEqual(["accepted", "duplicate"]);
    expect((await counts(ctx, projectId)).events).toBe(1);
  });
});

describe("POST /v1/events: when the store cannot write", () => {
  let ctx: TestContext;
  let other: ReturnType<typeof createClient>;
  beforeAll(async () => {
    // A short busy timeout, so a lock held elsewhere turns into SQLITE_BUSY quickly.
    ctx = await createTestContext({ SEAMTRACE_BUSY_TIMEOUT_MS: "100" });
    other = createClient({ url: ctx.config.databaseUrl });
  });
  afterAll(() => {
    other.close();
    ctx.close();
  });

  it("returns 503 with Retry-After and stores nothing while another writer holds the lock, then recovers", async () => {
    const { key, projectId } = await ctx.newProject();
    let lock: Transaction | undefined = await other.transaction("write");
    try {
      const responses = await Promise.all([completedRun(), completedRun(), completedRun()].map((r) => postEvents(ctx, key, { events: r.events })));
      for (const res of responses) {
        expect(res.status).toBe(503);
        expect(res.headers.get("retry-after")).toBe("1");
        expect(res.body.error?.code).toBe("unavailable");
      }
    } finally {
      lock.close();
      lock = undefined;
    }
    expect(await counts(ctx, projectId)).toEqual({ events: 0, runs: 0, steps: 0 });

    const run = completedRun();
    const res = await postEvents(ctx, key, { events: run.events });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r) => r.status)).toEqual(Array(5).fill("accepted"));
    expect(await counts(ctx, projectId)).toEqual({ events: 5, runs: 1, steps: 3 });
  });

  it("rolls back the whole transaction when it fails part-way, so a retry stores everything", async () => {
    const { key, projectId } = await ctx.newProject();
    const run = completedRun();
    // Fails the last event of the batch after the first ones were inserted in the same transaction.
    await other.execute("CREATE TRIGGER fail_end BEFORE INSERT ON events WHEN NEW.type = 'run.completed' BEGIN SELECT RAISE(FAIL, 'disk I/O error'); END");
    try {
      const res = await postEvents(ctx, key, { events: run.events });
      expect(res.status).toBe(500);
      expect(await counts(ctx, projectId)).toEqual({ events: 0, runs: 0, steps: 0 });
    } finally {
      await other.execute("DROP TRIGGER fail_end");
    }
    const retry = await postEvents(ctx, key, { events: run.events });
    expect(retry.body.results.map((r) => r.status)).toEqual(Array(5).fill("accepted"));
    expect(await counts(ctx, projectId)).toEqual({ events: 5, runs: 1, steps: 3 });
  });

  it("keeps acknowledged events when projecting them fails, and projects them once it can", async () => {
    const { key, projectId } = await ctx.newProject();
    const run = completedRun();
    await other.execute("CREATE TRIGGER fail_steps BEFORE INSERT ON steps BEGIN SELECT RAISE(FAIL, 'projection broke'); END");
    try {
      const res = await postEvents(ctx, key, { events: run.events });
      expect(res.status).toBe(200);
      await expect(ctx.deps.projector.sync()).rejects.toThrow(/projection broke/);
      expect(await countRows(ctx.store, "events", projectId)).toBe(5);
      expect(await countRows(ctx.store, "runs", projectId)).toBe(0);
    } finally {
      await other.execute("DROP TRIGGER fail_steps");
    }
    expect(await counts(ctx, projectId)).toEqual({ events: 5, runs: 1, steps: 3 });
  });

  it("returns 503 once the write queue is closed for shutdown", async () => {
    const { key } = await ctx.newProject();
    await closeIngestWriter(ctx.store);
    const res = await postEvents(ctx, key, { events: [runStarted()] });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
  });
});
