/**
 * Storage: bytes on disk per event, divided by the size of the event's JSON, for a store the
 * collector filled over HTTP (event log, audit chain, projected runs and steps, every index),
 * measured as file + WAL after a checkpoint. The baseline, in the same run: the same event rows
 * inserted raw into the `events` table alone (with its unique index), measured the same way.
 * The per-table lines say where the bytes go. A second store holds the same runs with ~4 KiB step
 * outputs (windows of the docs' prose), the shape whose bodies are stored compressed. Sizes, unlike speeds, do not move with the load
 * on the machine; the figures depend on the events' shape (bench/ingest.ts `makeEvents`).
 */
import { createClient, type InValue } from "@libsql/client";
import { Transport, type SeamtraceEvent } from "@seamtrace/sdk";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { deflateRawSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, spawnServer } from "../test/support/server.js";
import { makeEvents } from "./ingest.js";
import { fmt } from "./stats.js";
import { collectorDdl } from "./store-ddl.js";
import { storedId } from "../server/src/platform/db/stored-id.js";

interface StoreSize {
  /** File + WAL after a TRUNCATE checkpoint. */
  bytes: number;
  /** Bytes per table, its indexes included (dbstat pages). */
  tables: Map<string, number>;
}

/** Checkpoints the store at `path` into its main file and sizes it, per table where dbstat can. */
export async function measureStore(path: string): Promise<StoreSize> {
  const client = createClient({ url: `file:${path}` });
  const tables = new Map<string, number>();
  try {
    await client.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    const rs = await client.execute(
      `SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d LEFT JOIN sqlite_schema m ON m.name = d.name GROUP BY 1 ORDER BY 2 DESC`,
    );
    for (const r of rs.rows) tables.set(String(r[0]), Number(r[1]));
  } finally {
    client.close();
  }
  const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
  return { bytes: size(path) + size(`${path}-wal`), tables };
}

/**
 * The event log's bodies as stored: how many are compressed (a BLOB) and their bytes, against the
 * JSON text they hold. Step payloads live only there (steps rows point at their event).
 */
async function storedBodies(path: string): Promise<{ bodies: number; compressed: number; storedBytes: number }> {
  const client = createClient({ url: `file:${path}` });
  try {
    const rs = await client.execute("SELECT count(*), coalesce(sum(typeof(body) = 'blob'), 0), coalesce(sum(length(CAST(body AS BLOB))), 0) FROM events");
    const r = rs.rows[0]!;
    return { bodies: Number(r[0]), compressed: Number(r[1]), storedBytes: Number(r[2]) };
  } finally {
    client.close();
  }
}

async function collectorStore(events: SeamtraceEvent[][]): Promise<{ size: StoreSize; empty: number; bodies: Awaited<ReturnType<typeof storedBodies>> }> {
  const server = await spawnServer({ timeoutMs: 600_000 });
  try {
    const path = join(server.dataDir, "seamtrace.db");
    const empty = (await measureStore(path)).bytes;
    const transports = events.map(() => new Transport({ endpoint: server.url, apiKey: server.apiKey, maxBufferEvents: 10_000_000, flushIntervalMs: 10 }));
    events.forEach((list, i) => {
      for (const e of list) transports[i]!.enqueue(e);
    });
    const results = await Promise.all(transports.map((t) => t.flush({ timeoutMs: 600_000 })));
    const total = events.reduce((n, e) => n + e.length, 0);
    const delivered = results.reduce((n, r) => n + r.delivered, 0);
    if (delivered !== total) throw new Error(`collector delivered ${delivered} of ${total}`);
    await Promise.all(transports.map((t) => t.shutdown()));
    // Projected tables are part of what a store costs: wait for them before measuring.
    for (;;) {
      const health = (await (await fetch(`${server.url}/healthz`)).json()) as { projection: { lag: number } };
      if (health.projection.lag === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await server.stop();
    return { size: await measureStore(path), empty, bodies: await storedBodies(path) };
  } finally {
    await server.dispose();
  }
}

/** The event rows alone, as the collector would write them, in a fresh file with the same DDL. */
async function rawEventsStore(events: SeamtraceEvent[]): Promise<StoreSize> {
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-bench-storage-"));
  const path = join(dir, "raw.db");
  const client = createClient({ url: `file:${path}` });
  try {
    await client.execute("PRAGMA journal_mode=WAL");
    for (const s of await collectorDdl("events")) await client.execute(s);
    // The project as its key (project-key.ts; a store's first project has key 1), ids as the
    // collector stores them (stored-id.ts), bodies as plain JSON text.
    const rows: InValue[][] = events.map((e) => [
      1,
      storedId(e.id),
      e.type,
      "runId" in e ? storedId(e.runId) : null,
      Date.parse(e.time),
      Date.now(),
      JSON.stringify(e),
    ]);
    for (let i = 0; i < rows.length; i += 100) {
      const part = rows.slice(i, i + 100);
      await client.execute({
        sql: `INSERT INTO events (project_key, id, type, run_id, time, received_at, body) VALUES ${Array(part.length).fill("(?,?,?,?,?,?,?)").join(",")}`,
        args: part.flat(),
      });
    }
  } finally {
    client.close();
  }
  try {
    return await measureStore(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same runs with each step's output a 4 KiB answer in prose, as a language model's step
 * returns: the shape where bodies pass the compression threshold. The prose is windows of the
 * repository's own docs (English with some tables and code, which deflate takes to about a
 * third, like model output), at offsets that differ per step.
 */
function withLargeOutputs(events: SeamtraceEvent[][]): SeamtraceEvent[][] {
  const docs = join(repoRoot, "docs");
  const corpus = readdirSync(docs)
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => readFileSync(join(docs, f), "utf8"))
    .join("\n");
  let n = 0;
  const prose = () => {
    const at = (n++ * 7_919) % (corpus.length - 4_096);
    return corpus.slice(at, at + 4_096);
  };
  return events.map((list) => list.map((e) => (e.type === "step.completed" ? { ...e, output: { answer: prose() } } : e)));
}

interface Measured {
  events: number;
  perEvent: number;
  ratio: number;
  size: StoreSize;
  bodies: Awaited<ReturnType<typeof storedBodies>>;
  json: number;
}

async function measureShape(events: SeamtraceEvent[][]): Promise<Measured & { empty: number }> {
  const flat = events.flat();
  const json = flat.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0);
  const { size, empty, bodies } = await collectorStore(events);
  return { events: flat.length, perEvent: json / flat.length, ratio: size.bytes / json, size, bodies, json, empty };
}

export async function benchStorage(opts: { runs?: number } = {}): Promise<Record<string, number>> {
  const runs = opts.runs ?? 3_000;
  const events = makeEvents(runs);
  const flat = events.flat();
  const m = await measureShape(events);
  const { size, empty, bodies, json, perEvent, ratio } = m;
  // Each body compressed on its own, whatever its size: what compressing every body would save
  // on this shape of event (below the threshold it is not worth its CPU; stored-text.ts).
  const deflated = flat.reduce((n, e) => n + deflateRawSync(JSON.stringify(e)).length, 0);
  const raw = await rawEventsStore(flat);
  const rawRatio = raw.bytes / json;
  console.log(`Storage (${fmt(flat.length)} events, ${fmt(perEvent)} B of JSON each on average; sizes do not depend on machine load)`);
  console.log(`  collector store, file + WAL after checkpoint   ${fmt(size.bytes / flat.length)} B/event  (empty store: ${fmt(empty / 1024)} KiB, included)`);
  console.log(`  raw event rows alone, same DDL                 ${fmt(raw.bytes / flat.length)} B/event`);
  for (const [table, bytes] of size.tables) {
    if (bytes / flat.length >= 1) console.log(`    ${table.padEnd(44)} ${fmt(bytes / flat.length)} B/event`);
  }
  console.log(
    `  event bodies as stored                         ${fmt(bodies.storedBytes / flat.length)} B/event (${fmt(bodies.compressed)} of ${fmt(bodies.bodies)} compressed)`,
  );
  console.log(`  bodies deflated one by one, no dictionary    ${fmt(deflated / flat.length)} B/event (from ${fmt(perEvent)})`);

  // The same runs with large step outputs: a third as many, so the bench takes a similar time.
  const large = await measureShape(withLargeOutputs(makeEvents(Math.max(1, Math.round(runs / 3)))));
  console.log(
    `Storage with 4 KiB step outputs in prose (${fmt(large.events)} events, ${fmt(large.perEvent)} B of JSON each): ${fmt(large.size.bytes / large.events)} B/event, ` +
      `bodies ${fmt(large.bodies.storedBytes / large.events)} B/event as stored (${fmt(large.bodies.compressed)} of ${fmt(large.bodies.bodies)} compressed)`,
  );
  for (const [table, bytes] of large.size.tables) {
    if (bytes / large.events >= 1) console.log(`    ${table.padEnd(44)} ${fmt(bytes / large.events)} B/event`);
  }
  console.log(`storage ratio ${fmt(ratio, 2)}`);
  console.log(`storage-large-outputs ratio ${fmt(large.ratio, 2)}`);
  console.log(`storage-raw-events ratio ${fmt(rawRatio, 2)}`);
  console.log(`storage-vs-raw-events ratio ${fmt(ratio / rawRatio, 2)}`);
  return {
    events: flat.length,
    jsonBytesPerEvent: perEvent,
    bytesPerEvent: size.bytes / flat.length,
    rawBytesPerEvent: raw.bytes / flat.length,
    ratio,
    rawRatio,
    storedBodyPerEvent: bodies.storedBytes / flat.length,
    deflatedBodyPerEvent: deflated / flat.length,
    largeOutputsRatio: large.ratio,
    largeOutputsJsonBytesPerEvent: large.perEvent,
    largeOutputsBytesPerEvent: large.size.bytes / large.events,
    ...Object.fromEntries([...size.tables].map(([t, b]) => [`table_${t}`, b / flat.length])),
  };
}
