// How the collector's two per-event inserts hand rows to SQLite: a multi-row INSERT binding a
// parameter per value, one JSON array per statement unpacked by json_each (`value ->> i`), and
// packed rows (server/src/store/packed-rows.ts). Tables and indexes from the committed
// migrations; 2,000 rows a transaction; CPU time per row, best of 5 rounds with the methods
// interleaved (the machine is shared: other load only ever adds). Run:
//   node --import tsx bench/packed-insert.ts
import { createClient, type InValue } from "@libsql/client";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { entryHash, GENESIS_HASH, sha256Hex } from "../server/src/modules/audit/chain.js";
import { PackedRows, type PackedValue } from "../server/src/platform/db/packed-rows.js";
import { repoRoot } from "../test/support/server.js";
import { makeEvents } from "./ingest.js";

const GROUP = 2_000;
const P = "0190f0f0-0000-7000-8000-000000000001";
const K = "0190f0f0-0000-7000-8000-000000000002";
const T = Date.now();

const events = makeEvents(4_000).flat();
const eventRows = events.map((e) => [e.id, e.type, "runId" in e ? e.runId : null, Date.parse(e.time), JSON.stringify(e)] as const);
let prev = GENESIS_HASH;
const auditRows = eventRows.map((r, i) => {
  const entry = { projectId: P, seq: i + 1, time: T, actor: `sdk:${K}`, action: r[1], subject: `event:${r[0]}`, runId: r[2], payloadHash: sha256Hex(r[4]) };
  prev = entryHash(prev, entry);
  return [entry.seq, entry.time, entry.actor, entry.action, entry.subject, entry.runId, entry.payloadHash, prev] as const;
});

const EVENT_COLUMNS = "project_id, received_at, key_id, id, type, run_id, time, body";
const AUDIT_COLUMNS = "project_id, seq, time, actor, action, subject, run_id, payload_hash, hash";
const packedEvents = new PackedRows([
  { kind: "ascii", width: 36 },
  { kind: "ascii", width: 16 },
  { kind: "ascii", width: 36, nullable: true },
  { kind: "integer" },
  { kind: "text" },
]);
const packedAudit = new PackedRows([
  { kind: "integer" },
  { kind: "integer" },
  { kind: "text" },
  { kind: "text" },
  { kind: "text" },
  { kind: "text", nullable: true },
  { kind: "ascii", width: 64 },
  { kind: "ascii", width: 64 },
]);

type Method = "multi-row" | "json_each" | "packed";
type Statement = { sql: string; args: InValue[] };

function statements(table: "events" | "audit_log", method: Method, from: number, to: number): Statement[] {
  const rows = (table === "events" ? eventRows : auditRows).slice(from, to) as unknown as InValue[][];
  const columns = table === "events" ? EVENT_COLUMNS : AUDIT_COLUMNS;
  const own: InValue[] = table === "events" ? [P, T, K] : [P];
  const leading = own.map((_, i) => `?${i + 4}`);
  if (method === "packed") {
    const packer = table === "events" ? packedEvents : packedAudit;
    return [{ sql: packer.sql(`INSERT INTO ${table} (${columns})`, { leading }), args: [...packer.pack(rows as PackedValue[][]).args, ...own] }];
  }
  if (method === "json_each") {
    const values = rows[0]!.map((_, i) => `value ->> ${i}`).join(", ");
    const params = own.map((_, i) => `?${i + 1}`).join(", ");
    return [{ sql: `INSERT INTO ${table} (${columns}) SELECT ${params}, ${values} FROM json_each(?${own.length + 1})`, args: [...own, JSON.stringify(rows)] }];
  }
  const out: Statement[] = [];
  for (let i = 0; i < rows.length; i += 100) {
    const part = rows.slice(i, i + 100);
    const tuple = `(${Array(own.length + part[0]!.length)
      .fill("?")
      .join(",")})`;
    out.push({ sql: `INSERT INTO ${table} (${columns}) VALUES ${Array(part.length).fill(tuple).join(",")}`, args: part.flatMap((r) => [...own, ...r]) });
  }
  return out;
}

function ddl(file: string, table: string): string[] {
  return readFileSync(join(repoRoot, "server/drizzle", file), "utf8")
    .split("--> statement-breakpoint")
    .map((s) => s.trim())
    .filter((s) => s.includes(`CREATE TABLE \`${table}\``) || s.includes(`ON \`${table}\``));
}

async function measure(table: "events" | "audit_log", method: Method): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-bench-packed-"));
  const client = createClient({ url: `file:${join(dir, "b.db")}` });
  try {
    await client.execute("PRAGMA journal_mode=WAL");
    for (const s of table === "events" ? ddl("0000_init.sql", "events") : ddl("0003_audit_trail.sql", "audit_log")) await client.execute(s);
    const cpu0 = process.cpuUsage();
    for (let g = 0; g < eventRows.length; g += GROUP) {
      const tx = await client.transaction("write");
      for (const s of statements(table, method, g, Math.min(g + GROUP, eventRows.length))) await tx.execute(s);
      await tx.commit();
      tx.close();
    }
    const cpu = process.cpuUsage(cpu0);
    const n = Number((await client.execute(`SELECT count(*) FROM ${table}`)).rows[0]![0]);
    if (n !== eventRows.length) throw new Error(`${table} has ${n} rows, expected ${eventRows.length}`);
    return (cpu.user + cpu.system) / eventRows.length;
  } finally {
    client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const best = new Map<string, number>();
for (let round = 0; round < 5; round++) {
  for (const table of ["events", "audit_log"] as const) {
    for (const method of ["multi-row", "json_each", "packed"] as const) {
      const k = `${table.padEnd(10)} ${method.padEnd(10)}`;
      best.set(k, Math.min(best.get(k) ?? Infinity, await measure(table, method)));
    }
  }
}
for (const [k, v] of best) console.log(`${k} ${v.toFixed(2)} µs/row (CPU: building the statements, inserting, committing)`);
