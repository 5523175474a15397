// Collector outages replayed on a fake clock: steady traffic, the collector unreachable for a
// while, then back. What matters is what a user sees afterwards: how soon delivery resumes, how
// many events were lost and when, and whether a disk spool really holds what memory cannot.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { seededRandom } from "./sampling.js";
import { FileSpool } from "./spool.js";
import { Transport, type RequestFn, type TransportOptions } from "./transport.js";
import type { SeamtraceEvent } from "./types.js";

const dirs: string[] = [];
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"], now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Outage {
  /** Events per second, spread evenly over 100 ms ticks. */
  rate: number;
  /** The collector is unreachable (connection refused) in [downAt, upAt) ms. */
  downAt: number;
  upAt: number;
  /** Traffic stops here; the run then drains. */
  endAt: number;
  options?: Partial<TransportOptions>;
}

/**
 * Runs one outage. The collector refuses connections while down and accepts every event while
 * up; probes of `/healthz` get the same treatment. Returns what happened, measured in fake ms.
 */
async function replay(o: Outage) {
  const delivered: string[] = [];
  const posts: number[] = []; // times of answered POSTs
  const down = () => Date.now() >= o.downAt && Date.now() < o.upAt;
  const request: RequestFn = async (_url, init) => {
    if (down()) throw new TypeError("fetch failed");
    if (init.method === "GET") return { status: 200, headers: { get: () => null }, text: async () => '{"status":"ok"}' };
    const events = (JSON.parse(String(init.body)) as { events: Array<{ id: string; type: string }> }).events;
    posts.push(Date.now());
    for (const e of events) if (e.type !== "sdk.dropped") delivered.push(e.id);
    const body = JSON.stringify({ results: events.map((e) => ({ id: e.id, status: "accepted" })) });
    return { status: 200, headers: { get: () => null }, text: async () => body };
  };
  const t = new Transport({ endpoint: "http://collector.test", request, gzip: false, random: seeded(7), logger: false, ...o.options });
  const made: string[] = [];
  let droppedAtRecovery = -1;
  const perTick = o.rate / 10;
  for (let now = 0; now < o.endAt; now += 100) {
    if (droppedAtRecovery < 0 && now >= o.upAt) droppedAtRecovery = t.stats().droppedTotal;
    for (let i = 0; i < perTick; i++) {
      const e = event(made.length);
      made.push(e.id);
      t.enqueue(e);
    }
    await vi.advanceTimersByTimeAsync(100);
  }
  const flushed = t.flush({ timeoutMs: 120_000 });
  await vi.advanceTimersByTimeAsync(120_000);
  await flushed;
  const stats = t.stats();
  const firstAfter = posts.find((at) => at >= o.upAt);
  const report = t.shutdown({ timeoutMs: 1000 });
  await vi.advanceTimersByTimeAsync(1000);
  return {
    made,
    delivered,
    stats,
    report: await report,
    /** ms from the collector's return to the first batch it answered. */
    resumeLag: firstAfter === undefined ? Infinity : firstAfter - o.upAt,
    droppedWhileUp: stats.droppedTotal - droppedAtRecovery - (stats.dropped.shutdown ?? 0),
  };
}

/** A fixed jitter sequence, so each run of a test sees the same timings. */
const seeded = seededRandom;

let n = 0;
function event(i: number): SeamtraceEvent {
  n++;
  return {
    id: `0190f000-0000-7000-8000-${String(n).padStart(12, "0")}`,
    type: "run.started",
    time: new Date().toISOString(),
    runId: "0190f000-0000-7000-8000-000000000000",
    workflow: "claims",
    version: "1",
    input: { i, text: "an input of a realistic few dozen bytes, x".repeat(4) },
  };
}

describe("recovery after an outage (no spool)", () => {
  it.each([7, 11, 23])("resumes delivery within 2 s of the collector's return after 36 s down at 420 events/s (jitter seed %i)", async (seed) => {
    const r = await replay({ rate: 420, downAt: 5_030, upAt: 41_070, endAt: 70_000, options: { random: seeded(seed) } });
    // Before the probe, the next try came at the end of a long backoff: 11.25 s after the
    // collector was back (10.8 s measured), and 4,746 of 10,286 drops came after its return.
    expect(r.resumeLag).toBeLessThanOrEqual(2_000);
    // Memory holds 10,000 events: the rest of the outage is lost, and after the return only the
    // events that arrived while the full buffer waited for the next probe (at most ~1.25 s).
    expect(r.droppedWhileUp).toBeLessThanOrEqual(420 * 1.3);
    expect(r.delivered.length + r.stats.dropped.buffer_full!).toBe(r.made.length);
    expect(new Set(r.delivered).size).toBe(r.delivered.length);
  });

  it("keeps its retry cadence bounded: no more than one batch attempt plus a probe per second while down", async () => {
    let attempts = 0;
    let probes = 0;
    const request: RequestFn = async (_url, init) => {
      if (init.method === "GET") probes++;
      else attempts++;
      throw new TypeError("fetch failed");
    };
    const t = new Transport({ endpoint: "http://collector.test", request, gzip: false, logger: false, random: seeded(3) });
    t.enqueue(event(0));
    await vi.advanceTimersByTimeAsync(120_000);
    // The batch itself backs off towards 30 s (10 tries in two minutes here); probes go every ~1 s.
    expect(attempts).toBeLessThanOrEqual(12);
    expect(probes).toBeGreaterThan(80);
    expect(probes).toBeLessThanOrEqual(140);
    void t.shutdown({ timeoutMs: 0 });
    await vi.advanceTimersByTimeAsync(10);
  });
});

describe("the spool is the buffer", () => {
  it("drops nothing in a 26 s outage at 700 events/s: what memory cannot hold waits on disk, and all of it arrives in order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "seamtrace-outage-"));
    dirs.push(dir);
    const spool = new FileSpool({ dir });
    const r = await replay({ rate: 700, downAt: 5_000, upAt: 31_000, endAt: 50_000, options: { spool } });
    // Before: 10,000 events in memory, then `buffer_full` while the spool held a fraction of its 64 MiB.
    expect(r.stats.dropped).toEqual({});
    expect(r.delivered).toEqual(r.made);
    expect(r.report.undelivered).toBe(0);
    expect(spool.pending).toBe(0);
  });

  it("drops only once the spool's maxBytes is reached, as spool_full", async () => {
    const dir = mkdtempSync(join(tmpdir(), "seamtrace-outage-"));
    dirs.push(dir);
    const spool = new FileSpool({ dir, maxBytes: 2_000_000 });
    const r = await replay({ rate: 700, downAt: 1_000, upAt: 31_000, endAt: 40_000, options: { spool, maxBufferEvents: 1_000 } });
    expect(Object.keys(r.stats.dropped)).toEqual(["spool_full"]);
    // Everything the spool took arrived, in the order it was made.
    const lost = new Set(r.made.filter((id) => !r.delivered.includes(id)));
    expect(lost.size).toBe(r.stats.dropped.spool_full);
    expect(r.delivered).toEqual(r.made.filter((id) => !lost.has(id)));
  });
});
