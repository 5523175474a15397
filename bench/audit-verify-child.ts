/**
 * One verification in a process of its own, so that its peak memory is its own: run by
 * bench/audit-verify.ts as
 *   node --expose-gc --import tsx bench/audit-verify-child.ts <db file> <project> <secret> <verify|scan>
 * Prints one JSON line: seconds, entries, and memory before and at peak.
 */
import { readFileSync } from "node:fs";
import { CheckpointSigner } from "../server/src/modules/audit/chain.js";
import { openStore, type Db } from "../server/src/platform/db/client.js";
import { readEntries } from "../server/src/modules/audit/store.js";
import { verifyAudit } from "../server/src/modules/audit/verify.js";

const [file, projectId, secret, mode] = process.argv.slice(2) as [string, string, string, "verify" | "scan"];
const store = await openStore({ url: `file:${file}`, busyTimeoutMs: 5_000 });
const signer = new CheckpointSigner(secret);

// Warm up (modules, the connection, the first page) so that "before" is the process at rest.
for await (const _ of readEntries(store.db, projectId, 10)) break;
/**
 * The kernel's high-water mark of this process's resident memory. Not `resourceUsage().maxRSS`:
 * Linux carries a parent's peak into a child spawned with vfork (libuv does), so a child would
 * report the parent's peak after building a large chain.
 */
function peakRss(): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const before = process.memoryUsage();
const peakBefore = peakRss() ?? before.rss;

// The embedded driver answers on the event-loop thread, so a timer would not fire during the
// walk: sample after every statement instead (one per page of 2,000 entries or checkpoints).
// Every 25th also collects garbage first, so `liveHeap` is what the walk retains, apart from
// what V8 merely has not collected yet (`peakHeapUsed`).
let peakHeapUsed = before.heapUsed;
let liveHeap = before.heapUsed;
let peakRssSampled = before.rss;
let statements = 0;
const client = new Proxy(store.client, {
  get(target, prop, receiver) {
    if (prop !== "execute") return Reflect.get(target, prop, receiver) as unknown;
    return async (...args: Parameters<typeof target.execute>) => {
      const rs = await target.execute(...args);
      statements++;
      if (gc && statements % 25 === 0) {
        gc();
        liveHeap = Math.max(liveHeap, process.memoryUsage().heapUsed);
      }
      const m = process.memoryUsage();
      peakHeapUsed = Math.max(peakHeapUsed, m.heapUsed);
      peakRssSampled = Math.max(peakRssSampled, m.rss);
      return rs;
    };
  },
});
const db = new Proxy(store.db, { get: (target, prop, receiver) => (prop === "$client" ? client : Reflect.get(target, prop, receiver)) }) as Db;

const t0 = performance.now();
let entries = 0;
let ok = true;
if (mode === "verify") {
  const report = await verifyAudit(db, projectId, signer.publicKey, { systemAnchor: null });
  entries = report.entries;
  ok = report.ok && report.checkpoints > 0;
} else {
  // The baseline: the same keyset pages read and decoded, nothing hashed or checked.
  for await (const _ of readEntries(db, projectId)) entries++;
}
const seconds = (performance.now() - t0) / 1000;
gc?.();
liveHeap = Math.max(liveHeap, process.memoryUsage().heapUsed);
const peak = Math.max(peakRss() ?? 0, peakRssSampled);
store.close();
process.stdout.write(
  JSON.stringify({
    mode,
    entries,
    ok,
    seconds,
    statements,
    rssBefore: Math.max(before.rss, peakBefore),
    peakRss: peak,
    heapBefore: before.heapUsed,
    peakHeapUsed,
    liveHeap,
  }) + "\n",
);
