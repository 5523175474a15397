import { createClient } from "@libsql/client";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runHostScript } from "../../../../test/support/host-script.js";
import { silentLogger } from "../../app/logger.js";
import { LeaseLostError, listJobRuns } from "./store.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import type { Job } from "./job.js";
import { Scheduler } from "./scheduler.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let ctx: TestContext;
afterEach(() => ctx?.close());

interface Span {
  holder: string;
  start: number;
  end: number;
}

/** A job that records when it ran, and which instance ran it. */
function recordingJob(spans: Span[], holder: string, ms: number): Job {
  return {
    name: "rollup",
    async run() {
      const start = performance.now();
      await sleep(ms);
      spans.push({ holder, start, end: performance.now() });
      return { rowsRead: 1 };
    },
  };
}

/**
 * One server instance in a child process: a scheduler on the shared store whose `rollup` job
 * appends "<holder> <start> <end>" (epoch ms, sub-ms precision) to `spansFile`, fired every few
 * milliseconds for `forMs`, as cron would fire it on every instance. The instances start firing
 * together: each says it is ready in `dir` and waits for the others, however long they took to
 * load, so the overlap does not depend on how fast the machine starts processes.
 */
const instanceScript = (dbUrl: string, dir: string, spansFile: string, holder: string, holders: string[], forMs: number) => `
  import { appendFileSync, existsSync, writeFileSync } from "node:fs";
  import { loadConfig } from "./server/src/app/config.ts";
  import { openStore } from "./server/src/platform/db/client.ts";
  import { silentLogger } from "./server/src/app/logger.ts";
  import { Scheduler } from "./server/src/modules/jobs/scheduler.ts";
  const config = loadConfig({ DATABASE_URL: ${JSON.stringify(dbUrl)}, SEAMTRACE_SECRET: "s".repeat(40) });
  const store = await openStore({ url: config.databaseUrl, busyTimeoutMs: config.busyTimeoutMs });
  const clock = () => performance.timeOrigin + performance.now();
  const job = { name: "rollup", async run() {
    const start = clock();
    await new Promise((r) => setTimeout(r, 15));
    appendFileSync(${JSON.stringify(spansFile)}, ${JSON.stringify(holder)} + " " + start + " " + clock() + "\\n");
    return { rowsRead: 1 };
  } };
  const s = new Scheduler({ store, config, log: silentLogger, now: Date.now }, [job], { holder: ${JSON.stringify(holder)} });
  writeFileSync(${JSON.stringify(dir)} + "/ready-" + ${JSON.stringify(holder)}, "");
  while (!${JSON.stringify(holders)}.every((h) => existsSync(${JSON.stringify(dir)} + "/ready-" + h))) await new Promise((r) => setTimeout(r, 5));
  const until = Date.now() + ${forMs};
  let busy = 0;
  while (Date.now() < until) {
    if ((await s.run("rollup", { trigger: "schedule", actor: "system:scheduler" })) === "busy") busy++;
    await new Promise((r) => setTimeout(r, Math.random() * 4));
  }
  store.close();
  console.log("busy=" + busy);
`;

describe("Scheduler lease", () => {
  it("never lets two server processes on one store run the same job at once", async () => {
    ctx = await createTestContext();
    const spansFile = join(ctx.dir, "spans.txt");
    const holders = ["p", "q"];
    const [p, q] = await Promise.all(holders.map((h) => runHostScript(instanceScript(ctx.config.databaseUrl, ctx.dir, spansFile, h, holders, 1_500))));
    expect(p!.code, p!.out).toBe(0);
    expect(q!.code, q!.out).toBe(0);
    const spans = readFileSync(spansFile, "utf8")
      .trim()
      .split("\n")
      .map((line) => {
        const [holder, start, end] = line.split(" ");
        return { holder: holder!, start: Number(start), end: Number(end) };
      })
      .sort((x, y) => x.start - y.start);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start, `run ${i} started before run ${i - 1} ended`).toBeGreaterThanOrEqual(spans[i - 1]!.end);
    expect(spans.length).toBeGreaterThan(10);
    expect(new Set(spans.map((s) => s.holder))).toEqual(new Set(["p", "q"]));
    const busy = [p!, q!].map((r) => Number(/busy=(\d+)/.exec(r.out)?.[1] ?? 0));
    expect(busy[0]! + busy[1]!).toBeGreaterThan(0);
    const runs = await listJobRuns(ctx.store.db, { job: "rollup", limit: 1000 });
    expect(runs.items.length).toBe(spans.length);
  });

  it("never lets two schedulers in one process run the same job at once", async () => {
    ctx = await createTestContext();
    const spans: Span[] = [];
    // One store client: two writers on separate clients in one process would deadlock in the
    // embedded driver (store/write-transaction.ts), which is why the cross-process case is above.
    const a = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: Date.now }, [recordingJob(spans, "a", 30)], { holder: "a" });
    const b = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: Date.now }, [recordingJob(spans, "b", 30)], { holder: "b" });
    let busy = 0;
    for (let round = 0; round < 15; round++) {
      // Both instances fire on the same tick, several times, as cron would on every instance.
      const order = round % 2 ? [a, b, a, b] : [b, a, b, a];
      const outcomes = await Promise.all(order.map((s) => s.run("rollup", { trigger: "schedule", actor: "system:scheduler" })));
      busy += outcomes.filter((o) => o === "busy").length;
      await sleep(round % 3);
    }
    const sorted = [...spans].sort((x, y) => x.start - y.start);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.start, `run ${i} started before run ${i - 1} ended`).toBeGreaterThanOrEqual(sorted[i - 1]!.end);
    expect(spans.length).toBeGreaterThanOrEqual(15);
    expect(busy).toBeGreaterThan(0);
    // Both instances got to run it at some point: the lease moves, it is not pinned to one.
    expect(new Set(spans.map((s) => s.holder))).toEqual(new Set(["a", "b"]));
    const runs = await listJobRuns(ctx.store.db, { job: "rollup", limit: 100 });
    expect(runs.items.length).toBe(spans.length);
    expect(runs.items.every((r) => r.outcome === "ok" && r.rowsRead === 1 && r.endedAt !== null)).toBe(true);
  });

  it("runs each scheduled tick on one instance only, however late the other fires it", async () => {
    ctx = await createTestContext();
    const spans: Span[] = [];
    const a = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: Date.now }, [recordingJob(spans, "a", 5)], { holder: "a" });
    const b = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: Date.now }, [recordingJob(spans, "b", 5)], { holder: "b" });
    const tick = Date.UTC(2026, 0, 1, 0, 0, 0);
    // Both fire the same tick at once, then again one after the other (the lease is free by then).
    const together = await Promise.all([a.runTick("rollup", tick), b.runTick("rollup", tick)]);
    expect(together.filter((r) => r === "busy")).toHaveLength(1);
    expect(await a.runTick("rollup", tick)).toBe("busy");
    expect(await b.runTick("rollup", tick)).toBe("busy");
    // The next tick is a new one; a run on demand is never a tick.
    expect(await b.runTick("rollup", tick + 1_000)).toMatchObject({ outcome: "ok" });
    expect(await a.run("rollup", { trigger: "manual", actor: "cli" })).toMatchObject({ outcome: "ok" });
    const runs = await listJobRuns(ctx.store.db, { job: "rollup", limit: 10 });
    expect(runs.items.map((r) => r.tick).sort()).toEqual([new Date(tick).toISOString(), new Date(tick + 1_000).toISOString(), null].sort());
    expect(spans).toHaveLength(3);
  });

  it("records a run's start once its lease is taken, not before a wait for the write lock", async () => {
    ctx = await createTestContext();
    const spans: Span[] = [];
    const a = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: Date.now }, [recordingJob(spans, "a", 1)], { holder: "a" });
    // Another process holds the write lock; the run waits for it.
    const other = createClient({ url: ctx.config.databaseUrl });
    const held = await other.transaction("write");
    await held.execute("CREATE TABLE lock_probe (x INTEGER)");
    const run = a.run("rollup", { trigger: "manual", actor: "cli" });
    await sleep(300);
    const released = Date.now();
    await held.rollback();
    other.close();
    expect(await run).toMatchObject({ outcome: "ok" });
    const [recorded] = (await listJobRuns(ctx.store.db, { job: "rollup", limit: 1 })).items;
    expect(Date.parse(recorded!.startedAt)).toBeGreaterThanOrEqual(released);
  });

  it("keeps the lease of a job that outlives the lease length by renewing it", async () => {
    ctx = await createTestContext();
    const spans: Span[] = [];
    // Renewed every 500 ms: a loaded machine would have to stall the event loop for a whole
    // lease length (1.5 s) to lose it.
    const a = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: Date.now }, [recordingJob(spans, "a", 5_000)], {
      holder: "a",
      leaseMs: 1_500,
    });
    const b = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: Date.now }, [recordingJob(spans, "b", 10)], {
      holder: "b",
      leaseMs: 1_500,
    });
    const long = await a.start("rollup", { trigger: "manual", actor: "cli" });
    expect(long.status).toBe("started");
    // Three lease lengths go by; the other instance never gets in.
    for (let i = 0; i < 9; i++) {
      await sleep(500);
      expect(await b.run("rollup", { trigger: "schedule", actor: "system:scheduler" })).toBe("busy");
    }
    await (long as { done: Promise<unknown> }).done;
    expect(await b.run("rollup", { trigger: "schedule", actor: "system:scheduler" })).toMatchObject({ outcome: "ok" });
  });

  it("takes over a lease its holder left to expire (a crashed instance), and records that run as abandoned", async () => {
    ctx = await createTestContext();
    await ctx.store.client.execute({
      sql: "INSERT INTO job_leases (job, holder, acquired_at, expires_at) VALUES ('rollup', 'dead', 0, ?)",
      args: [Date.now() - 1],
    });
    await ctx.store.client.execute(
      "INSERT INTO job_runs (id, job, trigger, holder, actor, started_at, outcome) VALUES ('r0', 'rollup', 'schedule', 'dead', 'system:scheduler', 0, 'running')",
    );
    const spans: Span[] = [];
    const a = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: Date.now }, [recordingJob(spans, "a", 1)], { holder: "a" });
    expect(await a.run("rollup", { trigger: "schedule", actor: "system:scheduler" })).toMatchObject({ outcome: "ok" });
    const runs = await listJobRuns(ctx.store.db, { job: "rollup", limit: 10 });
    expect(runs.items.find((r) => r.id === "r0")).toMatchObject({ outcome: "failed", error: expect.stringMatching(/^abandoned/) });
  });

  it("refuses a stalled holder's writes once its lease was taken over (fencing)", async () => {
    ctx = await createTestContext();
    const job: Job = {
      name: "rollup",
      async run(jc) {
        // Another instance takes the lease after ours expired (simulated directly).
        await ctx.store.client.execute("UPDATE job_leases SET holder = 'usurper', expires_at = expires_at + 60000");
        await withWriteLock(jc.store.client, async (tx) => {
          await tx.execute("INSERT INTO job_cursors (name, position, updated_at) VALUES ('fenced', 1, 0)");
          await jc.fence(tx);
          return { commit: true, value: undefined };
        });
        return { rowsRead: 0 };
      },
    };
    const a = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: Date.now }, [job], { holder: "a" });
    const run = await a.run("rollup", { trigger: "manual", actor: "cli" });
    expect(run).toMatchObject({ outcome: "failed", error: new LeaseLostError("rollup").message });
    const rs = await ctx.store.client.execute("SELECT count(*) FROM job_cursors WHERE name = 'fenced'");
    expect(Number(rs.rows[0]![0])).toBe(0);
    // The usurper's lease is untouched by our release.
    const lease = await ctx.store.client.execute("SELECT holder FROM job_leases WHERE job = 'rollup'");
    expect(lease.rows[0]!.holder).toBe("usurper");
  });

  it("records a failed run with its error and lets the next run start", async () => {
    ctx = await createTestContext();
    let calls = 0;
    const job: Job = {
      name: "drift",
      async run() {
        calls++;
        if (calls === 1) throw new Error("boom");
        return { rowsRead: 7, rowsWritten: 2, details: { windows: 1 } };
      },
    };
    const a = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: Date.now }, [job]);
    expect(await a.run("drift", { trigger: "manual", actor: "cli" })).toMatchObject({ outcome: "failed", error: "boom" });
    expect(await a.run("drift", { trigger: "manual", actor: "cli" })).toMatchObject({ outcome: "ok", rowsRead: 7, rowsWritten: 2 });
    const runs = await listJobRuns(ctx.store.db, { job: "drift", limit: 10 });
    expect(runs.items.map((r) => [r.outcome, r.error, r.actor, r.trigger])).toEqual([
      ["ok", null, "cli", "manual"],
      ["failed", "boom", "cli", "manual"],
    ]);
    expect(runs.items[0]!.details).toEqual({ windows: 1 });
  });

  it("answers unknown for a job it does not run", async () => {
    ctx = await createTestContext();
    const a = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: Date.now }, []);
    expect(await a.run("retention", { trigger: "manual", actor: "cli" })).toBe("unknown");
  });
});
