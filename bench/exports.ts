/**
 * Corrections export: `streamCorrections` + `exportRow` (what `GET /v1/exports/corrections` and
 * `seamtrace export corrections` run) over 20,000 and 100,000 decided escalations whose packets
 * carry ~2 KB of "run so far" besides the input and output, as real packets do. Exports promise
 * a streamed export: the heap it keeps alive (after full collections, sampled as it goes) stays
 * small and flat while the export grows to tens of megabytes.
 * Baseline in the same run: the same keyset pages reading and parsing whole packets (what
 * exporting without `packet -> '$.field'` would cost), so export / baseline < 1 is what the
 * extraction in SQL saves.
 */
import type { Client } from "@libsql/client";
import { exportRow } from "@seamtrace/golden";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { openStore } from "../server/src/platform/db/client.js";
import { migrateStore } from "../server/src/app/migrate.js";
import { streamCorrections } from "../server/src/modules/exports/store.js";
import { multiRow } from "../server/src/platform/db/sql.js";
import { withWriteLock } from "../server/src/platform/db/write-transaction.js";
import { alternate, fmt, median } from "./stats.js";

const PROJECT = "0190f0f0-0000-7000-8000-00000000b0b0";
const T0 = Date.UTC(2025, 0, 15);
const id = (n: number) => `0190f0f0-0000-7000-8000-${n.toString(16).padStart(12, "0")}`;
const RUN_SO_FAR = Array.from({ length: 8 }, (_, i) => ({ stepId: id(i), step: `s${i}`, output: { text: "y".repeat(200) } }));

async function seed(client: Client, from: number, count: number): Promise<void> {
  for (let start = from; start < from + count; start += 5_000) {
    await withWriteLock(client, async (tx) => {
      for (let s = start; s < Math.min(start + 5_000, from + count); s += 100) {
        const rows = [];
        for (let i = s; i < Math.min(s + 100, from + count); i++) {
          const packet = {
            input: { body: `claim ${i} `.repeat(20) },
            output: { amount: i },
            alternatives: [{ amount: i + 1 }],
            runSoFar: { steps: RUN_SO_FAR, truncated: false },
          };
          rows.push([
            PROJECT,
            id(i),
            id(i),
            id(i),
            "claims",
            "3",
            "reserve",
            "escalate",
            '["confidence"]',
            1,
            0.5,
            0.5,
            JSON.stringify(packet),
            "resolved",
            "correct",
            JSON.stringify({ amount: i * 2 }),
            "fix",
            "u1",
            T0 + i * 1000,
            T0 + i * 1000 - 5000,
          ]);
        }
        await tx.execute(
          multiRow(
            `INSERT INTO escalations (project_id, id, run_id, step_id, workflow, version, step, kind, gate_kinds, blocking, confidence, cumulative, packet, status, decision, corrected_output, reason, reviewer_id, resolved_at, created_at) VALUES `,
            rows,
            "",
          ),
        );
      }
      return { commit: true, value: undefined };
    });
  }
}

/**
 * What an export keeps alive: the heap after a full collection, sampled every 10,000 rows, over
 * the heap before it (garbage awaiting collection is not memory the export holds).
 */
let base = 0;
let peak = 0;
// `npm run bench` runs without --expose-gc; a fresh context created after the flag gets `gc`.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
function sample(): void {
  gc();
  peak = Math.max(peak, process.memoryUsage().heapUsed - base);
}

async function timed(fn: () => Promise<number>): Promise<{ ms: number; rows: number }> {
  const t0 = performance.now();
  const rows = await fn();
  return { ms: performance.now() - t0, rows };
}

async function retained(fn: () => Promise<number>): Promise<number> {
  gc();
  base = process.memoryUsage().heapUsed;
  peak = 0;
  await fn();
  return peak / 1e6;
}

async function exportAll(client: Client, sampled = false): Promise<number> {
  let rows = 0;
  let bytes = 0;
  for await (const row of streamCorrections(client, PROJECT, { include: ["corrections"] })) {
    bytes += exportRow("jsonl", row).length;
    if (++rows % 10_000 === 0 && sampled) sample();
  }
  return bytes > 0 ? rows : 0;
}

async function exportedBytes(client: Client): Promise<number> {
  let bytes = 0;
  for await (const row of streamCorrections(client, PROJECT, { include: ["corrections"] })) bytes += Buffer.byteLength(exportRow("jsonl", row));
  return bytes;
}

async function naive(client: Client): Promise<number> {
  let rows = 0;
  let after = { time: -1, id: "" };
  for (;;) {
    const rs = await client.execute({
      sql: `SELECT id, packet, corrected_output, resolved_at FROM escalations WHERE project_id = ? AND status = 'resolved' AND resolved_at >= ? AND (resolved_at > ? OR id > ?) ORDER BY resolved_at, id LIMIT 500`,
      args: [PROJECT, after.time, after.time, after.id],
    });
    for (const r of rs.rows) {
      const p = JSON.parse(String(r[1])) as { input: unknown; output: unknown; alternatives: unknown };
      JSON.stringify({ id: r[0], input: p.input, output: p.output, alternatives: p.alternatives, corrected: JSON.parse(String(r[2])) });
      rows++;
    }
    if (rs.rows.length < 500) return rows;
    const last = rs.rows[rs.rows.length - 1]!;
    after = { time: Number(last[3]), id: String(last[0]) };
  }
}

export async function benchExports() {
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-bench-exports-"));
  const store = await openStore({ url: `file:${join(dir, "bench.db")}`, busyTimeoutMs: 5_000 });
  await migrateStore(store);
  const out: Record<string, unknown> = {};
  try {
    let seeded = 0;
    for (const n of [20_000, 100_000]) {
      await seed(store.client, seeded, n - seeded);
      seeded = n;
      // Alternated rounds, medians: the machine's load drifts.
      const rounds = await alternate(
        3,
        async () => (await timed(() => exportAll(store.client))).ms,
        async () => (await timed(() => naive(store.client))).ms,
      );
      const ms = median(rounds.a);
      const baseMs = median(rounds.b);
      const heapMb = await retained(() => exportAll(store.client, true));
      if ((await exportAll(store.client)) !== n || (await naive(store.client)) !== n) throw new Error(`expected ${n} rows`);
      out[String(n)] = {
        rowsPerSecond: Math.round(n / (ms / 1000)),
        ms: Math.round(ms),
        retainedHeapMb: +heapMb.toFixed(1),
        baselineMs: Math.round(baseMs),
        ratio: +(ms / baseMs).toFixed(2),
      };
      console.log(
        `export ${fmt(n)} decisions: ${fmt(ms)} ms (${fmt(n / (ms / 1000))} rows/s), retained heap +${fmt(heapMb, 1)} MB; whole-packet baseline ${fmt(baseMs)} ms; export/baseline ${(ms / baseMs).toFixed(2)}`,
      );
    }
    const large = out["100000"] as { retainedHeapMb: number };
    const bytes = await exportedBytes(store.client);
    out.exportedMb100k = +(bytes / 1e6).toFixed(1);
    console.log(
      `the 100k export is ${fmt(bytes / 1e6, 1)} MB of JSONL; it kept at most ${fmt(large.retainedHeapMb, 1)} MB alive (buffered, it would hold all of it)`,
    );
    return out;
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
