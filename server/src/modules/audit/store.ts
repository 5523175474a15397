import type { Client, InValue, Transaction } from "@libsql/client";
import type { Db } from "../../platform/db/client.js";
import { canonicalJson, entryHash, GENESIS_HASH, sha256Hex, type SignedCheckpoint, type StoredEntry } from "./chain.js";
import { payloadText, type EntryWithPayload } from "./payload-check.js";
import { extendTree } from "./tree-store.js";
import { PackedRows, type PackedValue } from "../../platform/db/packed-rows.js";
import { chunks, multiRow } from "../../platform/db/sql.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { yieldToEventLoop } from "../../platform/yield.js";
import { idFromStoredOrNull, refFromStored, refIdSql, refOfKindSql } from "../../platform/db/stored-id.js";
import { ensureProjectKey, PROJECT_KEY, projectKeySql } from "../../platform/db/project-key.js";

/** A fact to record. Exactly one of `payload` (kept in audit_payloads) or `payloadHash` (the payload lives elsewhere, e.g. an event's body). */
export interface AuditRecord {
  time: number;
  actor: string;
  action: string;
  subject: string;
  runId?: string | null;
  payload?: unknown;
  payloadHash?: string;
}

export interface AuditHead {
  seq: number;
  hash: string;
}

/** Whether an entry of `audit_log a` is an event's: its subject is `event:<id>` (stored-id.ts, references). */
export const IS_EVENT_ENTRY = refOfKindSql("a.subject", "event");

/**
 * Joins the event an entry of `audit_log a` is about to `events e`, when it is an event's. Both
 * tables name the project by its key (project-key.ts) and keep event ids as stored-id.ts says.
 *
 * The id alone does not name one event for all time: once retention has deleted an event, the
 * same id sent again is stored as a new event, with an entry of its own. An event's entry is
 * written in the transaction that stores it, with the event's `received_at` as its time, so the
 * time tells the two apart; matched by id alone, the old entry would be checked against the new
 * body and reported as edited. An edit of `received_at` leaves the entry without its event, which
 * verification reports as a missing payload.
 */
export const EVENT_OF_ENTRY = `${IS_EVENT_ENTRY} AND e.project_key = a.project_key AND e.id = ${refIdSql("a.subject", "event")} AND e.received_at = a.time`;

/**
 * Joins every event stored under the id an entry of `audit_log a` names to `events e`, whatever
 * its time: what retention deletes or reduces with the entry's run. An event whose
 * `received_at` was edited is still found, and goes with its run, rather than staying behind
 * with no entry to check it against.
 */
export const EVENTS_UNDER_ENTRY_ID = `${IS_EVENT_ENTRY} AND e.project_key = a.project_key AND e.id = ${refIdSql("a.subject", "event")}`;

/** The columns of an entry of `audit_log a` that `entryFromRow` reads, in its order. */
export const ENTRY_COLUMNS = "a.seq, a.time, a.actor, a.action, a.subject, a.run_id, lower(hex(a.payload_hash)), lower(hex(a.hash))";

/**
 * The entry of `projectId`'s chain a row starting with `ENTRY_COLUMNS` holds, its ids and
 * references turned back into the text the chain hashes (stored-id.ts): every reader of entries
 * goes through here, so none can hash or show the stored form.
 */
export function entryFromRow(projectId: string, r: ArrayLike<unknown>): StoredEntry {
  return {
    projectId,
    seq: Number(r[0]),
    time: Number(r[1]),
    actor: refFromStored(r[2]),
    action: String(r[3]),
    subject: refFromStored(r[4]),
    runId: idFromStoredOrNull(r[5]),
    payloadHash: String(r[6]),
    hash: String(r[7]),
  };
}

const ROWS_PER_STATEMENT = 100;
const PACKED_ROWS_PER_STATEMENT = 5_000;

// Entry rows go in packed (store/packed-rows.ts): the collector writes one entry per event, and
// packed rows cost ~4.8 µs each against ~6.2 µs through json_each and ~7.3 µs as bound
// parameters (bench/packed-insert.ts).
const ENTRY_ROWS = new PackedRows([
  { kind: "integer" }, // seq
  { kind: "integer" }, // time
  { kind: "text", ref: true }, // actor (stored-id.ts, references)
  { kind: "text" }, // action
  { kind: "text", ref: true }, // subject
  { kind: "text", nullable: true, id: true }, // run_id (stored-id.ts)
  { kind: "ascii", width: 64, hex: true }, // payload_hash (SHA-256: hex here, its 32 bytes stored)
  { kind: "ascii", width: 64, hex: true }, // hash
]);
const INSERT_ENTRIES = ENTRY_ROWS.sql("INSERT INTO audit_log (project_key, seq, time, actor, action, subject, run_id, payload_hash, hash)", {
  leading: ["?4"],
});

export async function readAuditHead(tx: Transaction | Client, projectId: string): Promise<AuditHead | null> {
  const rs = await tx.execute({
    sql: `SELECT seq, lower(hex(hash)) FROM audit_log WHERE project_key = ${PROJECT_KEY} ORDER BY seq DESC LIMIT 1`,
    args: [projectId],
  });
  const r = rs.rows[0];
  return r ? { seq: Number(r[0]), hash: String(r[1]) } : null;
}

/**
 * Appends entries to a project's chain inside the caller's write transaction, so an entry
 * commits or rolls back with the fact it records. The head is read under the write
 * lock, so concurrent writers (other instances too) extend the chain one after the other.
 */
export async function appendAudit(tx: Transaction, projectId: string, records: readonly AuditRecord[]): Promise<AuditHead | null> {
  if (records.length === 0) return null;
  const key = await ensureProjectKey(tx, projectId);
  const head = await readAuditHead(tx, projectId);
  let seq = head?.seq ?? 0;
  let prev = head?.hash ?? GENESIS_HASH;
  const rows: PackedValue[][] = [];
  const hashes: string[] = [];
  const payloads: InValue[][] = [];
  for (const r of records) {
    seq++;
    let hash: string;
    if (r.payloadHash !== undefined) {
      hash = r.payloadHash;
    } else {
      const body = canonicalJson(r.payload ?? null);
      hash = sha256Hex(body);
      payloads.push([key, seq, body]);
    }
    // Stored as UTF-8, so hashed as what the store keeps (lib/audit-chain.ts wellFormed).
    const runId = r.runId == null ? null : r.runId.toWellFormed();
    const actor = r.actor.toWellFormed();
    const subject = r.subject.toWellFormed();
    prev = entryHash(prev, { projectId, seq, time: r.time, actor, action: r.action, subject, runId, payloadHash: hash });
    rows.push([seq, r.time, actor, r.action, subject, runId, hash, prev]);
    hashes.push(prev);
  }
  for (const part of chunks(rows, PACKED_ROWS_PER_STATEMENT)) {
    await tx.execute({ sql: INSERT_ENTRIES, args: [...ENTRY_ROWS.pack(part).args, key] });
  }
  for (const part of chunks(payloads, ROWS_PER_STATEMENT)) {
    await tx.execute(multiRow("INSERT INTO audit_payloads (project_key, seq, body) VALUES ", part, ""));
  }
  // The Merkle tree grows with the entries, from the hashes computed here: a checkpoint signs the
  // tree of the entries as written, never read back.
  await extendTree(tx, projectId, head, hashes);
  return { seq, hash: prev };
}

/** Records facts that have nothing else to write: e.g. a login, an export, a verification. */
export async function recordAudit(client: Client, projectId: string, records: readonly AuditRecord[]): Promise<AuditHead | null> {
  return withWriteLock(client, async (tx) => ({ commit: true, value: await appendAudit(tx, projectId, records) }));
}

const CHECKPOINT_COLUMNS = "project_id, seq, head_hash, time, prev_signature, key_id, signature, root_hash";

export async function lastCheckpoint(tx: Transaction | Client, projectId: string): Promise<SignedCheckpoint | null> {
  const rs = await tx.execute({ sql: `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE project_id = ? ORDER BY seq DESC LIMIT 1`, args: [projectId] });
  const r = rs.rows[0];
  return r ? toCheckpoint(r) : null;
}

export async function insertCheckpoint(tx: Transaction, c: SignedCheckpoint): Promise<void> {
  await tx.execute({
    sql: "INSERT INTO audit_checkpoints (project_id, seq, head_hash, time, prev_signature, key_id, signature, root_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    args: [c.projectId, c.seq, c.headHash, c.time, c.prevSignature, c.keyId, c.signature, c.rootHash ?? null],
  });
}

/** The checkpoint of a chain at exactly `seq`, or null. */
export async function checkpointAt(db: Client, projectId: string, seq: number): Promise<SignedCheckpoint | null> {
  const rs = await db.execute({ sql: `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE project_id = ? AND seq = ?`, args: [projectId, seq] });
  return rs.rows[0] ? toCheckpoint(rs.rows[0]) : null;
}

/** The first checkpoint at or after `seq` that signs a tree head, or null. */
export async function checkpointCovering(db: Client, projectId: string, seq: number): Promise<SignedCheckpoint | null> {
  const rs = await db.execute({
    sql: `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE project_id = ? AND seq >= ? AND root_hash IS NOT NULL ORDER BY seq LIMIT 1`,
    args: [projectId, seq],
  });
  return rs.rows[0] ? toCheckpoint(rs.rows[0]) : null;
}

/** The newest checkpoints of a project, newest first. */
export async function lastCheckpoints(db: Db, projectId: string, limit: number): Promise<SignedCheckpoint[]> {
  const rs = await db.$client.execute({
    sql: `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE project_id = ? ORDER BY seq DESC LIMIT ?`,
    args: [projectId, limit],
  });
  return rs.rows.map(toCheckpoint);
}

/** Checkpoints not yet copied to `target`, oldest first. */
export async function unexportedCheckpoints(db: Db, target: string, limit: number): Promise<SignedCheckpoint[]> {
  const rs = await db.$client.execute({
    sql: `SELECT c.project_id, c.seq, c.head_hash, c.time, c.prev_signature, c.key_id, c.signature, c.root_hash FROM audit_checkpoints c
          WHERE NOT EXISTS (SELECT 1 FROM audit_checkpoint_exports x WHERE x.project_id = c.project_id AND x.seq = c.seq AND x.target = ?)
          ORDER BY c.time, c.project_id, c.seq LIMIT ?`,
    args: [target, limit],
  });
  return rs.rows.map(toCheckpoint);
}

export async function markCheckpointsExported(client: Client, target: string, checkpoints: readonly SignedCheckpoint[], now: number): Promise<void> {
  if (checkpoints.length === 0) return;
  await withWriteLock(client, async (tx) => {
    for (const part of chunks(
      checkpoints.map((c) => [c.projectId, c.seq, target, now] as InValue[]),
      ROWS_PER_STATEMENT,
    )) {
      await tx.execute(multiRow("INSERT INTO audit_checkpoint_exports (project_id, seq, target, exported_at) VALUES ", part, " ON CONFLICT DO NOTHING"));
    }
    return { commit: true, value: undefined };
  });
}

export async function countProjects(db: Db): Promise<number> {
  const rs = await db.$client.execute("SELECT count(*) FROM projects");
  return Number(rs.rows[0]![0]);
}

/** Projects whose chain has entries past their last checkpoint, with both positions. */
export async function projectsNeedingCheckpoint(
  db: Db,
): Promise<Array<{ projectId: string; head: number; checkpointed: number; checkpointedAt: number | null }>> {
  const rs = await db.$client.execute(`
    SELECT p.id, (SELECT max(seq) FROM audit_log a WHERE a.project_key = ${projectKeySql("p.id")}) AS head,
           c.seq, c.time
    FROM projects p
    LEFT JOIN audit_checkpoints c ON c.project_id = p.id AND c.seq = (SELECT max(seq) FROM audit_checkpoints WHERE project_id = p.id)`);
  return rs.rows
    .map((r) => ({ projectId: String(r[0]), head: Number(r[1] ?? 0), checkpointed: Number(r[2] ?? 0), checkpointedAt: r[3] == null ? null : Number(r[3]) }))
    .filter((p) => p.head > p.checkpointed);
}

function toCheckpoint(r: Record<string, unknown> | ArrayLike<unknown>): SignedCheckpoint {
  const row = r as ArrayLike<unknown>;
  const c: SignedCheckpoint = {
    projectId: String(row[0]),
    seq: Number(row[1]),
    headHash: String(row[2]),
    time: Number(row[3]),
    prevSignature: String(row[4]),
    keyId: String(row[5]),
    signature: String(row[6]),
  };
  if (row[7] != null) c.rootHash = String(row[7]);
  return c;
}

/** Checkpoints in seq order, read a page at a time. */
export async function* readCheckpoints(db: Db, projectId: string, pageSize = 1_000, upTo = Number.MAX_SAFE_INTEGER): AsyncGenerator<SignedCheckpoint> {
  let after = 0;
  for (;;) {
    const rs = await db.$client.execute({
      sql: `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE project_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
      args: [projectId, after, upTo, pageSize],
    });
    for (const r of rs.rows) yield toCheckpoint(r);
    if (rs.rows.length < pageSize) return;
    after = Number(rs.rows[rs.rows.length - 1]![1]);
    await yieldToEventLoop();
  }
}

/**
 * Chain entries in seq order, read a page at a time (keyset paging: constant memory). `afterPage`
 * is told how many entries have been handed out, after each full page.
 */
export async function* readEntries(
  db: Db,
  projectId: string,
  pageSize = 2_000,
  upTo = Number.MAX_SAFE_INTEGER,
  afterPage?: (read: number) => void | Promise<void>,
): AsyncGenerator<StoredEntry> {
  let after = 0;
  let read = 0;
  for (;;) {
    const rs = await db.$client.execute({
      sql: `SELECT ${ENTRY_COLUMNS} FROM audit_log a WHERE a.project_key = ${PROJECT_KEY} AND a.seq > ? AND a.seq <= ? ORDER BY a.seq LIMIT ?`,
      args: [projectId, after, upTo, pageSize],
    });
    for (const r of rs.rows) yield entryFromRow(projectId, r);
    if (rs.rows.length < pageSize) return;
    after = Number(rs.rows[rs.rows.length - 1]![0]);
    read += rs.rows.length;
    await afterPage?.(read);
    await yieldToEventLoop();
  }
}

/**
 * Entries in seq order, each with the payload text the store holds for it now: its audit_payloads
 * row, or for an event entry the event's stored body (payload-check.ts says which applies). Keyset
 * paging, one page in memory.
 */
export async function* readEntriesWithPayload(
  db: Db,
  projectId: string,
  pageSize: number,
  upTo: number,
  afterPage?: (read: number) => void | Promise<void>,
): AsyncGenerator<EntryWithPayload> {
  let after = 0;
  let read = 0;
  for (;;) {
    const rs = await db.$client.execute({
      sql: `SELECT ${ENTRY_COLUMNS}, coalesce(p.body, e.body)
            FROM audit_log a
            LEFT JOIN audit_payloads p ON p.project_key = a.project_key AND p.seq = a.seq
            LEFT JOIN events e ON ${EVENT_OF_ENTRY}
            WHERE a.project_key = ${PROJECT_KEY} AND a.seq > ? AND a.seq <= ? ORDER BY a.seq LIMIT ?`,
      args: [projectId, after, upTo, pageSize],
    });
    for (const r of rs.rows) yield { ...entryFromRow(projectId, r), payload: payloadText(r[8]) };
    if (rs.rows.length < pageSize) return;
    after = Number(rs.rows[rs.rows.length - 1]![0]);
    read += rs.rows.length;
    await afterPage?.(read);
    await yieldToEventLoop();
  }
}

/** The stored tree nodes of `level` in index order (to compare with the ones a verification closes). */
export async function* readTreeNodes(db: Db, projectId: string, level: number): AsyncGenerator<{ index: number; hash: string }> {
  let after = -1;
  for (;;) {
    const rs = await db.$client.execute({
      sql: "SELECT idx, hash FROM audit_tree_nodes WHERE project_id = ? AND level = ? AND idx > ? ORDER BY idx LIMIT 1000",
      args: [projectId, level, after],
    });
    for (const r of rs.rows) yield { index: Number(r[0]), hash: String(r[1]) };
    if (rs.rows.length < 1000) return;
    after = Number(rs.rows[rs.rows.length - 1]![0]);
  }
}
