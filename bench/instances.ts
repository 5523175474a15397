/**
 * Instances: 1, 2 and 4 `seamtrace serve` processes on ONE embedded store (one data folder),
 * the ingest benchmark's 8 SDK transports spread round-robin over them. Each configuration is
 * measured in every round, the order rotating round by round; the ratios against one instance are
 * taken within a round (the machine is shared). libSQL has one writer per database, so more
 * instances add request handling (parsing, validation, hashing) in parallel but not commits.
 */
import { Transport, type SeamtraceEvent } from "@seamtrace/sdk";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServer, type SpawnedServer } from "../test/support/server.js";
import { makeEvents } from "./ingest.js";
import { fmt, median } from "./stats.js";

const COUNTS = [1, 2, 4] as const;

async function lag(url: string): Promise<number> {
  return ((await (await fetch(`${url}/healthz`)).json()) as { projection: { lag: number } }).projection.lag;
}

async function measure(instances: number, events: SeamtraceEvent[][]): Promise<{ ack: number; projected: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), "seamtrace-bench-instances-"));
  const servers: SpawnedServer[] = [];
  try {
    // The first start migrates and makes the key; the others open the same store.
    servers.push(await spawnServer({ dataDir, timeoutMs: 600_000 }));
    // Given a data folder, spawnServer returns at "listening"; the key line follows it.
    let apiKey: string | undefined;
    for (let i = 0; i < 2_400 && !apiKey; i++) {
      apiKey = /SEAMTRACE_API_KEY=(st_\w+)/.exec(servers[0]!.output())?.[1];
      if (!apiKey) await new Promise((r) => setTimeout(r, 25));
    }
    if (!apiKey) throw new Error(`no key printed:\n${servers[0]!.output()}`);
    for (let i = 1; i < instances; i++) servers.push(await spawnServer({ dataDir, timeoutMs: 600_000 }));
    const transports = events.map((_, i) => new Transport({ endpoint: servers[i % instances]!.url, apiKey, maxBufferEvents: 10_000_000, flushIntervalMs: 10 }));
    const total = events.reduce((n, e) => n + e.length, 0);
    const t0 = performance.now();
    events.forEach((list, i) => {
      for (const e of list) transports[i]!.enqueue(e);
    });
    const results = await Promise.all(transports.map((t) => t.flush({ timeoutMs: 600_000 })));
    const ackSeconds = (performance.now() - t0) / 1000;
    const delivered = results.reduce((n, r) => n + r.delivered, 0);
    if (delivered !== total) throw new Error(`${instances} instances delivered ${delivered} of ${total}`);
    while ((await lag(servers[0]!.url)) > 0) await new Promise((r) => setTimeout(r, 5));
    const projectedSeconds = (performance.now() - t0) / 1000;
    await Promise.all(transports.map((t) => t.shutdown()));
    return { ack: total / ackSeconds, projected: total / projectedSeconds };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchInstances(opts: { runs?: number; rounds?: number } = {}): Promise<Record<string, number>> {
  const events = makeEvents(opts.runs ?? 5_000);
  const rounds = opts.rounds ?? 3;
  const total = events.reduce((n, e) => n + e.length, 0);
  const ack = new Map<number, number[]>(COUNTS.map((n) => [n, []]));
  const projected = new Map<number, number[]>(COUNTS.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const order = COUNTS.map((_, i) => COUNTS[(i + r) % COUNTS.length]!);
    for (const n of order) {
      const m = await measure(n, events);
      ack.get(n)!.push(m.ack);
      projected.get(n)!.push(m.projected);
    }
  }
  const vsOne = (m: Map<number, number[]>, n: number) => median(m.get(n)!.map((x, i) => x / m.get(1)![i]!));
  console.log(`Instances on one embedded store (${fmt(total)} events, 8 SDK transports round-robin, ${rounds} rounds, medians)`);
  const out: Record<string, number> = { events: total, rounds };
  for (const n of COUNTS) {
    console.log(
      `  ${n} instance${n > 1 ? "s" : " "}   acknowledged ${fmt(median(ack.get(n)!))} events/s   projected ${fmt(median(projected.get(n)!))} events/s`,
    );
    out[`ack${n}`] = median(ack.get(n)!);
    out[`projected${n}`] = median(projected.get(n)!);
  }
  for (const n of COUNTS.slice(1)) {
    console.log(`instances-${n}-vs-1-ack ratio ${fmt(vsOne(ack, n), 2)}`);
    console.log(`instances-${n}-vs-1-projected ratio ${fmt(vsOne(projected, n), 2)}`);
    out[`ratioAck${n}`] = vsOne(ack, n);
    out[`ratioProjected${n}`] = vsOne(projected, n);
  }
  return out;
}
