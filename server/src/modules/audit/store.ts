import type { Client, InValue, Transaction } from "@libsql/client";
import type { KeyObject } from "node:crypto";
import type { Db } from "../../platform/db/client.js";
import {
  canonicalJson,
  ChainVerifier,
  entryHash,
  GENESIS_HASH,
  sha256Hex,
  type CheckpointSigner,
  type SignedCheckpoint,
  type StoredEntry,
  type VerifyReport,
} from "./chain.js";
import { PackedRows, type PackedValue } from "../../platform/db/packed-rows.js";
import { chunks, multiRow } from "../../platform/db/sql.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { yieldToEventLoop } from "../../platform/yield.js";

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

const ROWS_PER_STATEMENT = 100;
const PACKED_ROWS_PER_STATEMENT = 5_000;

// Entry rows go in packed (store/packed-rows.ts): the collector writes one entry per event, and
// packed rows cost ~4.8 µs each against ~6.2 µs through json_each and ~7.3 µs as bound
// parameters (bench/packed-insert.ts).
const ENTRY_ROWS = new PackedRows([
  { kind: "integer" }, // seq
  { kind: "integer" }, // time
  { kind: "text" }, // actor
  { kind: "text" }, // action
  { kind: "text" }, // subject
  { kind: "text", nullable: true }, // run_id
  { kind: "ascii", width: 64 }, // payload_hash (SHA-256, hex)
  { kind: "ascii", width: 64 }, // hash
]);
const INSERT_ENTRIES = ENTRY_ROWS.sql("INSERT INTO audit_log (project_id, seq, time, actor, action, subject, run_id, payload_hash, hash)", { leading: ["?4"] });

export async function readAuditHead(tx: Transaction | Client, projectId: string): Promise<AuditHead | null> {
  const rs = await tx.execute({ sql: "SELECT seq, hash FROM audit_log WHERE project_id = ? ORDER BY seq DESC LIMIT 1", args: [projectId] });
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
  const head = await readAuditHead(tx, projectId);
  let seq = head?.seq ?? 0;
  let prev = head?.hash ?? GENESIS_HASH;
  const rows: PackedValue[][] = [];
  const payloads: InValue[][] = [];
  for (const r of records) {
    seq++;
    let hash: string;
    if (r.payloadHash !== undefined) {
      hash = r.payloadHash;
    } else {
      const body = canonicalJson(r.payload ?? null);
      hash = sha256Hex(body);
      payloads.push([projectId, seq, body]);
    }
    // Stored as UTF-8, so hashed as what the store keeps (lib/audit-chain.ts wellFormed).
    const runId = r.runId == null ? null : r.runId.toWellFormed();
    const actor = r.actor.toWellFormed();
    const subject = r.subject.toWellFormed();
    prev = entryHash(prev, { projectId, seq, time: r.time, actor, action: r.action, subject, runId, payloadHash: hash });
    rows.push([seq, r.time, actor, r.action, subject, runId, hash, prev]);
  }
  for (const part of chunks(rows, PACKED_ROWS_PER_STATEMENT)) {
    await tx.execute({ sql: INSERT_ENTRIES, args: [...ENTRY_ROWS.pack(part).args, projectId] });
  }
  for (const part of chunks(payloads, ROWS_PER_STATEMENT)) {
    await tx.execute(multiRow("INSERT INTO audit_payloads (project_id, seq, body) VALUES ", part, ""));
  }
  return { seq, hash: prev };
}

/** Runs a drizzle-built statement inside a libsql transaction (drizzle writes the SQL, the transaction runs it). */

/** Records facts that have nothing else to write: e.g. a login, an export, a verification. */
export async function recordAudit(client: Client, projectId: string, records: readonly AuditRecord[]): Promise<AuditHead | null> {
  return withWriteLock(client, async (tx) => ({ commit: true, value: await appendAudit(tx, projectId, records) }));
}

export async function lastCheckpoint(tx: Transaction | Client, projectId: string): Promise<SignedCheckpoint | null> {
  const rs = await tx.execute({
    sql: "SELECT project_id, seq, head_hash, time, prev_signature, key_id, signature FROM audit_checkpoints WHERE project_id = ? ORDER BY seq DESC LIMIT 1",
    args: [projectId],
  });
  const r = rs.rows[0];
  return r ? toCheckpoint(r) : null;
}


/** The newest checkpoints of a project, newest first. */
export async function lastCheckpoints(db: Db, projectId: string, limit: number): Promise<SignedCheckpoint[]> {
  const rs = await db.$client.execute({
    sql: "SELECT project_id, seq, head_hash, time, prev_signature, key_id, signature FROM audit_checkpoints WHERE project_id = ? ORDER BY seq DESC LIMIT ?",
    args: [projectId, limit],
  });
  return rs.rows.map(toCheckpoint);
}

/** Checkpoints not yet copied to `target`, oldest first. */
export async function unexportedCheckpoints(db: Db, target: string, limit: number): Promise<SignedCheckpoint[]> {
  const rs = await db.$client.execute({
    sql: `SELECT c.project_id, c.seq, c.head_hash, c.time, c.prev_signature, c.key_id, c.signature FROM audit_checkpoints c
          WHERE NOT EXISTS (SELECT 1 FROM audit_checkpoint_exports x WHERE x.project_id = c.project_id AND x.seq = c.seq AND x.target = ?)
          ORDER BY c.time, c.project_id, c.seq LIMIT ?`,
    args: [target, limit],
  });
  return rs.rows.map(toCheckpoint);
}

export async function markCheckpointsExported(client: Client, target: string, checkpoints: readonly SignedCheckpoint[], now: number): Promise<void> {
  if (checkpoints.length === 0) return;
  await withWriteLock(client, async (tx) => {
    for (const part of chunks(checkpoints.map((c) => [c.projectId, c.seq, target, now] as InValue[]), ROWS_PER_STATEMENT)) {
      await tx.execute(multiRow("INSERT INTO audit_checkpoint_exports (project_id, seq, target, exported_at) VALUES ", part, " ON CONFLICT DO NOTHING"));
    }
    return { commit: true, value: undefined };
  });
}

/** Projects whose chain has entries past their last checkpoint, with both positions. */
export async function projectsNeedingCheckpoint(db: Db): Promise<Array<{ projectId: string; head: number; checkpointed: number; checkpointedAt: number | null }>> {
  const rs = await db.$client.execute(`
    SELECT p.id, (SELECT max(seq) FROM audit_log a WHERE a.project_id = p.id) AS head,
           c.seq, c.time
    FROM projects p
    LEFT JOIN audit_checkpoints c ON c.project_id = p.id AND c.seq = (SELECT max(seq) FROM audit_checkpoints WHERE project_id = p.id)`);
  return rs.rows
    .map((r) => ({ projectId: String(r[0]), head: Number(r[1] ?? 0), checkpointed: Number(r[2] ?? 0), checkpointedAt: r[3] == null ? null : Number(r[3]) }))
    .filter((p) => p.head > p.checkpointed);
}

function toCheckpoint(r: Record<string, unknown> | ArrayLike<unknown>): SignedCheckpoint {
  const row = r as ArrayLike<unknown>;
  return {
    projectId: String(row[0]),
    seq: Number(row[1]),
    headHash: String(row[2]),
    time: Number(row[3]),
    prevSignature: String(row[4]),
    keyId: String(row[5]),
    signature: String(row[6]),
  };
}

/** Checkpoints in seq order, read a page at a time. */
export async function* readCheckpoints(db: Db, projectId: string, pageSize = 1_000, upTo = Number.MAX_SAFE_INTEGER): AsyncGenerator<SignedCheckpoint> {
  let after = 0;
  for (;;) {
    const rs = await db.$client.execute({
      sql: "SELECT project_id, seq, head_hash, time, prev_signature, key_id, signature FROM audit_checkpoints WHERE project_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
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
      sql: `SELECT project_id, seq, time, actor, action, subject, run_id, payload_hash, hash FROM audit_log
            WHERE project_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
      args: [projectId, after, upTo, pageSize],
    });
    for (const r of rs.rows) {
      yield {
        projectId: String(r[0]),
        seq: Number(r[1]),
        time: Number(r[2]),
        actor: String(r[3]),
        action: String(r[4]),
        subject: String(r[5]),
        runId: r[6] == null ? null : String(r[6]),
        payloadHash: String(r[7]),
        hash: String(r[8]),
      };
    }
    if (rs.rows.length < pageSize) return;
    after = Number(rs.rows[rs.rows.length - 1]![1]);
    read += rs.rows.length;
    await afterPage?.(read);
    await yieldToEventLoop();
  }
}

/** ~4–5 ms of work a page (reading ~10 µs an entry, hashing ~1.5 µs). */
const VERIFY_PAGE = 400;

export interface VerifyOptions {
  /**
   * Check entries and checkpoints up to this sequence number only (a background verification
   * fixes it when it begins, so it ends while the chain keeps growing). Pass at least the last
   * checkpoint's seq, or a truncated tail would go unseen.
   */
  upTo?: number;
  /** Told the number of entries recomputed so far, once per page. */
  onProgress?: (checked: number) => void | Promise<void>;
  /** Stops between pages (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

/**
 * Recomputes a project's chain and checks its signed checkpoints (lib/audit-chain.ts says what
 * each kind of tampering looks like). Holds one page of entries at a time.
 */
export async function verifyAudit(db: Db, projectId: string, publicKey: KeyObject, options: VerifyOptions = {}): Promise<VerifyReport> {
  const { upTo = Number.MAX_SAFE_INTEGER, onProgress, signal } = options;
  const verifier = new ChainVerifier(projectId, publicKey);
  const checkpoints = readCheckpoints(db, projectId, 1_000, upTo);
  // Small pages: reading one holds the thread (the embedded driver is synchronous), and a walk
  // over a long chain runs beside the server's other requests, which wait for it between pages.
  const entries = readEntries(db, projectId, VERIFY_PAGE, upTo, async (checked) => {
    signal?.throwIfAborted();
    await onProgress?.(checked);
  });
  try {
    let next = (await checkpoints.next()).value as SignedCheckpoint | undefined;
    for await (const e of entries) {
      verifier.entry(e);
      if (verifier.failed) break;
      while (next && next.seq <= e.seq) {
        verifier.checkpoint(next);
        next = (await checkpoints.next()).value as SignedCheckpoint | undefined;
      }
      if (verifier.failed) break;
    }
    // Checkpoints past the last entry: the tail they signed is gone.
    while (!verifier.failed && next) {
      verifier.checkpoint(next);
      next = (await checkpoints.next()).value as SignedCheckpoint | undefined;
    }
  } finally {
    await checkpoints.return(undefined);
    await entries.return(undefined);
  }
  await onProgress?.(verifier.report().entries);
  return verifier.report();
}
