/**
 * A child of bench/jobs.ts: writes one segment of benchmark events into a store, and rolls it up
 * when asked, then exits (which is what gives back the native memory the driver keeps per row).
 * Usage: jobs-writer.ts write <dbUrl> <n> <hours> <seed> <end> [rollup]
 */
import { loadConfig } from "../server/src/app/config.js";
import { openStore } from "../server/src/platform/db/client.js";
import { silentLogger } from "../server/src/app/logger.js";
import { JOBS } from "../server/src/app/jobs.js";
import { Scheduler, type FinishedRun } from "../server/src/modules/jobs/scheduler.js";
import { writeEvents } from "./jobs.js";

const [cmd, url, n, hours, seed, end, rollup] = process.argv.slice(2);
if (cmd !== "write" || !url) throw new Error("usage: jobs-writer.ts write <dbUrl> <n> <hours> <seed> <end> [rollup]");
const config = loadConfig({ DATABASE_URL: url, SEAMTRACE_SECRET: "b".repeat(40) });
const store = await openStore({ url, busyTimeoutMs: 60_000 });
try {
  await writeEvents(store.client, Number(n), Number(hours), Number(seed), Number(end));
  if (rollup === "rollup") {
    const scheduler = new Scheduler({ store, config, log: silentLogger, now: () => Number(end) + 10 * 60_000 }, JOBS, { leaseMs: 600_000 });
    const r = (await scheduler.run("rollup", { trigger: "manual", actor: "bench" })) as FinishedRun;
    if (r.outcome !== "ok") throw new Error(`rollup failed: ${r.error}`);
  }
} finally {
  store.close();
}
