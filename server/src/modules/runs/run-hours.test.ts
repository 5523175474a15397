import { uuidv7 } from "@seamtrace/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SeamtraceEvent } from "@seamtrace/sdk";
import { prng } from "../../../test-support/stream-fixtures.js";
import { postEvents, runEnded, runStarted, stepEvent } from "../../../test-support/events-fixtures.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { ensureRunHours, HOUR } from "./run-hours.js";
import { versionCounts } from "./store.js";

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
});
afterEach(() => ctx.close());

const iso = (ms: number) => new Date(ms).toISOString();
const H0 = Date.UTC(2025, 0, 15, 10); // an hour boundary

/** run_hours as rows, and the same counted from `runs`: they must always agree. */
async function both(projectId: string) {
  const kept = await ctx.store.client.execute({
    sql: "SELECT workflow_id, version, hour, runs, last_run_at FROM run_hours WHERE project_id = ? AND runs > 0 ORDER BY 1, 2, 3",
    args: [projectId],
  });
  const counted = await ctx.store.client.execute({
    sql: `SELECT workflow_id, version, started_at - started_at % ${HOUR} AS hour, count(*) AS runs, max(started_at) AS last_run_at
          FROM runs WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    args: [projectId],
  });
  return { kept: kept.rows.map((r) => Array.from(r)), counted: counted.rows.map((r) => Array.from(r)) };
}

describe("hourly run counts", () => {
  it("match a count of the runs whatever order a run's events arrive in, a late run.started moving the run to an earlier hour", async () => {
    const { key, projectId } = await ctx.newProject();
    const late = uuidv7();
    // The step arrives first (10:00:05): a placeholder run in the 10:00 hour.
    const step = stepEvent(late, { startedAt: iso(H0 + 5_000), time: iso(H0 + 6_000) });
    expect((await postEvents(ctx, key, { events: [step] })).status).toBe(200);
    // Others, in both hours and two versions.
    const others = [
      runStarted({ time: iso(H0 - 600_000), version: "3" }),
      runStarted({ time: iso(H0 + 60_000), version: "4" }),
      runStarted({ time: iso(H0 + 2 * HOUR), workflow: "invoices" }),
    ];
    expect((await postEvents(ctx, key, { events: others })).status).toBe(200);
    await ctx.deps.projector.sync();
    let s = await both(projectId);
    expect(s.kept).toEqual(s.counted);
    // Then its run.started, 10 s before the hour: the run now starts in the 09:00 hour.
    const started = runStarted({ runId: late, time: iso(H0 - 10_000) });
    // Its end says it ran 17 s: the end alone would place the start before the hour too.
    expect((await postEvents(ctx, key, { events: [started, runEnded(late, "run.completed", { time: iso(H0 + 7_000), durationMs: 17_000 })] })).status).toBe(
      200,
    );
    await ctx.deps.projector.sync();
    s = await both(projectId);
    expect(s.kept).toEqual(s.counted);
    expect(s.counted.reduce((n, r) => n + Number(r[3]), 0)).toBe(4);
  });

  it("match a count of the runs when one run's events name different workflows (the run stays in the first one's)", async () => {
    const { key, projectId } = await ctx.newProject();
    // In one batch: started as "claims" at 10:10, ended as "invoices" with a duration placing
    // the start at 09:55. The stored run is a "claims" run in the 09:00 hour.
    const one = uuidv7();
    const batch = [
      runStarted({ runId: one, time: iso(H0 + 600_000) }),
      runEnded(one, "run.completed", { workflow: "invoices", time: iso(H0 + 900_000), durationMs: 1_200_000 }),
    ];
    expect((await postEvents(ctx, key, { events: batch })).status).toBe(200);
    await ctx.deps.projector.sync();
    let s = await both(projectId);
    expect(s.kept).toEqual(s.counted);
    // Across batches: stored as an "invoices" run at 10:20 first, then a "claims" run.started at
    // 09:40 moves it to the 09:00 hour, still an "invoices" run.
    const two = uuidv7();
    expect((await postEvents(ctx, key, { events: [runStarted({ runId: two, workflow: "invoices", time: iso(H0 + 1_200_000) })] })).status).toBe(200);
    await ctx.deps.projector.sync();
    expect((await postEvents(ctx, key, { events: [runStarted({ runId: two, time: iso(H0 - 1_200_000) })] })).status).toBe(200);
    await ctx.deps.projector.sync();
    s = await both(projectId);
    expect(s.kept).toEqual(s.counted);
    expect(s.counted.reduce((n, r) => n + Number(r[3]), 0)).toBe(2);
  });

  it("match a count of the runs after every batch, for runs reported in any order, across hours, workflows and versions", async () => {
    const { key, projectId } = await ctx.newProject();
    const rand = prng(20_260_124);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const when = () => H0 - HOUR + Math.floor(rand() * 12 * HOUR); // twelve hours, boundaries included
    const events: SeamtraceEvent[] = [];
    for (let r = 0; r < 200; r++) {
      const runId = uuidv7();
      // Some runs' events disagree on the workflow or version; the run keeps its first.
      const named = () => ({ workflow: pick(["claims", "invoices"]), version: pick(["3", "4"]) });
      const base = named();
      const start = when();
      if (rand() < 0.8) events.push(runStarted({ runId, time: iso(start), ...base }));
      for (let s = 0, n = Math.floor(rand() * 3); s < n; s++) {
        const at = start + Math.floor(rand() * 20 * 60_000);
        events.push(stepEvent(runId, { startedAt: iso(at), time: iso(at + 1_000), ...(rand() < 0.7 ? base : named()) }));
      }
      if (rand() < 0.7) {
        const end = start + Math.floor(rand() * 30 * 60_000);
        // The end's duration may put the start earlier than run.started says (other clocks).
        events.push(
          runEnded(runId, pick(["run.completed", "run.failed"]), {
            time: iso(end),
            durationMs: end - start + pick([0, 0, 5, 40 * 60_000]),
            ...(rand() < 0.7 ? base : named()),
          }),
        );
      }
    }
    for (let i = events.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [events[i], events[j]] = [events[j]!, events[i]!];
    }
    let checked = 0;
    for (let i = 0; i < events.length; ) {
      const n = 1 + Math.floor(rand() * 25);
      expect((await postEvents(ctx, key, { events: events.slice(i, i + n) })).status).toBe(200);
      i += n;
      await ctx.deps.projector.sync();
      const s = await both(projectId);
      expect(s.kept).toEqual(s.counted);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
    expect((await both(projectId)).counted.length).toBeGreaterThan(4);
  });

  it("give GET /v1/workflows the same counts as counting the runs, for windows on and off the hour", async () => {
    const { key, projectId } = await ctx.newProject();
    const events = Array.from({ length: 40 }, (_, i) =>
      runStarted({ time: iso(H0 + i * 7 * 60_000 + 1_234), version: i % 3 ? "3" : "4", workflow: i % 4 ? "claims" : "invoices" }),
    );
    expect((await postEvents(ctx, key, { events })).status).toBe(200);
    await ctx.deps.projector.sync();
    const live = async (from: number, to: number) => {
      const rs = await ctx.store.client.execute({
        sql: "SELECT workflow_id, version, count(*), max(started_at) FROM runs WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND started_at >= ? AND started_at < ? GROUP BY 1, 2",
        args: [projectId, from, to],
      });
      return rs.rows.map((r) => ({ workflowId: String(r[0]), version: String(r[1]), runCount: Number(r[2]), lastRunAt: Number(r[3]) }));
    };
    const sort = (xs: Array<{ workflowId: string; version: string }>) =>
      [...xs].sort((a, b) => `${a.workflowId}${a.version}`.localeCompare(`${b.workflowId}${b.version}`));
    for (const [from, to] of [
      [H0, H0 + 5 * HOUR],
      [H0 + 17 * 60_000, H0 + 3 * HOUR + 1],
      [H0 + 61 * 60_000, H0 + 119 * 60_000],
      [H0 - HOUR, H0 + 30 * 60_000],
    ] as const) {
      expect(sort(await versionCounts(ctx.store.db, projectId, { from, to }))).toEqual(sort(await live(from, to)));
    }
  });

  it("are rebuilt from the runs for a store whose runs predate the table", async () => {
    const { key, projectId } = await ctx.newProject();
    const events = Array.from({ length: 12 }, (_, i) => runStarted({ time: iso(H0 + i * 25 * 60_000) }));
    expect((await postEvents(ctx, key, { events })).status).toBe(200);
    await ctx.deps.projector.sync();
    const before = await both(projectId);
    await ctx.store.client.execute("DELETE FROM run_hours");
    await ctx.store.client.execute("DELETE FROM projections WHERE name LIKE 'run_hours%'");
    await ensureRunHours(ctx.store.client);
    const after = await both(projectId);
    expect(after.kept).toEqual(before.counted);
    expect(after.kept).toEqual(after.counted);
    // A store built by the first version (whose counts could drift) is built again, once.
    await ctx.store.client.execute("UPDATE run_hours SET runs = runs + 1");
    await ctx.store.client.execute("UPDATE projections SET name = 'run_hours' WHERE name LIKE 'run_hours%'");
    await ensureRunHours(ctx.store.client);
    expect((await both(projectId)).kept).toEqual(after.counted);
    // Built once: a second call leaves them be.
    await ctx.store.client.execute("DELETE FROM run_hours");
    await ensureRunHours(ctx.store.client);
    expect((await both(projectId)).kept).toEqual([]);
  });
});
