import type { SeamtraceEvent } from "@seamtrace/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { completedRun, countRows, postEvents, runStarted, type CountedTable } from "../../../test-support/events-fixtures.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { createApp } from "../../app/app.js";
import { singleStore } from "../../platform/db/store-resolver.js";
import { commitIngestBatches, type FoldAppended } from "../ingest/store.js";
import { Projector } from "./projector.js";

// What an ingest commit projects by itself: read straight from the tables, never through the query
// API (which would catch up first), so a projection left to a later pass shows as missing rows.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Ctx = TestContext & { projectId: string; key: string; keyId: string };

async function setup(env: Record<string, string> = {}): Promise<Ctx> {
  const ctx = await createTestContext(env);
  cleanups.push(() => ctx.close());
  return { ...ctx, ...(await ctx.newProject()) };
}

async function position(ctx: TestContext): Promise<{ head: number; position: number }> {
  const rs = await ctx.store.client.execute(
    "SELECT (SELECT coalesce(max(seq), 0) FROM events), (SELECT coalesce(max(position), 0) FROM projections WHERE name = 'runs')",
  );
  return { head: Number(rs.rows[0]![0]), position: Number(rs.rows[0]![1]) };
}

function count(ctx: TestContext, table: CountedTable, projectId: string): Promise<number> {
  return countRows(ctx.store, table, projectId);
}

/** Appends `events` to the log in one commit, folding them with `fold` when given (as the ingest routes do). */
function commit(ctx: Ctx, events: SeamtraceEvent[], fold?: FoldAppended) {
  return commitIngestBatches(ctx.store.client, [{ projectId: ctx.projectId, keyId: ctx.keyId, receivedAt: Date.now(), events, fold }]);
}

/** An app whose projector folds `chunk` events at a time, on the test's store. */
function appWith(ctx: Ctx, chunk: number): { app: ReturnType<typeof createApp>; projector: Projector } {
  const projector = new Projector(ctx.store, { chunk });
  return { projector, app: createApp({ ...ctx.deps, projector, stores: singleStore({ store: ctx.store, projector }) }) };
}

const until = async (check: () => Promise<boolean>): Promise<void> => {
  while (!(await check())) await new Promise((r) => setTimeout(r, 10));
};

describe("ingest commits project what they append", () => {
  it("has a run and its steps projected when POST /v1/events answers, with no pass in between", async () => {
    const ctx = await setup();
    const run = completedRun();
    expect((await postEvents(ctx, ctx.key, { events: run.events })).status).toBe(200);
    expect(await position(ctx)).toEqual({ head: 5, position: 5 });
    const rs = await ctx.store.client.execute({
      sql: "SELECT status, step_count FROM runs WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND id = ?",
      args: [ctx.projectId, run.runId],
    });
    expect(rs.rows.map((r) => [r[0], r[1]])).toEqual([["completed", 3]]);
    expect(await count(ctx, "steps", ctx.projectId)).toBe(3);
  });

  it("has an OTLP trace's run and steps projected when POST /v1/traces answers", async () => {
    const ctx = await setup();
    const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
    const span = (spanId: string, over: Record<string, unknown>) => ({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId,
      name: "pipeline",
      kind: 1,
      startTimeUnixNano: String(t0),
      endTimeUnixNano: String(t0 + 100_000_000n),
      status: { code: 1 },
      ...over,
    });
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "claims" } }] },
          scopeSpans: [
            {
              scope: { name: "test" },
              spans: [span("00f067aa0ba902b7", {}), span("53995c3f42cd8ad8", { parentSpanId: "00f067aa0ba902b7", name: "classify" })],
            },
          ],
        },
      ],
    };
    const res = await ctx.app.request("/v1/traces", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ctx.key}` },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const { head, position: at } = await position(ctx);
    expect(head).toBeGreaterThan(0);
    expect(at).toBe(head);
    expect(await count(ctx, "runs", ctx.projectId)).toBe(1);
    expect(await count(ctx, "steps", ctx.projectId)).toBe(2);
  });

  it("folds older events left waiting first, a chunk per commit, and a pass takes the rest", async () => {
    const ctx = await setup();
    const projector = new Projector(ctx.store, { chunk: 3 });
    cleanups.push(() => projector.close());
    // Ten runs appended without a fold (as a job appends, or an instance that stopped before projecting).
    const older = Array.from({ length: 10 }, () => runStarted());
    await commit(ctx, older);
    expect(await position(ctx)).toEqual({ head: 10, position: 0 });

    const mine = [runStarted(), runStarted()];
    await commit(ctx, [mine[0]!], projector.foldAppended);
    // In order: three of the older ones, not the commit's own event past them.
    expect(await position(ctx)).toEqual({ head: 11, position: 3 });
    expect(await count(ctx, "runs", ctx.projectId)).toBe(3);

    projector.notify();
    await until(async () => (await position(ctx)).position === 11);
    await commit(ctx, [mine[1]!], projector.foldAppended);
    expect(await position(ctx)).toEqual({ head: 12, position: 12 });
    expect(await count(ctx, "runs", ctx.projectId)).toBe(12);
  });

  it("commits the events when their fold fails, leaves later commits' to a pass until one catches up, then folds again", async () => {
    const logged: string[] = [];
    const ctx = await setup();
    const projector = new Projector(ctx.store, { log: { info: () => {}, error: (msg) => logged.push(msg) } });
    cleanups.push(() => projector.close());
    await ctx.store.client.execute("CREATE TRIGGER refuse_steps BEFORE INSERT ON steps BEGIN SELECT RAISE(ABORT, 'steps refused'); END");
    await commit(ctx, completedRun().events, projector.foldAppended);
    // Acknowledged and audited, and nothing of the fold left half-written: no run row without its steps.
    expect(await position(ctx)).toEqual({ head: 5, position: 0 });
    expect(await count(ctx, "events", ctx.projectId)).toBe(5);
    expect(await count(ctx, "audit_log", ctx.projectId)).toBeGreaterThanOrEqual(5);
    expect(await count(ctx, "runs", ctx.projectId)).toBe(0);
    expect(logged).toEqual(["projection failed"]);
    // The next commit does not try again (it would fail the same way, each time).
    await commit(ctx, completedRun().events, projector.foldAppended);
    expect(await position(ctx)).toEqual({ head: 10, position: 0 });
    expect(logged).toEqual(["projection failed"]);

    await ctx.store.client.execute("DROP TRIGGER refuse_steps");
    projector.notify();
    await until(async () => (await position(ctx)).position === 10);
    expect(await count(ctx, "runs", ctx.projectId)).toBe(2);
    expect(await count(ctx, "steps", ctx.projectId)).toBe(6);
    // Caught up: commits fold their own events again.
    await commit(ctx, completedRun().events, projector.foldAppended);
    expect(await position(ctx)).toEqual({ head: 15, position: 15 });
  });

  it("fails the commit with the fold's own error when SQLite rolled back the whole transaction", async () => {
    const ctx = await setup();
    const projector = new Projector(ctx.store);
    cleanups.push(() => projector.close());
    await ctx.store.client.execute("CREATE TRIGGER roll_back BEFORE INSERT ON steps BEGIN SELECT RAISE(ROLLBACK, 'whole transaction rolled back'); END");
    await expect(commit(ctx, completedRun().events, projector.foldAppended)).rejects.toThrow(/whole transaction rolled back/);
    expect(await count(ctx, "events", ctx.projectId)).toBe(0);
    expect(await count(ctx, "audit_log", ctx.projectId)).toBe(2); // the project's and its key's creation
    // The retry (the write queue's, or the client's) appends without folding, and is acknowledged.
    await commit(ctx, completedRun().events, projector.foldAppended);
    expect(await position(ctx)).toEqual({ head: 5, position: 0 });
  });

  it("spaces the passes that retry a failed fold a second apart", async () => {
    const ctx = await setup();
    const projector = new Projector(ctx.store);
    await ctx.store.client.execute("CREATE TRIGGER refuse_steps BEFORE INSERT ON steps BEGIN SELECT RAISE(ABORT, 'steps refused'); END");
    await commit(ctx, completedRun().events, projector.foldAppended);
    await ctx.store.client.execute("DROP TRIGGER refuse_steps");
    projector.notify();
    // Closing waits for a pass under way and starts none: the retry is not due yet, so none ran.
    await projector.close();
    expect(await position(ctx)).toEqual({ head: 5, position: 0 });
  });

  it("starts a pass for what a request that stored nothing left waiting", async () => {
    const ctx = await setup();
    const { app, projector } = appWith(ctx, 3);
    const older = Array.from({ length: 10 }, () => runStarted());
    await commit(ctx, older);
    // A resend of one of them: stores nothing, folds a chunk of the backlog.
    const res = await app.request("/v1/events", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ctx.key}` },
      body: JSON.stringify({ events: [older[0]] }),
    });
    expect(res.status).toBe(200);
    // Closing waits for a pass under way and starts none: the request must have started it.
    await projector.close();
    expect(await position(ctx)).toEqual({ head: 10, position: 10 });
  });

  it("starts a pass for what an OTLP request whose spans all wait left waiting", async () => {
    const ctx = await setup();
    const { app, projector } = appWith(ctx, 3);
    await commit(
      ctx,
      Array.from({ length: 10 }, () => runStarted()),
    );
    const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
    // A child span whose parent has not arrived: stored, waiting, no event settled.
    const span = {
      traceId: "5bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "53995c3f42cd8ad8",
      parentSpanId: "00f067aa0ba902b7",
      name: "classify",
      kind: 1,
      startTimeUnixNano: String(t0),
      endTimeUnixNano: String(t0 + 100_000_000n),
    };
    const res = await app.request("/v1/traces", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ctx.key}` },
      body: JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: "test" }, spans: [span] }] }] }),
    });
    expect(res.status).toBe(200);
    await projector.close();
    expect(await position(ctx)).toEqual({ head: 10, position: 10 });
  });

  it("projects the copy of a repeated id the log keeps: the first", async () => {
    const ctx = await setup();
    const projector = new Projector(ctx.store);
    cleanups.push(() => projector.close());
    const first = runStarted({ workflow: "claims" });
    const second = { ...first, workflow: "other-workflow" };
    const batch = (event: SeamtraceEvent) => ({
      projectId: ctx.projectId,
      keyId: ctx.keyId,
      receivedAt: Date.now(),
      events: [],
      prepare: async () => [{ event, keyId: ctx.keyId }],
      fold: projector.foldAppended,
    });
    // Two requests merged into one commit, each making the same event (as OTLP settles by id).
    await commitIngestBatches(ctx.store.client, [batch(first), batch(second)]);
    const rs = await ctx.store.client.execute({
      sql: "SELECT workflow FROM runs WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND id = ?",
      args: [ctx.projectId, first.runId],
    });
    expect(rs.rows.map((r) => r[0])).toEqual(["claims"]);
    expect(await position(ctx)).toEqual({ head: 1, position: 1 });
  });
});
