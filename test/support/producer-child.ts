// The steady SDK producer of the collector-down suite (test/reliability/collector-down.test.ts),
// in its own process (run with --expose-gc): 200 events a second as workflow runs of two steps
// (4 events a run, 5 runs every 100 ms), each run carrying 12 KiB of distinct payload (input and
// two step outputs of 4 KiB each), so an unbounded buffer would show in the heap. Every second
// it prints a JSON sample: events made, events of its own the collector acknowledged (read from
// the answers at the `request` seam; the SDK's own `sdk.dropped` reports are counted apart),
// heap after a full GC, RSS and the SDK's stats. On SIGUSR2 it stops producing, shuts the SDK
// down (draining the buffer) and writes a final JSON line. With a spool folder it uses the disk
// spool, and first prints how many events it recovered from it.
import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { Seamtrace, type RequestFn } from "@seamtrace/sdk";
import { FileSpool } from "@seamtrace/sdk/spool";

const [endpoint, apiKey, spoolDir] = process.argv.slice(2) as [string, string, string | undefined];
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

let deliveredOwn = 0;
let reportedDrops = 0;
const request: RequestFn = async (url, init) => {
  const res = await fetch(url, init as RequestInit);
  const text = await res.text();
  if (res.status >= 200 && res.status < 300 && url.endsWith("/v1/events")) {
    const raw = init.body!;
    const body = typeof raw === "string" ? raw : gunzipSync(raw).toString("utf8");
    const sent = (JSON.parse(body) as { events: Array<{ id: string; type: string; count?: number }> }).events;
    const results = (JSON.parse(text) as { results: Array<{ id: string; status: string }> }).results;
    sent.forEach((event, i) => {
      const ok = results[i]?.status === "accepted" || results[i]?.status === "duplicate";
      if (!ok) return;
      if (event.type === "sdk.dropped") reportedDrops += event.count ?? 0;
      else deliveredOwn++;
    });
  }
  return { status: res.status, headers: res.headers, text: async () => text };
};

const spool = spoolDir ? new FileSpool({ dir: spoolDir }) : undefined;
// The SDK's defaults throughout (buffer 10,000, backoff up to 30 s): the claims are about them.
const st = new Seamtrace({ endpoint, apiKey, request, spool });
if (spool) process.stdout.write(JSON.stringify({ recovered: st.stats().buffered }) + "\n");
const wf = st.workflow("steady", { version: "1" });
const pad = () => randomBytes(2048).toString("hex"); // 4 KiB, distinct

let produced = 0;
let stopping = false;
const started = Date.now();
const tick = setInterval(() => {
  for (let i = 0; i < 5; i++) {
    produced += 4;
    void wf.run({ input: { pad: pad() } }, async (run) => {
      const a = await run.step("extract", async () => ({ value: { pad: pad() }, confidence: 0.95 }));
      return run.step("route", { from: [a] }, async () => ({ value: { pad: pad() }, confidence: 0.9 }));
    });
  }
}, 100);

const sample = () => {
  gc();
  const mem = process.memoryUsage();
  return { t: Date.now() - started, produced, deliveredOwn, reportedDrops, heapUsed: mem.heapUsed, rss: mem.rss, stats: st.stats() };
};
const sampler = setInterval(() => {
  if (!stopping) process.stdout.write(JSON.stringify(sample()) + "\n");
}, 1_000);

process.on("SIGUSR2", () => {
  if (stopping) return;
  stopping = true;
  clearInterval(tick);
  clearInterval(sampler);
  // Runs already started finish on their own within a tick; then drain.
  setTimeout(() => {
    void st.shutdown({ timeoutMs: 60_000 }).then((shutdown) => {
      process.stdout.write(JSON.stringify({ final: true, ...sample(), shutdown }) + "\n");
      process.exit(0);
    });
  }, 200);
});
