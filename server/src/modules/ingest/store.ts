import type { Client, Transaction } from "@libsql/client";
import type { SeamtraceEvent } from "@seamtrace/sdk";
import type { Store } from "../../platform/db/client.js";
import { isTransientStoreError } from "../../platform/db/store-errors.js";
import { sha256Hex } from "../audit/chain.js";
import { appendAudit, type AuditRecord } from "../audit/store.js";
import { PackedRows } from "../../platform/db/packed-rows.js";
import { ensureProjectKey, PROJECT_KEY, projectIdSql } from "../../platform/db/project-key.js";
import { beginWrite } from "../../platform/db/write-transaction.js";
import { WriteQueue } from "../../platform/db/write-queue.js";
import { chunks } from "../../platform/db/sql.js";
import { sameContent } from "./same-content.js";
import { noteWriteCommitted } from "../../platform/db/store-health.js";
import { fromStoredText, toStoredText } from "../../platform/db/stored-text.js";
import { idFromStored, storedId } from "../../platform/db/stored-id.js";

/** One request's accepted events, already validated, with who sent them and when. */
export interface IngestBatch {
  projectId: string;
  keyId: string;
  receivedAt: number;
  events: SeamtraceEvent[];
  /**
   * The JSON text (UTF-8) to store for `events[i]`, when the client's own text says exactly what
   * the validated event does; otherwise (or without `bodies`) the event is serialised here.
   */
  bodies?: ReadonlyArray<Uint8Array | undefined>;
  /**
   * Work to do inside the write transaction before the events go in (OTLP: store the spans, settle
   * what now can be settled): the events it returns are appended and audited with the batch's.
   */
  prepare?: (tx: Transaction) => Promise<PreparedEvent[]>;
  /** What `prepare` weighs in the write queue, in events (default: the number of events). */
  weight?: number;
  /** Folds what the transaction appended into the projections before it commits (`FoldAppended`). */
  fold?: FoldAppended;
}

/** An event a write transaction appended, as validated: the projection's input, handed over rather than read back. */
export interface AppendedEvent {
  projectId: string;
  receivedAt: number;
  event: SeamtraceEvent;
}

/** An event's key in the maps of one commit (and how `FoldAppended` finds an appended event): its project and id. */
export function appendedKey(projectId: string, eventId: string): string {
  return `${projectId} ${eventId}`;
}

/**
 * Folds the events a write transaction appended (every row of the log past `appendedAfter`,
 * keyed by `appendedKey`) into what is projected from the log, inside that transaction, so they
 * are visible the moment they are acknowledged (runs/projector.ts `foldAppended`).
 */
export type FoldAppended = (tx: Transaction, appendedAfter: number, appended: ReadonlyMap<string, AppendedEvent>) => Promise<void>;

/** An event made inside the write transaction, stored under the key that sent what it came from. */
export interface PreparedEvent {
  event: SeamtraceEvent;
  keyId: string;
  /** The audit actor, when not the key's (`sdk:<key id>`): a job's decision. */
  actor?: string;
}

/**
 * What became of one event: `accepted` (stored now), `duplicate` (the project already had this id
 * with the same content), `conflict` (it had this id with other content: nothing changed).
 */
export type ItemOutcome = "accepted" | "duplicate" | "conflict";
/**
 * Per event of a batch, in its order; then one more per event its `prepare` made (those are the
 * server's own: `accepted`, or `duplicate` when the id was stored already).
 */
export type IngestOutcome = ItemOutcome[];

// Event rows go in packed (store/packed-rows.ts): ~4.4 µs a row, inserted and committed, against
// ~7.5 µs as 100-row INSERTs binding eight parameters a row (bench/packed-insert.ts). Ids and run
// ids are UUIDs and types enum values (validated at the edge), so they take fixed-width columns;
// ids are stored as their 16 bytes (stored-id.ts).
const EVENT_ROWS = new PackedRows([
  { kind: "ascii", width: 36, id: true }, // id
  { kind: "ascii", width: 16 }, // type
  { kind: "ascii", width: 36, nullable: true, id: true }, // run_id
  { kind: "integer" }, // time
  { kind: "text", compressed: true }, // body: its JSON text, deflated when large (stored-text.ts)
]);
const INSERT_EVENTS = EVENT_ROWS.sql("INSERT INTO events (project_key, received_at, id, type, run_id, time, body)", {
  leading: ["?4", "?5"],
  tail: "ON CONFLICT DO NOTHING",
});

/** An event to store: where it came from, and its body's JSON text (hashed for its audit entry). */
interface EventRow {
  batch: number;
  index: number;
  event: SeamtraceEvent;
  body: string | Uint8Array;
}

/**
 * Appends the events of several requests to the event log in ONE write transaction (the write
 * queue merges concurrent requests into one call), each with its audit entry. Idempotent per
 * (project, event id): the INSERT skips ids the log already has (the unique index decides, under
 * the write lock, so a resent or concurrently raced event is stored once, whichever instance got
 * it), and its count of inserted rows tells whether any was skipped. Ids arrive in lower case
 * (contract.ts canonicalIds), so one UUID is one event whatever case it was sent in.
 *
 * A skipped event is a `duplicate` when it says what the stored one says and a `conflict` when
 * it does not (same-content.ts); either way the stored event stands. Only skipped events are
 * compared, so the work is paid by retries, not by every event.
 *
 * With a `fold` (the ingest routes pass the projector's), the events are also folded into runs
 * and steps before the commit, so an acknowledged event is a projected one: handed over as
 * validated, the projection reads back neither their bodies nor their JSON, and takes no
 * transaction of its own. Measured over HTTP in one run (bench/ingest.ts), acknowledged ingest
 * halves, and events projected per second rise by an eighth against appending alone and
 * projecting behind.
 */
export async function commitIngestBatches(client: Client, batches: readonly IngestBatch[], waitingSince?: number): Promise<IngestOutcome[]> {
  const outcomes: IngestOutcome[] = batches.map((b) => b.events.map((): ItemOutcome => "duplicate"));
  // The same id twice across merged requests (or within one): the first is the one stored, the
  // later ones are compared with whatever ends up stored, like a resend after the first commit.
  const firstSeen = new Map<string, EventRow>();
  const repeats: Array<{ row: EventRow; first: EventRow }> = [];
  const perBatch: EventRow[][] = batches.map((b, bi) => {
    const rows: EventRow[] = [];
    b.events.forEach((event, index) => {
      const k = appendedKey(b.projectId, event.id);
      const first = firstSeen.get(k);
      const row: EventRow = { batch: bi, index, event, body: "" };
      if (first) {
        repeats.push({ row, first });
        return;
      }
      row.body = b.bodies?.[index] ?? JSON.stringify(event);
      firstSeen.set(k, row);
      rows.push(row);
    });
    return rows;
  });

  const { tx, release } = await beginWrite(client, { waitingSince });
  try {
    const prepared: PreparedEvent[][] = [];
    for (const b of batches) prepared.push(b.prepare ? await b.prepare(tx) : []);
    let skipped = false;
    // New rows get seqs above this (AUTOINCREMENT), which tells them apart when some were skipped.
    const before = Number((await tx.execute("SELECT coalesce(max(seq), 0) FROM events")).rows[0]![0]);
    for (const [bi, rows] of perBatch.entries()) {
      if (rows.length === 0) continue;
      const b = batches[bi]!;
      const packed = EVENT_ROWS.pack(
        rows.map((r) => [r.event.id, r.event.type, "runId" in r.event ? r.event.runId : null, Date.parse(r.event.time), toStoredText(r.body)]),
      );
      const rs = await tx.execute({ sql: INSERT_EVENTS, args: [...packed.args, await ensureProjectKey(tx, b.projectId), b.receivedAt] });
      if (rs.rowsAffected !== rows.length) skipped = true;
    }
    const all = perBatch.flat();
    let stored = all;
    // What the log held before this transaction, for each id it skipped: compared below.
    let held = new Map<string, unknown>();
    if (skipped) {
      const rs = await tx.execute({ sql: `SELECT ${projectIdSql("events.project_key")}, id FROM events WHERE seq > ?`, args: [before] });
      const fresh = new Set(rs.rows.map((r) => appendedKey(String(r[0]), idFromStored(r[1]))));
      stored = all.filter((r) => fresh.has(appendedKey(batches[r.batch]!.projectId, r.event.id)));
      held = await storedBodies(
        tx,
        batches,
        all.filter((r) => !fresh.has(appendedKey(batches[r.batch]!.projectId, r.event.id))),
      );
    }
    for (const [projectId, records] of auditRecords(batches, stored)) await appendAudit(tx, projectId, records);
    for (const [bi, rows] of prepared.entries()) {
      if (rows.length === 0) continue;
      const b = batches[bi]!;
      const inserted = await appendPrepared(tx, b.projectId, b.receivedAt, rows);
      outcomes[bi]!.push(...inserted.map((s): ItemOutcome => (s ? "accepted" : "duplicate")));
    }
    // Every batch of one store's queue carries that store's projector's fold.
    const fold = batches.find((b) => b.fold)?.fold;
    if (fold) {
      // In the order they were inserted, the first copy of an id kept: the one the log holds.
      const appended = new Map<string, AppendedEvent>();
      const add = (b: IngestBatch, event: SeamtraceEvent) => {
        const k = appendedKey(b.projectId, event.id);
        if (!appended.has(k)) appended.set(k, { projectId: b.projectId, receivedAt: b.receivedAt, event });
      };
      for (const r of stored) add(batches[r.batch]!, r.event);
      for (const [bi, rows] of prepared.entries()) for (const { event } of rows) add(batches[bi]!, event);
      await fold(tx, before, appended);
    }
    await tx.commit();
    noteWriteCommitted(client);

    const storedSet = new Set(stored);
    for (const r of all) {
      outcomes[r.batch]![r.index] = storedSet.has(r) ? "accepted" : compared(r.event, held.get(appendedKey(batches[r.batch]!.projectId, r.event.id)));
    }
    for (const { row, first } of repeats) {
      const k = appendedKey(batches[row.batch]!.projectId, row.event.id);
      // Against what stands in the log: the first copy if it was stored now, else the older event.
      outcomes[row.batch]![row.index] = compared(row.event, storedSet.has(first) ? first.event : held.get(k));
    }
  } finally {
    // Rolls back unless committed: a failed group leaves nothing behind.
    tx.close();
    release();
  }
  return outcomes;
}

function compared(event: SeamtraceEvent, standing: unknown): ItemOutcome {
  return sameContent(event, standing) ? "duplicate" : "conflict";
}

/** The stored events (parsed) behind `rows`, by `appendedKey`. Only ever read for skipped ids. */
async function storedBodies(tx: Transaction, batches: readonly IngestBatch[], rows: readonly EventRow[]): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  const byProject = new Map<string, string[]>();
  for (const r of rows) {
    const projectId = batches[r.batch]!.projectId;
    let ids = byProject.get(projectId);
    if (!ids) byProject.set(projectId, (ids = []));
    ids.push(r.event.id);
  }
  for (const [projectId, ids] of byProject) {
    for (const part of chunks(ids, 500)) {
      const rs = await tx.execute({
        sql: `SELECT id, body FROM events WHERE project_key = ${PROJECT_KEY} AND id IN (${part.map(() => "?").join(", ")})`,
        args: [projectId, ...part.map(storedId)],
      });
      for (const r of rs.rows) out.set(appendedKey(projectId, idFromStored(r[0])), JSON.parse(fromStoredText(r[1])));
    }
  }
  return out;
}

/**
 * Appends events made inside a write transaction (OTLP steps settled now, runs closed by a job),
 * each with its audit entry, under the key that sent what it came from. Idempotent like ingest:
 * an id already stored is skipped. Answers, per row, whether it was stored.
 */
export async function appendPrepared(tx: Transaction, projectId: string, receivedAt: number, rows: readonly PreparedEvent[]): Promise<boolean[]> {
  if (rows.length === 0) return [];
  const before = Number((await tx.execute("SELECT coalesce(max(seq), 0) FROM events")).rows[0]![0]);
  const bodies = rows.map((row) => JSON.stringify(row.event));
  const packed = EVENT_ROWS.pack(rows.map(({ event: e }, i) => [e.id, e.type, "runId" in e ? e.runId : null, Date.parse(e.time), toStoredText(bodies[i]!)]));
  const key = await ensureProjectKey(tx, projectId);
  const rs = await tx.execute({ sql: INSERT_EVENTS, args: [...packed.args, key, receivedAt] });
  let fresh: Set<string> | undefined;
  if (rs.rowsAffected !== rows.length) {
    const rs = await tx.execute({ sql: "SELECT id FROM events WHERE seq > ? AND project_key = ?", args: [before, key] });
    fresh = new Set(rs.rows.map((r) => idFromStored(r[0])));
  }
  const records: AuditRecord[] = [];
  const stored = rows.map((row) => !fresh || fresh.has(row.event.id));
  rows.forEach((row, i) => {
    if (stored[i]) records.push(...eventAudit(row.event, receivedAt, row.actor ?? `sdk:${row.keyId}`, sha256Hex(bodies[i]!)));
  });
  await appendAudit(tx, projectId, records);
  return stored;
}

/** An event's audit entries: the event itself, and a step's failed gate under its own action. */
function eventAudit(e: SeamtraceEvent, time: number, actor: string, payloadHash: string): AuditRecord[] {
  const runId = "runId" in e ? e.runId : null;
  const records: AuditRecord[] = [{ time, actor, action: e.type, subject: `event:${e.id}`, runId, payloadHash }];
  if ((e.type === "step.completed" || e.type === "step.failed") && e.gate && e.gate.outcome !== "pass") {
    records.push({ time, actor, action: `gate.${e.gate.outcome}`, subject: `step:${e.stepId}`, runId, payloadHash });
  }
  return records;
}

/**
 * The audit entries of stored events, per project (every input, output, confidence and
 * gate decision is an entry, committed with the fact). One entry per event, whose payload hash is
 * the SHA-256 of the stored body; a step that failed its gate gets a second, `gate.<outcome>`,
 * so gate decisions can be searched for by action.
 */
function auditRecords(batches: readonly IngestBatch[], stored: readonly EventRow[]): Map<string, AuditRecord[]> {
  const byProject = new Map<string, AuditRecord[]>();
  const actors = batches.map((b) => `sdk:${b.keyId}`);
  for (const { batch, event: e, body } of stored) {
    const b = batches[batch]!;
    let list = byProject.get(b.projectId);
    if (!list) byProject.set(b.projectId, (list = []));
    list.push(...eventAudit(e, b.receivedAt, actors[batch]!, sha256Hex(body)));
  }
  return byProject;
}

export type IngestWriter = WriteQueue<IngestBatch, IngestOutcome>;

const writers = new WeakMap<Store, IngestWriter>();

/**
 * The one ingest write queue of a store, shared by every app built on it so that all their
 * requests merge into the same commits. ~2,000 events per transaction keeps each commit short
 * (the write lock is held for its duration) while amortising the fsync; with the projector's
 * fold, a commit also folds up to a chunk (2,000) of older events still waiting before its own.
 */
export function ingestWriter(store: Store): IngestWriter {
  let writer = writers.get(store);
  if (!writer) {
    writer = new WriteQueue<IngestBatch, IngestOutcome>({
      commit: (batches, waitingSince) => commitIngestBatches(store.client, batches, waitingSince),
      weight: (b) => b.weight ?? b.events.length,
      maxWeightPerCommit: 2_000,
      maxPendingWeight: 50_000,
      isTransient: isTransientStoreError,
    });
    writers.set(store, writer);
  }
  return writer;
}

/** On shutdown, before closing the store: refuses new batches and waits for queued ones. */
export async function closeIngestWriter(store: Store): Promise<void> {
  await writers.get(store)?.close();
}
