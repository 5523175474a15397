import { createClient } from "@libsql/client";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { JOB_NAMES } from "../../server/src/modules/jobs/names.js";
import { scale, writeSummary } from "../support/reliability.js";
import { spawnServer, type SpawnedServer } from "../support/server.js";

/**
 * Two server processes on one database file, both scheduling the same jobs every second, as two
 * instances behind a load balancer would. Every tick of every job must run on exactly one of
 * them, and the history's times must be taken once the lease is held, so a job's runs never
 * overlap in it. Measured before the fix: 306 of 372 ticks ran on both (rollup on 61 of 80), and
 * the history showed overlapping runs, their starts taken before the wait for the lease.
 */

const TICKS = scale(8, 90);
const JOBS = ["rollup", "checkpoint"] as const;

const servers: SpawnedServer[] = [];
const dataDir = mkdtempSync(join(tmpdir(), "seamtrace-ticks-"));
const summary: Record<string, unknown> = { jobs: JOBS, ticksWanted: TICKS };

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dataDir, { recursive: true, force: true });
  writeSummary("job-ticks", summary);
});

interface Run {
  job: string;
  holder: string;
  trigger: string;
  tick: number | null;
  started: number;
  ended: number | null;
}

async function scheduledRuns(): Promise<Run[]> {
  const client = createClient({ url: `file:${join(dataDir, "seamtrace.db")}` });
  try {
    const rs = await client.execute("SELECT job, holder, trigger, tick, started_at, ended_at FROM job_runs WHERE trigger = 'schedule' ORDER BY started_at");
    return rs.rows.map((r) => ({
      job: String(r.job),
      holder: String(r.holder),
      trigger: String(r.trigger),
      tick: r.tick === null ? null : Number(r.tick),
      started: Number(r.started_at),
      ended: r.ended_at === null ? null : Number(r.ended_at),
    }));
  } finally {
    client.close();
  }
}

describe("two server processes on one store", () => {
  it(
    `run each scheduled tick of each job once, over ${TICKS} ticks, with runs that never overlap in the history`,
    async () => {
      const env: Record<string, string> = { SEAMTRACE_SECRET: "t".repeat(40) };
      for (const job of JOB_NAMES)
        env[`SEAMTRACE_JOB_${job.toUpperCase().replace(/-/g, "_")}_SCHEDULE`] = (JOBS as readonly string[]).includes(job) ? "* * * * * *" : "off";
      servers.push(await spawnServer({ dataDir, env, timeoutMs: 60_000 }));
      servers.push(await spawnServer({ dataDir, env, timeoutMs: 60_000 }));

      // Wait for the ticks (polling the shared file, as a third reader), not for a length of time.
      let runs: Run[] = [];
      for (let i = 0; i < 1_200; i++) {
        runs = await scheduledRuns();
        if (JOBS.every((job) => runs.filter((r) => r.job === job && r.ended !== null).length >= TICKS)) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      await Promise.all(servers.map((s) => s.stop()));
      runs = (await scheduledRuns()).filter((r) => r.ended !== null);

      const perJob = Object.fromEntries(
        JOBS.map((job) => {
          const mine = runs.filter((r) => r.job === job);
          const ticks = mine.map((r) => r.tick);
          const span = mine.length > 0 ? (mine[mine.length - 1]!.started - mine[0]!.started) / 1000 : 0;
          return [
            job,
            { runs: mine.length, distinctTicks: new Set(ticks).size, secondsSpanned: Math.round(span), byHolder: countBy(mine.map((r) => r.holder)) },
          ];
        }),
      );
      summary.perJob = perJob;

      for (const job of JOBS) {
        const mine = runs.filter((r) => r.job === job);
        expect(mine.length, `${job}: ${JSON.stringify(perJob[job])}`).toBeGreaterThanOrEqual(TICKS);
        // Every scheduled run names its tick, a whole second, and no tick ran twice.
        for (const r of mine) expect(r.tick !== null && r.tick % 1000 === 0, JSON.stringify(r)).toBe(true);
        expect(new Set(mine.map((r) => r.tick)).size, `${job}: a tick ran on both instances`).toBe(mine.length);
        // At most one run per second of the schedule, whatever the tick column says.
        const seconds = (mine[mine.length - 1]!.started - mine[0]!.started) / 1000;
        expect(mine.length, `${job}: ${mine.length} runs in ${seconds.toFixed(1)} s of one tick a second`).toBeLessThanOrEqual(Math.floor(seconds) + 2);
        // The history's times are the lease's: each run starts after the one before it ended.
        for (let i = 1; i < mine.length; i++) {
          expect(mine[i]!.started, `${job}: run ${i} (${mine[i]!.holder}) started before run ${i - 1} (${mine[i - 1]!.holder}) ended`).toBeGreaterThanOrEqual(
            mine[i - 1]!.ended!,
          );
        }
      }
    },
    scale(240_000, 900_000),
  );
});

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
