// Times every dashboard call (scale-measure.ts dashboardCalls) on one store made by
// bench/scale-generate.ts, through a spawned `seamtrace serve`: 100 requests per route after 3
// warm-ups, one at a time. Prints a Markdown table. Measurements only; for re-measuring one size
// of docs/scale.md without generating the other:
//   npm run build && node --import tsx test/support/scale-measure-one.ts /tmp/scale-100k
import { loadavg } from "node:os";
import { dashboardCalls, login, timeRoutes } from "./scale-measure.js";
import { spawnServer } from "./server.js";

const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: scale-measure-one.ts <data dir of a generated store>");
const server = await spawnServer({ dataDir, env: { SEAMTRACE_JOBS: "off" }, timeoutMs: 120_000 });
try {
  const loadStart = loadavg()[0]!;
  const cookie = await login(server.url);
  const timings = await timeRoutes(server.url, cookie, await dashboardCalls(server.url, cookie), { reps: 100, warm: 3 });
  const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  console.log(`load average ${loadStart.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`);
  console.log("| route | p50 / p95 ms | status |\n| --- | --- | --- |");
  for (const t of timings) console.log(`| ${t.name} | ${ms(t.p50)} / ${ms(t.p95)} | ${t.status} |`);
} finally {
  await server.stop();
}
