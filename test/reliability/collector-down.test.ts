/**
 * Collector down: an SDK producing 200 events/s while the collector is down —
 * 2 minutes in the reduced form (inside `npm test`), 10 in the full one. The producer's memory
 * stays bounded by its buffer, its drop counter equals produced minus delivered exactly, what it
 * had buffered is delivered within 60 s of the collector's return, and no row is stored twice.
 * Then the same with the disk spool: the producer is SIGKILLed while the collector is down,
 * started again on the same spool folder, and the spooled events arrive.
 */
import { createClient } from "@libsql/client";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, rssOf, runScript, type Script } from "../support/processes.js";
import { scale, writeSummary } from "../support/reliability.js";
import { spawnServer, type SpawnedServer } from "../support/server.js";
import { fromStoredText } from "../../server/src/platform/db/stored-text.js";
import { idFromStored } from "../../server/src/platform/db/stored-id.js";

const DOWN_MS = scale(120_000, 600_000);
const SPOOL_DOWN_MS = scale(15_000, 60_000);
const RECOVERY_LIMIT_MS = 60_000;
/** The SDK's default buffer bound, which the producer keeps. */
const MAX_BUFFER_EVENTS = 10_000;
/** Distinct payload a produced event carries on average: 12 KiB per run of 4 events. */
const PAYLOAD_PER_EVENT = 3 * 1024;
/** Generous room for what the SDK keeps per buffered event beside its payload (objects, ids, JSON). */
const OVERHEAD_PER_EVENT = 2 * 1024;

interface Sample {
  t: number;
  produced: number;
  deliveredOwn: number;
  reportedDrops: number;
  heapUsed: number;
  rss: number;
  stats: { buffered: number; sent: number; duplicates: number; rejected: number; droppedTotal: number; dropped: Record<string, number> };
  final?: true;
  shutdown?: { delivered: number; undelivered: number; dropped: Record<string, number>; timedOut: boolean };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function producer(endpoint: string, apiKey: string, spoolDir?: string) {
  const samples: Sample[] = [];
  let recovered: number | undefined;
  let final: Sample | undefined;
  const script: Script = runScript("producer-child.ts", spoolDir ? [endpoint, apiKey, spoolDir] : [endpoint, apiKey], {
    nodeArgs: ["--expose-gc"],
    onLine: (line) => {
      const parsed = JSON.parse(line) as Sample & { recovered?: number };
      if (parsed.recovered !== undefined) recovered = parsed.recovered;
      else if (parsed.final) final = parsed;
      else samples.push(parsed);
    },
  });
  const last = () => samples[samples.length - 1];
  return {
    script,
    samples,
    last,
    recovered: () => recovered,
    async until(what: string, cond: (s: Sample) => boolean, timeoutMs: number): Promise<Sample | undefined> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const s = last();
        if (s && cond(s)) return s;
        if (script.proc.exitCode !== null) throw new Error(`producer exited waiting for ${what}:\n${script.output()}`);
        await sleep(100);
      }
      return undefined;
    },
    async stop(): Promise<Sample> {
      script.proc.kill("SIGUSR2");
      const code = await script.exited;
      if (code !== 0 || !final) throw new Error(`producer did not stop cleanly (${code}):\n${script.output()}`);
      return final;
    },
  };
}

async function storedEvents(dataDir: string) {
  const db = createClient({ url: `file:${join(dataDir, "seamtrace.db")}` });
  try {
    const own = Number((await db.execute("SELECT COUNT(*) FROM events WHERE type <> 'sdk.dropped'")).rows[0]![0]);
    const repeated = Number((await db.execute("SELECT COUNT(*) FROM (SELECT 1 FROM events GROUP BY project_key, id HAVING COUNT(*) > 1)")).rows[0]![0]);
    const drops = (await db.execute("SELECT body FROM events WHERE type = 'sdk.dropped'")).rows;
    const gap = drops.reduce((n, r) => n + (JSON.parse(fromStoredText(r[0])) as { count: number }).count, 0);
    const ids = new Set((await db.execute("SELECT id FROM events")).rows.map((r) => idFromStored(r.id)));
    return { own, repeated, gap, ids };
  } finally {
    db.close();
  }
}

describe("collector down: an SDK producing 200 events/s while the collector is away", () => {
  it(
    "stays within its buffer's memory, counts every drop exactly, and delivers its backlog on recovery without duplicates",
    async () => {
      const port = await freePort();
      const endpoint = `http://127.0.0.1:${port}`;
      let server: SpawnedServer = await spawnServer({ env: { PORT: String(port) } });
      const { dataDir, apiKey } = server;
      const p = producer(endpoint, apiKey);
      try {
        // Warm up with the collector there, then take it away.
        const baseline = await p.until("first delivery", (s) => s.deliveredOwn > 400, 60_000);
        expect(baseline).toBeDefined();
        const collectorRssBefore = rssOf(server.proc.pid);
        await server.stop();
        const downAt = Date.now();
        await sleep(DOWN_MS);
        const atRecovery = p.last()!;
        const fullSample = p.samples.find((s) => s.stats.buffered >= MAX_BUFFER_EVENTS);
        server = await spawnServer({ dataDir, env: { PORT: String(port) } });
        const upAt = Date.now();
        // Everything buffered at the return — FIFO, so once as many more of our own events are
        // acknowledged — delivered, while production goes on.
        const drained = await p.until("backlog delivered", (s) => s.deliveredOwn >= atRecovery.deliveredOwn + atRecovery.stats.buffered, RECOVERY_LIMIT_MS);
        const deliveryMs = Date.now() - upAt;
        const final = await p.stop();
        const collectorRssAfter = rssOf(server.proc.pid);
        await server.stop();
        const store = await storedEvents(dataDir);

        const peakHeap = Math.max(...p.samples.map((s) => s.heapUsed));
        const peakRss = Math.max(...p.samples.map((s) => s.rss));
        const bound = MAX_BUFFER_EVENTS * (PAYLOAD_PER_EVENT + OVERHEAD_PER_EVENT);
        const file = writeSummary("collector-down", {
          downMs: DOWN_MS,
          ratePerSecond: 200,
          maxBufferEvents: MAX_BUFFER_EVENTS,
          produced: final.produced,
          delivered: final.deliveredOwn,
          dropped: final.stats.dropped,
          droppedTotal: final.stats.droppedTotal,
          dropsReportedToServer: store.gap,
          bufferedAtRecovery: atRecovery.stats.buffered,
          backlogDeliveredMs: drained ? deliveryMs : null,
          producerHeapBaselineBytes: baseline!.heapUsed,
          producerHeapWhenBufferFullBytes: fullSample?.heapUsed ?? null,
          producerHeapAtRecoveryBytes: atRecovery.heapUsed,
          producerPeakHeapBytes: peakHeap,
          producerPeakRssBytes: peakRss,
          heapBoundBytes: baseline!.heapUsed + bound,
          outageMs: upAt - downAt,
          storedOwnEvents: store.own,
          storedMoreThanOnce: store.repeated,
          collectorRssBeforeOutageBytes: collectorRssBefore,
          collectorRssAfterRecoveryBytes: collectorRssAfter,
        });
        console.log(`collector-down summary: ${file}`);

        // Bounded: the outage outlasted the buffer (it filled, and events were dropped), and the
        // heap held no more than a full buffer's worth over the baseline...
        expect(fullSample, "the buffer never filled: the outage was too short to test the bound").toBeDefined();
        expect(final.stats.dropped.buffer_full).toBeGreaterThan(0);
        expect(peakHeap).toBeLessThanOrEqual(baseline!.heapUsed + bound);
        // ...and stopped growing once the buffer was full (an unbounded buffer would have taken a
        // further 200 events/s, 3 KiB each, for the rest of the outage).
        const growthAfterFull = atRecovery.heapUsed - fullSample!.heapUsed;
        expect(growthAfterFull).toBeLessThanOrEqual(0.25 * MAX_BUFFER_EVENTS * PAYLOAD_PER_EVENT);
        // Exact books: every event was delivered or dropped, and the drops are all buffer_full.
        expect(final.stats.droppedTotal).toBe(final.produced - final.deliveredOwn);
        expect(final.stats.dropped).toEqual({ buffer_full: final.stats.droppedTotal });
        expect(final.shutdown?.timedOut).toBe(false);
        expect(store.gap).toBe(final.stats.droppedTotal); // the gap reached the server too
        // Delivered within 60 s of recovery, once each.
        expect(drained, `backlog of ${atRecovery.stats.buffered} not delivered within ${RECOVERY_LIMIT_MS} ms`).toBeDefined();
        expect(store.own).toBe(final.deliveredOwn);
        expect(store.repeated).toBe(0);
      } finally {
        p.script.proc.kill("SIGKILL");
        await server.stop({ kill: true });
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    DOWN_MS + 300_000,
  );

  it(
    "with the disk spool, delivers the events of a producer killed during the outage once it is started again",
    async () => {
      const port = await freePort();
      const endpoint = `http://127.0.0.1:${port}`;
      let server: SpawnedServer = await spawnServer({ env: { PORT: String(port) } });
      const { dataDir, apiKey } = server;
      const spoolDir = mkdtempSync(join(tmpdir(), "seamtrace-spool-"));
      const first = producer(endpoint, apiKey, spoolDir);
      let second: ReturnType<typeof producer> | undefined;
      try {
        expect(await first.until("first delivery", (s) => s.deliveredOwn > 400, 60_000)).toBeDefined();
        await server.stop();
        await sleep(SPOOL_DOWN_MS);
        const beforeKill = first.last()!;
        first.script.proc.kill("SIGKILL");
        await first.script.exited;

        // What the dead process left on disk (a torn last line is no event).
        const spooled = new Set<string>();
        for (const name of readdirSync(spoolDir).filter((n) => n.endsWith(".jsonl"))) {
          for (const line of readFileSync(join(spoolDir, name), "utf8").split("\n")) {
            try {
              spooled.add((JSON.parse(line) as { id: string }).id);
            } catch {
              // torn
            }
          }
        }
        // Started again while the collector is still down; the collector returns a little later.
        second = producer(endpoint, apiKey, spoolDir);
        await second.until("second producer running", () => true, 30_000);
        await sleep(3_000);
        server = await spawnServer({ dataDir, env: { PORT: String(port) } });
        const upAt = Date.now();
        const recovered = second.recovered()!;
        const drained = await second.until("spool delivered", (s) => s.deliveredOwn >= recovered, RECOVERY_LIMIT_MS);
        const deliveryMs = Date.now() - upAt;
        const final = await second.stop();
        await server.stop();
        const store = await storedEvents(dataDir);
        const leftOnDisk = readdirSync(spoolDir).filter((n) => n.endsWith(".jsonl"));
        const missing = [...spooled].filter((id) => !store.ids.has(id));

        const file = writeSummary("collector-down-spool", {
          downMs: SPOOL_DOWN_MS,
          producedBeforeKill: beforeKill.produced,
          bufferedBeforeKill: beforeKill.stats.buffered,
          spooledAtKill: spooled.size,
          recoveredByRestart: recovered,
          spoolDeliveredMs: drained ? deliveryMs : null,
          secondProducerProduced: final.produced,
          secondProducerDelivered: final.deliveredOwn,
          secondProducerDropped: final.stats.dropped,
          missingSpooled: missing.length,
          storedMoreThanOnce: store.repeated,
          segmentsLeftAfterShutdown: leftOnDisk.length,
        });
        console.log(`collector-down spool summary: ${file}`);

        expect(spooled.size).toBeGreaterThan(1000); // the kill came with a real backlog
        expect(recovered).toBe(spooled.size);
        expect(drained).toBeDefined();
        expect(missing).toEqual([]);
        expect(store.repeated).toBe(0);
        // The restarted producer's books: what it recovered and made was delivered (a replayed
        // event the collector already had counts, answered `duplicate`) or dropped — and the only
        // drops are new events refused while the recovered backlog filled its buffer.
        expect(final.produced + recovered).toBe(final.deliveredOwn + final.stats.droppedTotal);
        expect(Object.keys(final.stats.dropped).filter((reason) => reason !== "buffer_full")).toEqual([]);
        expect(leftOnDisk).toEqual([]); // all settled, all deleted
      } finally {
        first.script.proc.kill("SIGKILL");
        second?.script.proc.kill("SIGKILL");
        await server.stop({ kill: true });
        rmSync(dataDir, { recursive: true, force: true });
        rmSync(spoolDir, { recursive: true, force: true });
      }
    },
    SPOOL_DOWN_MS + 300_000,
  );
});
