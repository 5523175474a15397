/**
 * Analytics jobs: the time of each job over N new events, in a store that
 * holds N events against one that holds 10·N (the baseline and the candidate, run in this
 * process one after the other). The jobs read incremental rollups, so the ratio should stay
 * near 1 (target ≤ 1.2): their cost follows what is new, not the age of the store.
 *
 * `npm run bench -- jobs` runs N = 100,000 (1M stored in the larger store, a few minutes);
 * `npm run bench -- jobs --full` runs N = 1,000,000 against 10,000,000 stored (tens of minutes).
 *
 * Events are written straight into the event log (multi-row INSERTs, as the collector does),
 * 5 steps per run over a month of hours; 2% of steps carry a review or spot-check label with its
 * escalation row, so the label cursor and the late-label path are part of every rollup.
 *
 * The data is written (and the history rolled up) by child processes (bench/jobs-writer.ts), so
 * the timed job runs start in a process of their own. (Earlier this was blamed on a libsql leak,
 * tursodatabase/libsql-client-ts#333: measured since, the driver frees a statement's native
 * memory only in finalizers that run between event-loop turns, and a loop of awaited queries,
 * which the driver settles at once, never gives one — lib/yield.ts. It is not a leak.)
 */
import type { Client, InValue } from "@libsql/client";
import { spawn } from "node:child_process";
import { uuidv7, type StepEvent } from "@seamtrace/sdk";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../server/src/app/config.js";
import { openStore, type Store } from "../server/src/platform/db/client.js";
import { migrateStore } from "../server/src/app/migrate.js";
import { silentLogger } from "../server/src/app/logger.js";
import { JOBS } from "../server/src/app/jobs.js";
import { Scheduler, type FinishedRun } from "../server/src/modules/jobs/scheduler.js";
import { beta, prng } from "../server/test-support/stream-fixtures.js";
import { putPolicy } from "../server/src/modules/policies/store.js";
import { rebuildRollupDays } from "../server/src/modules/analytics/rollups-store.js";
import { fmt } from "./stats.js";
import { storedId } from "../server/src/platform/db/stored-id.js";
import { ensureProjectKey } from "../server/src/platform/db/project-key.js";

const H = 3_600_000;
const END = Date.UTC(2026, 0, 31); // data ends here; the jobs run just after
const STEPS = ["extract", "classify", "match-policy", "reserve", "route"];
const JOB_ORDER = ["rollup", "calibration", "escalation", "drift", "alerts", "auto-tighten", "recalibrate"] as const;
const LABEL_SHARE = 0.02;

interface Stored {
  dir: string;
  url: string;
  store: Store;
  scheduler: Scheduler;
}

/** Runs bench/jobs-writer.ts in a fresh process: `write <dbUrl> <n> <hours> <seed> <end> [rollup]`. */
function inChild(args: Array<string | number>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", new URL("./jobs-writer.ts", import.meta.url).pathname, ...args.map(String)], {
      stdio: "inherit",
    });
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`jobs-writer exited with ${code}`))));
  });
}

async function openBenchStore(): Promise<Stored> {
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-bench-jobs-"));
  const config = loadConfig({ SEAMTRACE_DATA_DIR: dir, SEAMTRACE_SECRET: "b".repeat(40) });
  const store = await openStore({ url: config.databaseUrl, busyTimeoutMs: 60_000 });
  await migrateStore(store);
  await store.client.execute("INSERT INTO projects (id, name, created_at) VALUES ('p1', 'bench', 0)");
  await putPolicy(store.client, {
    projectId: "p1",
    workflow: "claims",
    step: null,
    actor: "user:bench",
    now: 0,
    patch: { minConfidence: 0.7, spotCheckRate: 0.05, targetAccuracy: 0.8, tightenMin: 0.7, tightenMax: 0.95 },
  });
  const scheduler = new Scheduler({ store, config, log: silentLogger, now: () => END + 10 * 60_000 }, JOBS, { leaseMs: 600_000 });
  return { dir, url: config.databaseUrl, store, scheduler };
}

/**
 * Writes `n` step events ending at `end`, spread evenly over `hours` hours, in transactions of
 * 20,000 rows. `seed` varies the data between the stores' segments.
 */
export async function writeEvents(client: Client, n: number, hours: number, seed: number, end = END): Promise<void> {
  const rand = prng(seed);
  const p1 = await ensureProjectKey(client, "p1");
  const from = end - hours * H;
  const perTx = 20_000;
  for (let start = 0; start < n; start += perTx) {
    const events: InValue[][] = [];
    const escalations: InValue[][] = [];
    const labels: InValue[][] = [];
    for (let i = start; i < Math.min(n, start + perTx); i++) {
      const t = from + Math.floor((i / n) * hours * H);
      const step = STEPS[i % STEPS.length]!;
      const c = Math.round(beta(rand, 8, 2) * 1e4) / 1e4;
      const low = c < 0.7;
      const spot = !low && rand() < 0.05;
      const stepId = uuidv7();
      const escalationId = low || spot ? uuidv7() : undefined;
      const e: StepEvent = {
        id: uuidv7(),
        type: "step.completed",
        time: new Date(t).toISOString(),
        runId: `run-${Math.floor(i / 5)}`,
        workflow: "claims",
        version: "3",
        stepId,
        step,
        parents: [],
        output: rand() < 0.5 ? "water" : "fire",
        confidence: c,
        cumulative: c,
        source: "inferred",
        stale: false,
        attempt: 1,
        durationMs: Math.round(20 + rand() * 300),
        startedAt: new Date(t - 100).toISOString(),
        gate: { outcome: low ? "escalate" : "pass", kinds: low ? ["confidence"] : [], minConfidence: 0.7 },
        features: { amount: Math.round(500 + rand() * 3000), channel: rand() < 0.6 ? "email" : "web" },
        ...(escalationId ? { escalationId } : {}),
        ...(spot ? { spotCheck: { rate: 0.05 } } : {}),
      };
      events.push([p1, storedId(e.id), e.type, storedId(e.runId), t, t, JSON.stringify(e)]);
      if (escalationId && rand() < LABEL_SHARE / 0.25) {
        escalations.push([
          "p1",
          escalationId,
          e.runId,
          stepId,
          "claims",
          "3",
          step,
          spot ? "spot_check" : "escalate",
          "[]",
          spot ? 0 : 1,
          spot ? 0.05 : null,
          c,
          c,
          "{}",
          "resolved",
          t,
        ]);
        labels.push([
          "p1",
          uuidv7(),
          e.runId,
          stepId,
          "claims",
          "3",
          step,
          spot ? "spot_check" : "review",
          rand() < c ? 1 : 0,
          null,
          c,
          spot ? 0.05 : null,
          escalationId,
          "user:bench",
          t + H,
        ]);
      }
    }
    const tx = await client.transaction("write");
    try {
      for (let i = 0; i < events.length; i += 100) {
        const part = events.slice(i, i + 100);
        await tx.execute({
          sql: `INSERT INTO events (project_key, id, type, run_id, time, received_at, body) VALUES ${part.map(() => "(?,?,?,?,?,?,?)").join(",")}`,
          args: part.flat(),
        });
      }
      for (let i = 0; i < escalations.length; i += 50) {
        const part = escalations.slice(i, i + 50);
        await tx.execute({
          sql: `INSERT INTO escalations (project_id, id, run_id, step_id, workflow, version, step, kind, gate_kinds, blocking, sampling_rate, confidence, cumulative, packet, status, created_at) VALUES ${part.map(() => "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)").join(",")}`,
          args: part.flat(),
        });
      }
      for (let i = 0; i < labels.length; i += 50) {
        const part = labels.slice(i, i + 50);
        await tx.execute({
          sql: `INSERT INTO labels (project_id, id, run_id, step_id, workflow, version, step, source, correct, value, confidence, sampling_rate, escalation_id, actor, created_at) VALUES ${part.map(() => "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)").join(",")}`,
          args: part.flat(),
        });
      }
      await tx.commit();
    } finally {
      tx.close();
    }
  }
}

/** Runs every job once, in schedule order; returns each one's wall time in ms. */
async function runJobs(s: Stored): Promise<Record<string, { ms: number; rowsRead: number | null }>> {
  const out: Record<string, { ms: number; rowsRead: number | null }> = {};
  for (const job of JOB_ORDER) {
    const t0 = performance.now();
    const r = (await s.scheduler.run(job, { trigger: "manual", actor: "bench" })) as FinishedRun;
    if (r.outcome !== "ok") throw new Error(`${job} failed: ${r.error}`);
    out[job] = { ms: performance.now() - t0, rowsRead: r.rowsRead };
  }
  return out;
}

async function count(client: Client): Promise<number> {
  return Number((await client.execute("SELECT max(seq) FROM events")).rows[0]![0]);
}

/** The rollup cursors, saved once the store holds its data and nothing new has been folded. */
async function cursors(client: Client): Promise<Array<[string, number]>> {
  const rs = await client.execute("SELECT name, position FROM job_cursors");
  return rs.rows.map((r) => [String(r.name), Number(r.position)]);
}

/**
 * Puts a store back as it was before the timed jobs ran: the window's rollups, everything the
 * jobs derived, the step policies auto-tighten wrote, and the cursors. So each round times the
 * same work, and rounds can alternate between the stores (as the other benchmarks do).
 */
async function reset(client: Client, saved: Array<[string, number]>, windowStart: number): Promise<void> {
  const tx = await client.transaction("write");
  try {
    await tx.execute({ sql: "DELETE FROM rollup_hours WHERE hour >= ?", args: [windowStart] });
    await tx.execute({ sql: "DELETE FROM rollup_labels WHERE hour >= ?", args: [windowStart] });
    // The daily rows of those hours' days, summed again from the hourly rows left.
    await rebuildRollupDays(tx, windowStart);
    for (const t of ["metrics", "alerts", "threshold_changes", "calibration_maps", "job_cursors"]) await tx.execute(`DELETE FROM ${t}`);
    await tx.execute("DELETE FROM policies WHERE step <> ''");
    for (const [name, position] of saved)
      await tx.execute({ sql: "INSERT INTO job_cursors (name, position, updated_at) VALUES (?, ?, 0)", args: [name, position] });
    await tx.commit();
  } finally {
    tx.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function benchJobs(opts: { full?: boolean; rounds?: number } = {}): Promise<Record<string, unknown>> {
  const n = opts.full ? 1_000_000 : 100_000;
  const rounds = opts.rounds ?? (opts.full ? 3 : 5);
  const hours = 30 * 24;
  const windowStart = END - hours * H;
  const log = (s: string) => console.log(s);
  const small = await openBenchStore();
  const large = await openBenchStore();
  try {
    // Baseline: n events stored, all of them new to the jobs.
    await inChild(["write", small.url, n, hours, 1, END]);
    // Candidate: nine older months of n events each, already rolled up; then the same n new events.
    const t0 = performance.now();
    for (let k = 9; k >= 1; k--) {
      await inChild(["write", large.url, n, hours, 100 + k, END - k * hours * H, "rollup"]);
      log(`  (history: ${fmt(await count(large.store.client))} events stored and rolled up, ${fmt((performance.now() - t0) / 1000, 0)} s)`);
    }
    await inChild(["write", large.url, n, hours, 1, END]);
    const stored = { small: await count(small.store.client), large: await count(large.store.client) };
    const saved = { small: await cursors(small.store.client), large: await cursors(large.store.client) };

    // One untimed pass warms the JIT, then rounds alternate which store goes first.
    await runJobs(small);
    const times: Record<"small" | "large", Array<Record<string, { ms: number; rowsRead: number | null }>>> = { small: [], large: [] };
    for (let r = 0; r < rounds; r++) {
      for (const which of r % 2 ? (["large", "small"] as const) : (["small", "large"] as const)) {
        const s = which === "small" ? small : large;
        await reset(s.store.client, saved[which], windowStart);
        times[which].push(await runJobs(s));
      }
    }

    log(`Jobs over ${fmt(n)} new events: a store of ${fmt(stored.small)} events against one of ${fmt(stored.large)} (ms, median of ${rounds} rounds)`);
    const result: Record<string, unknown> = { newEvents: n, storedSmall: stored.small, storedLarge: stored.large, rounds };
    let totalSmall = 0;
    let totalLarge = 0;
    for (const job of JOB_ORDER) {
      const b = median(times.small.map((t) => t[job]!.ms));
      const c = median(times.large.map((t) => t[job]!.ms));
      totalSmall += b;
      totalLarge += c;
      log(
        `  ${job.padEnd(13)} ${fmt(b, 0).padStart(9)} ms  ${fmt(c, 0).padStart(9)} ms   ratio ${fmt(c / b, 2)}${job === "rollup" ? `   (${fmt((n / b) * 1000)} events/s)` : ""}`,
      );
      result[job] = { smallMs: b, largeMs: c, ratio: c / b, rowsRead: times.large[0]![job]!.rowsRead };
    }
    log(
      `  all jobs      ${fmt(totalSmall, 0).padStart(9)} ms  ${fmt(totalLarge, 0).padStart(9)} ms   ratio ${fmt(totalLarge / totalSmall, 2)}   (target ≤ 1.2)`,
    );
    result.ratio = totalLarge / totalSmall;
    return result;
  } finally {
    for (const s of [small, large]) {
      s.store.close();
      rmSync(s.dir, { recursive: true, force: true });
    }
  }
}
