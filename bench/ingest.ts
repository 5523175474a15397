/**
 * Ingest: events per second stored by the collector from concurrent SDK transports over HTTP
 * (a real server process on 127.0.0.1, gzip batches of 500), against a raw libSQL multi-row
 * insert of the same event rows into the same `events` table in a fresh file, in the same run.
 * The collector also writes an audit entry per event in the same transaction, so a second
 * baseline inserts the same event rows AND their audit rows (hashes computed before the clock
 * starts) the same way: the ratio against it says how close the collector comes to the least the
 * database must do for the rows it logs. The collector also folds the events into runs and steps
 * in that transaction (and a pass projects whatever a commit leaves); no baseline does.
 */
import { createClient, type InValue } from "@libsql/client";
import { Transport, uuidv7, type SeamtraceEvent } from "@seamtrace/sdk";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { entryHash, GENESIS_HASH, sha256Hex } from "../server/src/modules/audit/chain.js";
import { spawnServer } from "../test/support/server.js";
import { fmt, median } from "./stats.js";
import { collectorDdl } from "./store-ddl.js";
import { storedId, storedRef } from "../server/src/platform/db/stored-id.js";

const CLIENTS = 8;
const STEPS_PER_RUN = 5;

/** Realistic step events: ~0.5 KB of JSON each, the size the measured facts were taken at. */
export function makeEvents(runs: number): SeamtraceEvent[][] {
  const perClient: SeamtraceEvent[][] = Array.from({ length: CLIENTS }, () => []);
  for (let r = 0; r < runs; r++) {
    const out = perClient[r % CLIENTS]!;
    const runId = uuidv7();
    const base = { runId, workflow: "claims", version: "3" };
    const t = new Date().toISOString();
    out.push({ id: uuidv7(), type: "run.started", time: t, ...base, key: `msg-${r}`, input: { subject: "Claim for water damage", from: "a@example.com" } });
    let parent: string | undefined;
    for (let s = 0; s < STEPS_PER_RUN; s++) {
      const stepId = uuidv7();
      out.push({
        id: uuidv7(),
        type: "step.completed",
        time: t,
        ...base,
        stepId,
        step: `step-${s}`,
        parents: parent ? [parent] : [],
        input: { policyNo: `PX-${1000 + (r % 9000)}`, note: "kitchen pipe burst overnight" },
        output: { value: `result ${r}.${s}`, amount: 1200 + s },
        confidence: 0.9,
        cumulative: 0.9 ** (s + 1),
        source: "inferred",
        stale: false,
        reasoning: "matched the policy number pattern and an amount with a currency sign",
        alternatives: ["other"],
        features: { amount: 1200 + s, region: "eu" },
        attempt: 1,
        durationMs: 3,
        startedAt: t,
      });
      parent = stepId;
    }
    out.push({ id: uuidv7(), type: "run.completed", time: t, ...base, output: { route: "auto" }, durationMs: 20 });
  }
  return perClient;
}

interface CollectorRun {
  /** Events acknowledged (durable in the event log, and projected unless a commit left them to a pass) per second. */
  ackRate: number;
  /** Events per second until runs and steps were projected too. */
  projectedRate: number;
}

async function projectionLag(url: string): Promise<number> {
  const res = await fetch(`${url}/healthz`);
  return ((await res.json()) as { projection: { lag: number } }).projection.lag;
}

async function collector(events: SeamtraceEvent[][]): Promise<CollectorRun> {
  const server = await spawnServer({ timeoutMs: 600_000 });
  try {
    const transports = events.map(() => new Transport({ endpoint: server.url, apiKey: server.apiKey, maxBufferEvents: 10_000_000, flushIntervalMs: 10 }));
    const total = events.reduce((n, e) => n + e.length, 0);
    const t0 = performance.now();
    events.forEach((list, i) => {
      for (const e of list) transports[i]!.enqueue(e);
    });
    const results = await Promise.all(transports.map((t) => t.flush({ timeoutMs: 600_000 })));
    const seconds = (performance.now() - t0) / 1000;
    const delivered = results.reduce((n, r) => n + r.delivered, 0);
    if (delivered !== total) throw new Error(`collector delivered ${delivered} of ${total}`);
    while ((await projectionLag(server.url)) > 0) await new Promise((r) => setTimeout(r, 5));
    const projectedSeconds = (performance.now() - t0) / 1000;
    await Promise.all(transports.map((t) => t.shutdown()));
    return { ackRate: total / seconds, projectedRate: total / projectedSeconds };
  } finally {
    await server.dispose();
  }
}

type RawMode = "perStatement" | "perBatch" | "withAudit";

/**
 * `perStatement`: each 100-row INSERT commits on its own, the configuration behind the team's
 * reference figure (~52k rows/s). `perBatch`: one transaction per 500 rows (one SDK batch), the
 * stronger baseline, since the collector also commits many rows per fsync. `withAudit`: as
 * `perStatement`, and each transaction also inserts the 100 events' audit rows (one 100-row
 * INSERT into `audit_log` with its indexes), their payload and chain hashes computed up front.
 */
async function raw(events: SeamtraceEvent[][], mode: RawMode): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-bench-raw-"));
  const client = createClient({ url: `file:${join(dir, "raw.db")}`, timeout: 5000 });
  try {
    await client.execute("PRAGMA journal_mode=WAL");
    // The same tables and indexes as the collector's (a store migrated in memory), and the event
    // rows as it writes them: the project as its key (project-key.ts; a store's first project has
    // key 1), ids as their bytes (stored-id.ts), bodies as text.
    for (const statement of await collectorDdl(...(mode === "withAudit" ? ["events", "audit_log"] : ["events"]))) await client.execute(statement);
    const projectId = "0190f0f0-0000-7000-8000-000000000001";
    const keyId = "0190f0f0-0000-7000-8000-000000000002";
    const receivedAt = Date.now();
    const rows: InValue[][] = events
      .flat()
      .map((e) => [
        1,
        storedId(e.id),
        e.type,
        "runId" in e ? storedId(e.runId) : null,
        Date.parse(e.time),
        receivedAt,
        JSON.stringify(e),
        e.id,
        "runId" in e ? e.runId : null,
      ]);
    let prev = GENESIS_HASH;
    const auditRows: InValue[][] = rows.map((r, i) => {
      const entry = {
        projectId,
        seq: i + 1,
        time: receivedAt,
        actor: `sdk:${keyId}`,
        action: r[2] as string,
        subject: `event:${r[7] as string}`,
        runId: r[8] as string | null,
        payloadHash: sha256Hex(r[6] as string),
      };
      prev = entryHash(prev, entry);
      // Ids and references as the audit log stores them too (stored-id.ts); the chain hashes their text.
      return [1, entry.seq, entry.time, storedRef(entry.actor), entry.action, storedRef(entry.subject), r[3]!, entry.payloadHash, prev];
    });
    const insert = (from: number, to: number) => ({
      sql: `INSERT INTO events (project_key, id, type, run_id, time, received_at, body) VALUES ${Array(to - from)
        .fill("(?,?,?,?,?,?,?)")
        .join(",")}`,
      args: rows.slice(from, to).flatMap((r) => r.slice(0, 7)),
    });
    const insertAudit = (from: number, to: number) => ({
      sql: `INSERT INTO audit_log (project_key, seq, time, actor, action, subject, run_id, payload_hash, hash) VALUES ${Array(to - from)
        .fill("(?,?,?,?,?,?,?,unhex(?),unhex(?))")
        .join(",")}`,
      args: auditRows.slice(from, to).flat(),
    });
    const t0 = performance.now();
    if (mode === "perStatement") {
      for (let i = 0; i < rows.length; i += 100) await client.execute(insert(i, Math.min(i + 100, rows.length)));
    } else if (mode === "withAudit") {
      for (let i = 0; i < rows.length; i += 100) {
        const to = Math.min(i + 100, rows.length);
        await client.batch([insert(i, to), insertAudit(i, to)], "write");
      }
    } else {
      // One transaction per 500-event batch (what a request commits), one INSERT per 100 rows.
      for (let b = 0; b < rows.length; b += 500) {
        const stmts = [];
        for (let i = b; i < Math.min(b + 500, rows.length); i += 100) stmts.push(insert(i, Math.min(i + 100, b + 500, rows.length)));
        await client.batch(stmts, "write");
      }
    }
    return rows.length / ((performance.now() - t0) / 1000);
  } finally {
    client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Every round measures the three raw configurations and the collector back to back, first and
 * last swapping places round by round, and each ratio is taken within its round: the machine is
 * shared, and the raw configurations, which commit 1,050 times, move with the disk's fsync
 * latency under the other load far more than the collector does. The figure is the median of
 * the rounds' ratios, printed with their range.
 */
export async function benchIngest(opts: { runs?: number; rounds?: number } = {}): Promise<Record<string, number>> {
  const runs = opts.runs ?? 15_000;
  const rounds = opts.rounds ?? 5;
  const events = makeEvents(runs);
  const total = events.reduce((n, e) => n + e.length, 0);
  const bytes = events.flat().reduce((n, e) => n + JSON.stringify(e).length, 0) / total;
  const c: number[] = [];
  const p: number[] = [];
  const r: number[] = [];
  const rb: number[] = [];
  const ra: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const measureCollector = async () => {
      const run = await collector(events);
      c.push(run.ackRate);
      p.push(run.projectedRate);
    };
    if (i % 2 === 1) await measureCollector();
    r.push(await raw(events, "perStatement"));
    rb.push(await raw(events, "perBatch"));
    ra.push(await raw(events, "withAudit"));
    if (i % 2 === 0) await measureCollector();
  }
  const ratios = (base: number[], of = c) => of.map((x, i) => x / base[i]!);
  const summary = (xs: number[]) => `${fmt(median(xs), 2)}  (rounds ${fmt(Math.min(...xs), 2)}–${fmt(Math.max(...xs), 2)})`;
  const ratio = ratios(r);
  const ratioBatched = ratios(rb);
  const ratioWithAudit = ratios(ra);
  const projectedRatio = ratios(r, p);
  const projectedVsAck = p.map((x, i) => x / c[i]!);
  console.log(`Ingest (${fmt(total)} events of ~${fmt(bytes)} B, ${CLIENTS} concurrent SDK transports, ${rounds} rounds, medians)`);
  console.log(`  collector over HTTP (acknowledged)         ${fmt(median(c))} events/s  (each event, its audit entry and its projection committed)`);
  console.log(`  raw: 100-row INSERTs, each committed       ${fmt(median(r))} events/s  (the reference configuration: event rows only)`);
  console.log(`  raw: 100-row INSERTs, 500 per commit       ${fmt(median(rb))} events/s`);
  console.log(`  raw: events + audit rows, 100 per commit   ${fmt(median(ra))} events/s  (the rows the collector stores)`);
  console.log(`  ratio collector/raw                        ${summary(ratio)}   goal ≥ 0.6`);
  console.log(`  ratio collector/raw, 500 per commit        ${summary(ratioBatched)}`);
  console.log(`  ratio collector/raw with audit rows        ${summary(ratioWithAudit)}`);
  console.log(`  until runs and steps were projected too    ${fmt(median(p))} events/s, ${summary(projectedRatio)} of raw`);
  // One line per goal, for scripts: acknowledged against raw event-only inserts, projected
  // against acknowledged (both collector figures from the same server run).
  console.log(`ingest-ack-vs-raw ratio ${fmt(median(ratio), 2)}`);
  console.log(`ingest-ack-vs-raw-with-audit ratio ${fmt(median(ratioWithAudit), 2)}`);
  console.log(`ingest-projected-vs-ack ratio ${fmt(median(projectedVsAck), 2)}`);
  return {
    events: total,
    rounds,
    collectorEventsPerSec: median(c),
    projectedEventsPerSec: median(p),
    rawEventsPerSec: median(r),
    rawBatchedEventsPerSec: median(rb),
    rawWithAuditEventsPerSec: median(ra),
    ratio: median(ratio),
    ratioMin: Math.min(...ratio),
    ratioMax: Math.max(...ratio),
    ratioBatched: median(ratioBatched),
    ratioWithAudit: median(ratioWithAudit),
    ratioWithAuditMin: Math.min(...ratioWithAudit),
    ratioWithAuditMax: Math.max(...ratioWithAudit),
    projectedRatio: median(projectedRatio),
    projectedVsAck: median(projectedVsAck),
  };
}
