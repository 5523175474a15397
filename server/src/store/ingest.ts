import type { Client, InArgs, InStatement, InValue } from "@libsql/client";
import { uuidv7, type RunEndedEvent, type RunStartedEvent, type SeamtraceEvent, type StepEvent } from "@seamtrace/sdk";
import type { Store } from "../db/client.js";
import { WriteQueue } from "./write-queue.js";

/** One request's accepted events, already validated, with who sent them and when. */
export interface IngestBatch {
  projectId: string;
  keyId: string;
  receivedAt: number;
  events: SeamtraceEvent[];
}

/** Per event of a batch: true when stored now, false when the project already had that id. */
export type IngestOutcome = boolean[];

// Measured on the target machine: one multi-row INSERT per ~100 rows ≈ 52k rows/s against
// ≈ 31k rows/s for a batch of single-row INSERTs. Chunks keep each statement under SQLite's
// bound-parameter limit (32,766) with room to spare.
const EVENT_ROWS_PER_STATEMENT = 100;
const STEP_ROWS_PER_STATEMENT = 40;
const RUN_ROWS_PER_STATEMENT = 50;

/**
 * Stores the events of several requests in ONE write transaction (the write queue merges
 * concurrent requests into one call) and projects the newly stored ones into workflows, runs
 * and steps. Idempotent per (project, event id): `INSERT … ON CONFLICT DO NOTHING RETURNING`
 * says which rows this transaction actually inserted, and only those are projected, so a resent
 * or concurrently raced event is never applied twice, whichever instance received it.
 */
export async function commitIngestBatches(client: Client, batches: readonly IngestBatch[]): Promise<IngestOutcome[]> {
  const outcomes = batches.map((b) => b.events.map(() => false));
  // The same id twice across merged requests: one INSERT stores the first, the later ones are
  // duplicates, like a resend that arrives after the first commit.
  const firstSeen = new Map<string, { batch: number; index: number }>();
  const eventRows: InValue[][] = [];
  batches.forEach((b, bi) =>
    b.events.forEach((e, i) => {
      const k = `${b.projectId} ${e.id}`;
      if (firstSeen.has(k)) return;
      firstSeen.set(k, { batch: bi, index: i });
      eventRows.push([b.projectId, e.id, e.type, "runId" in e ? e.runId : null, Date.parse(e.time), b.receivedAt, b.keyId, JSON.stringify(e)]);
    }),
  );

  const tx = await client.transaction("deferred");
  try {
    await tx.executeMultiple(TAKE_WRITE_LOCK);
    const inserted: Array<{ projectId: string; receivedAt: number; event: SeamtraceEvent }> = [];
    for (const rows of chunks(eventRows, EVENT_ROWS_PER_STATEMENT)) {
      const rs = await tx.execute(
        multiRow(
          "INSERT INTO events (project_id, id, type, run_id, time, received_at, key_id, body) VALUES ",
          rows,
          " ON CONFLICT DO NOTHING RETURNING project_id, id",
        ),
      );
      for (const row of rs.rows) {
        const at = firstSeen.get(`${String(row[0])} ${String(row[1])}`)!;
        outcomes[at.batch]![at.index] = true;
        const b = batches[at.batch]!;
        inserted.push({ projectId: b.projectId, receivedAt: b.receivedAt, event: b.events[at.index]! });
      }
    }
    if (inserted.length > 0) await tx.batch(projectionStatements(inserted));
    await tx.commit();
  } finally {
    // Rolls back unless committed: a failed group leaves nothing behind.
    tx.close();
  }
  return outcomes;
}

// Takes the write lock up front, like BEGIN IMMEDIATE, but through sqlite3_exec. The embedded
// driver (libsql 0.5) never resets a statement that failed with SQLITE_BUSY: the VM stays active,
// and the pooled connection it goes back to can no longer commit (its later autocommit writes
// stay in an open transaction, holding the lock). `client.transaction("write")` runs BEGIN
// IMMEDIATE that way; exec finalizes its statement on error, so a busy store costs this request
// a 503 and leaves the connection clean.
const TAKE_WRITE_LOCK = "UPDATE events SET id = id WHERE 0";

/** The statements that fold newly stored events into workflows, runs and steps. */
function projectionStatements(inserted: Array<{ projectId: string; receivedAt: number; event: SeamtraceEvent }>): InStatement[] {
  const workflowRows = new Map<string, InValue[]>();
  const runRows: InValue[][] = [];
  const stepRows: InValue[][] = [];
  // Per run touched by step events: the earliest step start, the row made if the run is new.
  const placeholders = new Map<string, { row: InValue[]; startedAt: number }>();
  for (const { projectId, receivedAt: now, event: e } of inserted) {
    if (e.type === "sdk.dropped") continue;
    workflowRows.set(`${projectId} ${e.workflow}`, [uuidv7(), projectId, e.workflow, now]);
    switch (e.type) {
      case "run.started":
        runRows.push(runStartedRow(projectId, e, now));
        break;
      case "step.completed":
      case "step.failed": {
        stepRows.push(stepRow(projectId, e));
        const k = `${projectId} ${e.runId}`;
        const startedAt = Date.parse(e.startedAt);
        const prev = placeholders.get(k);
        if (!prev || startedAt < prev.startedAt) placeholders.set(k, { row: placeholderRow(projectId, e, startedAt, now), startedAt });
        break;
      }
      default:
        runRows.push(runEndedRow(projectId, e, now));
    }
  }
  for (const p of placeholders.values()) runRows.push(p.row);

  const stmts: InStatement[] = [];
  if (workflowRows.size > 0) {
    stmts.push(multiRow("INSERT INTO workflows (id, project_id, name, created_at) VALUES ", [...workflowRows.values()], " ON CONFLICT (project_id, name) DO NOTHING"));
  }
  for (const rows of chunks(runRows, RUN_ROWS_PER_STATEMENT)) stmts.push(multiRow(RUN_INSERT, rows, RUN_UPSERT, RUN_VALUES));
  for (const rows of chunks(stepRows, STEP_ROWS_PER_STATEMENT)) stmts.push(multiRow(STEP_INSERT, rows, STEP_UPSERT));
  // Counted from the steps table rather than incremented, so a step reported twice (under two
  // event ids) is still one step, and the aggregates never depend on arrival order.
  const touched = [...placeholders.values()].map((p) => [p.row[0]!, p.row[1]!]);
  for (const keys of chunks(touched, 200)) {
    stmts.push(
      multiRow(
        `UPDATE runs SET
           step_count = (SELECT count(*) FROM steps s WHERE s.project_id = runs.project_id AND s.run_id = runs.id),
           min_cumulative = (SELECT min(s.cumulative) FROM steps s WHERE s.project_id = runs.project_id AND s.run_id = runs.id)
         WHERE (project_id, id) IN (VALUES `,
        keys,
        ")",
      ),
    );
  }
  return stmts;
}

// Run rows: project_id, id, (workflow_id looked up), workflow, version, key, status, status_at,
// input, output, error, stop_step_id, started_at, ended_at, duration_ms, updated_at.
const RUN_VALUES = "(?, ?, (SELECT id FROM workflows WHERE project_id = ? AND name = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const RUN_INSERT = `INSERT INTO runs (project_id, id, workflow_id, workflow, version, key, status, status_at, input, output,
  error, stop_step_id, started_at, ended_at, duration_ms, updated_at) VALUES `;

// Whether the incoming row's status replaces the stored one. Events arrive out of order across
// batches: a later status wins, except that `running` (a late run.started) never replaces a
// terminal status and a terminal status always replaces `running`. A row made only from step
// events (status_at NULL) never sets the status, and loses to any real status.
const WINS = `(excluded.status_at IS NOT NULL AND (runs.status_at IS NULL OR CASE
  WHEN runs.status IN ('completed', 'failed') AND excluded.status = 'running' THEN 0
  WHEN runs.status = 'running' AND excluded.status IN ('completed', 'failed') THEN 1
  ELSE excluded.status_at >= runs.status_at END))`;
const fromWinner = (col: string) => `${col} = CASE WHEN ${WINS} THEN excluded.${col} ELSE runs.${col} END`;
const RUN_UPSERT = ` ON CONFLICT (project_id, id) DO UPDATE SET
  ${["status", "status_at", "output", "error", "stop_step_id", "ended_at", "duration_ms"].map(fromWinner).join(",\n  ")},
  key = coalesce(excluded.key, runs.key),
  input = coalesce(excluded.input, runs.input),
  started_at = min(runs.started_at, excluded.started_at),
  updated_at = excluded.updated_at`;

function runStartedRow(projectId: string, e: RunStartedEvent, now: number): InValue[] {
  const t = Date.parse(e.time);
  return [projectId, e.runId, projectId, e.workflow, e.workflow, e.version, e.key ?? null, "running", t, json(e.input), null, null, null, t, null, null, now];
}

function runEndedRow(projectId: string, e: RunEndedEvent, now: number): InValue[] {
  const t = Date.parse(e.time);
  const status = e.type.slice("run.".length);
  const duration = Math.round(e.durationMs);
  // Until run.started arrives, the best estimate of the start is the end minus the duration.
  return [projectId, e.runId, projectId, e.workflow, e.workflow, e.version, null, status, t, null, json(e.output), json(e.error), e.stepId ?? null, t - duration, t, duration, now];
}

function placeholderRow(projectId: string, e: StepEvent, startedAt: number, now: number): InValue[] {
  return [projectId, e.runId, projectId, e.workflow, e.workflow, e.version, null, "running", null, null, null, null, null, startedAt, null, null, now];
}

const STEP_INSERT = `INSERT INTO steps (project_id, id, run_id, name, status, parents, input, output, confidence, cumulative,
  source, observed_at, max_age_ms, stale, flagged, reasoning, alternatives, features, attempts, attempt_errors, error, gate,
  duration_ms, started_at, ended_at) VALUES `;
const STEP_COLUMNS = STEP_INSERT.slice(STEP_INSERT.indexOf("(") + 1, STEP_INSERT.indexOf(")")).split(",").map((c) => c.trim());
// The latest report of a step wins, whatever order reports arrive in; a step id can never be
// moved into another run by a second event naming a different run.
const STEP_UPSERT = ` ON CONFLICT (project_id, id) DO UPDATE SET
  ${STEP_COLUMNS.slice(3).map((c) => `${c} = excluded.${c}`).join(", ")}
  WHERE steps.run_id = excluded.run_id AND excluded.ended_at >= steps.ended_at`;

function stepRow(projectId: string, e: StepEvent): InValue[] {
  return [
    projectId,
    e.stepId,
    e.runId,
    e.step,
    e.type === "step.completed" ? "completed" : "failed",
    JSON.stringify(e.parents),
    json(e.input),
    json(e.output),
    e.confidence ?? null,
    e.cumulative ?? null,
    e.source,
    e.observedAt === undefined ? null : Date.parse(e.observedAt),
    e.maxAgeMs === undefined ? null : Math.round(e.maxAgeMs),
    e.stale ? 1 : 0,
    e.flagged ? 1 : 0,
    e.reasoning ?? null,
    json(e.alternatives),
    json(e.features),
    e.attempt,
    json(e.attemptErrors),
    json(e.error),
    json(e.gate),
    Math.round(e.durationMs),
    Date.parse(e.startedAt),
    Date.parse(e.time),
  ];
}

/** JSON text for a JSON column; absent stays NULL (a JSON `null` value is stored as "null"). */
function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function multiRow(head: string, rows: InValue[][], tail: string, tuple?: string): { sql: string; args: InArgs } {
  const one = tuple ?? `(${rows[0]!.map(() => "?").join(", ")})`;
  return { sql: head + Array(rows.length).fill(one).join(", ") + tail, args: rows.flat() };
}

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/**
 * Errors that mean "cannot write right now" rather than "this data is wrong": lock held past the
 * busy timeout, disk full, I/O failure, or the connection to a remote store lost. The client
 * should retry later (503 with Retry-After); nothing of the transaction was kept.
 */
export function isTransientStoreError(err: unknown): boolean {
  const e = err as { code?: unknown; extendedCode?: unknown } | null;
  const codes = [e?.code, e?.extendedCode].filter((c): c is string => typeof c === "string");
  return codes.some((c) => TRANSIENT_PREFIXES.some((p) => c.startsWith(p)));
}

const TRANSIENT_PREFIXES = [
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
  "SQLITE_FULL",
  "SQLITE_IOERR",
  "SQLITE_CANTOPEN",
  "SQLITE_NOMEM",
  "SQLITE_PROTOCOL",
  "SQLITE_READONLY",
  "HRANA_WEBSOCKET_ERROR",
  "HRANA_CLOSED_ERROR",
  "SERVER_ERROR",
  "CLIENT_CLOSED",
  "TRANSACTION_ACTIVE",
];

export type IngestWriter = WriteQueue<IngestBatch, IngestOutcome>;

const writers = new WeakMap<Store, IngestWriter>();

/**
 * The one ingest write queue of a store, shared by every app built on it so that all their
 * requests merge into the same commits. ~2,000 events per transaction keeps each commit short
 * (the write lock is held for its duration) while amortising the fsync.
 */
export function ingestWriter(store: Store): IngestWriter {
  let writer = writers.get(store);
  if (!writer) {
    writer = new WriteQueue<IngestBatch, IngestOutcome>({
      commit: (batches) => commitIngestBatches(store.client, batches),
      weight: (b) => b.events.length,
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
