// One SDK client of the crash suite (test/reliability/crash.test.ts), in its own process: it
// runs workflows of two steps (four events a run) until it has made `events` events, keeping its
// buffer below a quarter of its bound (so the collector's restarts cost no drops), and records
// every event id the collector acknowledged with a 2xx — read from the answers themselves, at the
// `request` seam, which is exactly what the SDK counts as delivered. Prints `progress <acked>`
// lines while it runs, then writes its acknowledged ids and final stats to `out` as JSON.
import { writeFileSync } from "node:fs";
import { Seamtrace, type RequestFn } from "@seamtrace/sdk";

const [endpoint, apiKey, eventsArg, out, name, rateArg] = process.argv.slice(2) as [string, string, string, string, string, string?];
const events = Number(eventsArg);
// Events a second this client makes at most: production must outlast the suite's three kills
// and restarts, or a fast machine delivers everything between two kills and the third never
// lands on live traffic.
const ratePerSecond = Number(rateArg ?? Infinity);
const runs = Math.ceil(events / 4);

const acked: string[] = [];
const request: RequestFn = async (url, init) => {
  const res = await fetch(url, init as RequestInit);
  const text = await res.text();
  if (res.status >= 200 && res.status < 300 && url.endsWith("/v1/events")) {
    const results = (JSON.parse(text) as { results: Array<{ id: string; status: string }> }).results;
    for (const r of results) if (r.status === "accepted" || r.status === "duplicate") acked.push(r.id);
  }
  return { status: res.status, headers: res.headers, text: async () => text };
};

const maxBufferEvents = 10_000;
// Short backoff: the collector is back within seconds, and the suite should not idle.
const st = new Seamtrace({ endpoint, apiKey, request, transport: { maxBufferEvents, maxBackoffMs: 2_000, minBackoffMs: 100 } });
const wf = st.workflow(`crash-${name}`, { version: "1" });
const progress = setInterval(() => process.stdout.write(`progress ${acked.length}\n`), 200);

let completed = 0;
const began = Date.now();
for (let i = 0; i < runs; i++) {
  while (st.stats().buffered > maxBufferEvents / 4) await new Promise((r) => setTimeout(r, 20));
  const due = began + ((i * 4) / ratePerSecond) * 1000;
  if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  const result = await wf.run({ input: { client: name, i } }, async (run) => {
    const a = await run.step("extract", async () => ({ value: { i, text: `claim ${i} of ${name}` }, confidence: 0.95 }));
    return run.step("route", { from: [a] }, async () => ({ value: i % 3 === 0 ? "fast" : "slow", confidence: 0.9 }));
  });
  if (result.status === "completed") completed++;
}
const shutdown = await st.shutdown({ timeoutMs: 120_000 });
clearInterval(progress);
writeFileSync(out, JSON.stringify({ name, produced: runs * 4, completed, acked, stats: st.stats(), shutdown }));
process.stdout.write(`done ${acked.length}\n`);
