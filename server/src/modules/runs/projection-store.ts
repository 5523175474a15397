import type { Client, InStatement, InValue, Transaction } from "@libsql/client";
import { uuidv7, type RunEndedEvent, type RunStartedEvent, type SeamtraceEvent, type StepEvent } from "@seamtrace/sdk";
import { reviewStatements } from "../review/projection.js";
import { hourStatements, RUNS_OF_PAIRS, runPlaces } from "./run-hours.js";
import { chunks, multiRow } from "../../platform/db/sql.js";
import { beginWrite } from "../../platform/db/write-transaction.js";
import { fromStoredText } from "../../platform/db/stored-text.js";
import { idFromToken, idTokenSql, storedId, storedIdSql } from "../../platform/db/stored-id.js";
import { projectIdSql, projectKeysOf } from "../../platform/db/project-key.js";
import { appendedKey, type AppendedEvent } from "../ingest/store.js";

const STEP_ROWS_PER_STATEMENT = 40;
const RUN_ROWS_PER_STATEMENT = 50;
const PROJECTION = "runs";

export interface ProjectionResult {
  /** Events folded by this call. */
  projected: number;
  /** `events.seq` up to which everything is now projected. */
  position: number;
}

/** An event of the log as the projection folds it. */
export interface LoggedEvent extends AppendedEvent {
  seq: number;
}

/**
 * Folds up to `maxEvents` events past the cursor into workflows, runs and steps, and moves the
 * cursor, in ONE write transaction: the cursor and the rows it covers commit together, so a
 * crash never projects an event twice or skips one, and several server instances on one store
 * serialise on the write lock instead of racing.
 */
export async function projectPending(client: Client, maxEvents: number, now = Date.now(), waitingSince?: number): Promise<ProjectionResult> {
  const { tx, release } = await beginWrite(client, { waitingSince });
  try {
    const from = await projectionPosition(tx);
    const batch = await loggedEvents(tx, from, Number.MAX_SAFE_INTEGER, maxEvents);
    if (batch.length === 0) return { projected: 0, position: from };
    await foldEvents(tx, batch, now);
    await tx.commit();
    return { projected: batch.length, position: batch[batch.length - 1]!.seq };
  } finally {
    tx.close();
    release();
  }
}

/** Up to `limit` events of the log with `after` < seq ≤ `upTo`, in order, parsed from their stored bodies. */
async function loggedEvents(tx: Transaction, after: number, upTo: number, limit: number): Promise<LoggedEvent[]> {
  const rs = await tx.execute({
    sql: `SELECT seq, ${projectIdSql("events.project_key")}, received_at, body FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
    args: [after, upTo, limit],
  });
  return rs.rows.map((r) => ({
    seq: Number(r[0]),
    projectId: String(r[1]),
    receivedAt: Number(r[2]),
    event: JSON.parse(fromStoredText(r[3])) as SeamtraceEvent,
  }));
}

/**
 * Inside the write transaction that appended them: folds the events it appended (every row of
 * the log past `appendedAfter`, handed over as validated, keyed by `appendedKey`, so their
 * bodies are not read back) into the projection, after up to `catchUp` older events still
 * waiting (read from the log: the projection folds the log in order). Answers whether any event
 * is left waiting (more older ones than `catchUp`, or a row the transaction did not hand over).
 */
export async function foldAppended(
  tx: Transaction,
  appendedAfter: number,
  appended: ReadonlyMap<string, AppendedEvent>,
  now: number,
  catchUp: number,
): Promise<{ left: boolean }> {
  const position = await projectionPosition(tx);
  const older = position < appendedAfter ? await loggedEvents(tx, position, appendedAfter, catchUp + 1) : [];
  if (older.length > catchUp) {
    older.length = catchUp;
    await foldEvents(tx, older, now);
    return { left: true };
  }
  // Which event each new row is, as one string (a row object per event costs more than the rest
  // of this function): "<seq> <project key> <id>" per row, in seq order, the id as a token of
  // stored-id.ts (a UUID's hex, or "~" and the text; event ids are UUIDs).
  const rs = await tx.execute({
    sql: `SELECT count(*), group_concat(seq || ' ' || project_key || ' ' || ${idTokenSql("id")}, ' ' ORDER BY seq) FROM events WHERE seq > ?`,
    args: [appendedAfter],
  });
  // Looked up once for the fold below too: the older events' projects and the new ones'.
  const keys = await projectKeysOf(
    tx,
    [...older, ...appended.values()].map((e) => e.projectId),
  );
  const projectOfKey = new Map<string, string>();
  for (const [projectId, key] of keys) projectOfKey.set(String(key), projectId);
  const rows = Number(rs.rows[0]![0]);
  const parts = rows === 0 ? [] : String(rs.rows[0]![1]).split(" ");
  const batch = older;
  // A row whose ids would not split back into three fields is not taken for another event's.
  let left = parts.length !== 3 * rows;
  for (let i = 0; !left && i < parts.length; i += 3) {
    const projectId = projectOfKey.get(parts[i + 1]!);
    const e = projectId === undefined ? undefined : appended.get(appendedKey(projectId, idFromToken(parts[i + 2]!)));
    const seq = Number(parts[i]);
    // Not handed over (a caller that appended without saying so): left to a pass, in order.
    if (!e || !Number.isSafeInteger(seq)) left = true;
    else batch.push({ seq, ...e });
  }
  if (batch.length > 0) await foldEvents(tx, batch, now, keys);
  return { left };
}

/** `events.seq` up to which the log is projected, as the transaction sees it. */
export async function projectionPosition(tx: Transaction): Promise<number> {
  const rs = await tx.execute({ sql: "SELECT position FROM projections WHERE name = ?", args: [PROJECTION] });
  return Number(rs.rows[0]?.[0] ?? 0);
}

/**
 * Folds `batch` — every event of the log past the projection's position, in `seq` order — into
 * workflows, runs, steps, escalations and hourly run counts, and moves the position to its last
 * event, inside the caller's write transaction. `given`: the batch's projects' keys, when the
 * caller has looked them up.
 */
export async function foldEvents(tx: Transaction, batch: readonly LoggedEvent[], now: number, given?: ReadonlyMap<string, number>): Promise<void> {
  const keys =
    given ??
    (await projectKeysOf(
      tx,
      batch.map((e) => e.projectId),
    ));
  const { stmts, runs } = projectionStatements(batch, keys);
  // The hourly run counts follow the runs as stored before and after this batch, not the
  // events: a run keeps the workflow (and version) it was first stored with, whatever workflow
  // its later events name.
  const before = await runPlaces(tx, runs, keys);
  // Escalations, their webhooks and step contracts commit with the steps they come from.
  stmts.push(...(await reviewStatements(tx, batch, now)));
  await tx.batch(stmts);
  const after = await runPlaces(tx, runs, keys);
  await tx.batch([
    ...hourStatements(before, after),
    {
      sql: "INSERT INTO projections (name, position, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
      args: [PROJECTION, batch[batch.length - 1]!.seq, now],
    },
  ]);
}

/**
 * The newest `events.seq`, the projection's position (their difference is the lag), and when the
 * oldest event not yet projected was received (null when none waits): how stale what the
 * dashboard shows may be. Three lookups by primary key, whatever the store holds.
 */
export async function projectionLag(client: Client): Promise<{ head: number; position: number; oldestPendingAt: number | null }> {
  const rs = await client.execute({
    sql: `WITH p AS (SELECT coalesce(max(position), 0) AS position FROM projections WHERE name = ?)
          SELECT (SELECT coalesce(max(seq), 0) FROM events), p.position,
                 (SELECT received_at FROM events WHERE seq > p.position ORDER BY seq LIMIT 1)
          FROM p`,
    args: [PROJECTION],
  });
  const row = rs.rows[0]!;
  return { head: Number(row[0]), position: Number(row[1]), oldestPendingAt: row[2] === null ? null : Number(row[2]) };
}

/** When the first event past `position` was acknowledged (ms), or null when there is none: how stale a read of the projection is. */
export async function unprojectedSince(client: Client, position: number): Promise<number | null> {
  const rs = await client.execute({ sql: "SELECT received_at FROM events WHERE seq > ? ORDER BY seq LIMIT 1", args: [position] });
  return rs.rows[0] ? Number(rs.rows[0][0]) : null;
}

/** The statements that fold newly stored events into workflows, runs and steps. */
function projectionStatements(
  inserted: readonly LoggedEvent[],
  keys: ReadonlyMap<string, number>,
): {
  stmts: InStatement[];
  /** Every run written (once each). */
  runs: Array<{ projectId: string; runId: string }>;
} {
  const workflowRows = new Map<string, InValue[]>();
  const runRows: InValue[][] = [];
  const stepRows: InValue[][] = [];
  // Per run touched by step events: the earliest step start, the row made if the run is new.
  const placeholders = new Map<string, { row: InValue[]; startedAt: number }>();
  for (const { seq, projectId, receivedAt: now, event: e } of inserted) {
    if (e.type === "sdk.dropped") continue;
    workflowRows.set(`${projectId} ${e.workflow}`, [uuidv7(), projectId, e.workflow, now]);
    switch (e.type) {
      case "run.started":
        runRows.push(runStartedRow(seq, keyOf(keys, projectId), projectId, e, now));
        break;
      case "step.completed":
      case "step.failed": {
        stepRows.push(stepRow(seq, keyOf(keys, projectId), e));
        const k = `${projectId} ${e.runId}`;
        const startedAt = Date.parse(e.startedAt);
        const prev = placeholders.get(k);
        if (!prev || startedAt < prev.startedAt) placeholders.set(k, { row: placeholderRow(keyOf(keys, projectId), projectId, e, startedAt, now), startedAt });
        break;
      }
      default:
        runRows.push(runEndedRow(seq, keyOf(keys, projectId), projectId, e, now));
    }
  }
  // A placeholder makes the run's row when steps come first, and can only move its start earlier:
  // a run with a row of its own in the batch that starts no later needs none (its upsert is one
  // of the dearest statements here: the run's row and its indexes rewritten).
  const starts = new Map<string, number>();
  const last = new Map<string, InValue[]>();
  // A run row holds its project's key first and its id third (for the workflow's lookup).
  for (const r of runRows) {
    const k = `${String(r[2])} ${String(r[1])}`;
    starts.set(k, Math.min(starts.get(k) ?? Infinity, Number(r[RUN_STARTED_AT])));
    last.set(k, r);
  }
  for (const [k, p] of placeholders) {
    if (!(p.startedAt >= (starts.get(k) ?? Infinity))) runRows.push(p.row);
    // Skipped, it still sets what upserting it last would have: the run's updated_at.
    else last.get(k)![RUN_UPDATED_AT] = p.row[RUN_UPDATED_AT]!;
  }

  const stmts: InStatement[] = [];
  if (workflowRows.size > 0) {
    stmts.push(
      multiRow("INSERT INTO workflows (id, project_id, name, created_at) VALUES ", [...workflowRows.values()], " ON CONFLICT (project_id, name) DO NOTHING"),
    );
  }
  for (const rows of chunks(runRows, RUN_ROWS_PER_STATEMENT)) stmts.push(multiRow(RUN_INSERT, rows, RUN_UPSERT, RUN_VALUES));
  for (const rows of chunks(stepRows, STEP_ROWS_PER_STATEMENT)) stmts.push(multiRow(STEP_INSERT, rows, STEP_UPSERT));
  // Counted from the steps table rather than incremented, so a step reported twice (under two
  // event ids) is still one step, and the aggregates never depend on arrival order.
  const touched = [...placeholders.values()].map((p) => [p.row[0]!, p.row[1]!]);
  for (const keys of chunks(touched, 200)) stmts.push(runCountsStatement(keys));
  const runs = new Map<string, { projectId: string; runId: string }>();
  for (const r of runRows) runs.set(`${String(r[2])} ${String(r[1])}`, { projectId: String(r[2]), runId: String(r[1]) });
  return { stmts, runs: [...runs.values()] };
}

// Run rows: project_key, id, (workflow_id looked up by project id and name), workflow, version, key, status, status_at,
// status_epoch, status_seq, input_seq, output_seq, error, stop_step_id, started_at, ended_at, duration_ms, updated_at,
// and the golden tag's result, set, case and outcome. The input and output stay in the bodies of
// their events, which input_seq and output_seq name (run-payload.ts).
const RUN_VALUES = "(?, ?, (SELECT id FROM workflows WHERE project_id = ? AND name = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const RUN_INSERT = `INSERT INTO runs (project_key, id, workflow_id, workflow, version, key, status, status_at, status_epoch, status_seq,
  input_seq, output_seq, error, stop_step_id, started_at, ended_at, duration_ms, updated_at, golden_result, golden_set, golden_case, golden_outcome) VALUES `;
/** Where a column's value is in a run row: workflow_id takes two values (its lookup's), so columns after it one more. */
const runValue = (column: string) => {
  const i = RUN_INSERT.slice(RUN_INSERT.indexOf("(") + 1, RUN_INSERT.indexOf(")"))
    .split(",")
    .map((c) => c.trim())
    .indexOf(column);
  if (i < 0) throw new Error(`runs has no column ${column} in RUN_INSERT`);
  return i > 2 ? i + 1 : i;
};
const RUN_STARTED_AT = runValue("started_at");
const RUN_UPDATED_AT = runValue("updated_at");

// Whether the incoming row's status replaces the stored one. Events arrive out of order across
// batches, from workers whose clocks disagree, so order comes from the events themselves: a
// later resume epoch wins, and within an epoch (one worker's execution) the later event. Events
// of older SDKs carry no position: among those, `running` (a late run.started) never replaces a
// terminal status, a terminal status always replaces `running` or `paused`, and otherwise the
// later time wins. A row made only from step events (status_at NULL) never sets the status, and
// loses to any real status.
const WINS = `(excluded.status_at IS NOT NULL AND (runs.status_at IS NULL OR CASE
  WHEN excluded.status_epoch <> runs.status_epoch THEN excluded.status_epoch > runs.status_epoch
  WHEN excluded.status_seq IS NOT NULL AND runs.status_seq IS NOT NULL THEN excluded.status_seq >= runs.status_seq
  WHEN runs.status IN ('completed', 'failed') AND excluded.status = 'running' THEN 0
  WHEN runs.status IN ('running', 'paused') AND excluded.status IN ('completed', 'failed') THEN 1
  ELSE excluded.status_at >= runs.status_at END))`;
const fromWinner = (col: string) => `${col} = CASE WHEN ${WINS} THEN excluded.${col} ELSE runs.${col} END`;
const RUN_UPSERT = ` ON CONFLICT (project_key, id) DO UPDATE SET
  ${["status", "status_at", "status_epoch", "status_seq", "output_seq", "output", "error", "stop_step_id", "ended_at", "duration_ms"].map(fromWinner).join(",\n  ")},
  key = coalesce(excluded.key, runs.key),
  input_seq = coalesce(excluded.input_seq, runs.input_seq),
  started_at = min(runs.started_at, excluded.started_at),
  updated_at = excluded.updated_at`;
// No golden columns in the update: a run is a golden run, or not, from its first stored event
// (every event of a golden run carries the tag), so run_hours, which skips golden runs, never
// has to take back a run it counted.

function runStartedRow(seq: number, projectKey: number, projectId: string, e: RunStartedEvent, now: number): InValue[] {
  const t = Date.parse(e.time);
  return [
    projectKey,
    e.runId,
    projectId,
    e.workflow,
    e.workflow,
    e.version,
    e.key ?? null,
    "running",
    t,
    e.epoch ?? 0,
    e.epochSeq ?? null,
    e.input === undefined ? null : seq,
    null,
    null,
    null,
    t,
    null,
    null,
    now,
    ...goldenValues(e),
  ];
}

function runEndedRow(seq: number, projectKey: number, projectId: string, e: RunEndedEvent, now: number): InValue[] {
  const t = Date.parse(e.time);
  const status = e.type.slice("run.".length);
  const duration = Math.round(e.durationMs);
  // Until run.started arrives, the best estimate of the start is the end minus the duration.
  return [
    projectKey,
    e.runId,
    projectId,
    e.workflow,
    e.workflow,
    e.version,
    null,
    status,
    t,
    e.epoch ?? 0,
    e.epochSeq ?? null,
    null,
    seq,
    json(e.error),
    e.stepId ?? null,
    t - duration,
    t,
    duration,
    now,
    ...goldenValues(e),
  ];
}

function placeholderRow(projectKey: number, projectId: string, e: StepEvent, startedAt: number, now: number): InValue[] {
  return [
    projectKey,
    e.runId,
    projectId,
    e.workflow,
    e.workflow,
    e.version,
    null,
    "running",
    null,
    0,
    null,
    null,
    null,
    null,
    null,
    startedAt,
    null,
    null,
    now,
    ...goldenValues(e),
  ];
}

function goldenValues(e: RunStartedEvent | RunEndedEvent | StepEvent): InValue[] {
  const g = e.golden;
  return g ? [g.result, g.set, g.case, g.outcome] : [null, null, null, null];
}

// No payloads: the row points at its event (event_seq), whose body holds them (step-payload.ts).
const STEP_INSERT = `INSERT INTO steps (project_key, id, run_id, name, status, confidence, cumulative,
  source, observed_at, max_age_ms, stale, flagged, attempts,
  escalation_id, duration_ms, started_at, ended_at, call, epoch, event_seq) VALUES `;
const STEP_COLUMNS = STEP_INSERT.slice(STEP_INSERT.indexOf("(") + 1, STEP_INSERT.indexOf(")"))
  .split(",")
  .map((c) => c.trim());
// The latest report of a step wins, whatever order reports arrive in; a step id can never be
// moved into another run by a second event naming a different run. A step that went to review
// keeps its escalation, even if a later report of it does not repeat the id. A human-verified
// report (a resume) supersedes the model's whatever the clocks say.
const STEP_UPSERT = ` ON CONFLICT (project_key, id) DO UPDATE SET
  ${STEP_COLUMNS.slice(3)
    .map((c) => (c === "escalation_id" ? `${c} = coalesce(excluded.${c}, steps.${c})` : `${c} = excluded.${c}`))
    .join(", ")}
  WHERE steps.run_id = excluded.run_id AND (excluded.ended_at >= steps.ended_at OR (excluded.source = 'human' AND steps.source <> 'human'))`;

/**
 * Recounts the steps of the runs the (project key, run id) pairs name, found by the runs' primary
 * key (`RUNS_OF_PAIRS`: a row-value IN on the pairs would read every run of the project).
 */
export function runCountsStatement(pairs: InValue[][]): InStatement {
  return multiRow(
    `UPDATE runs SET
       step_count = (SELECT count(*) FROM steps s WHERE ${STEPS_OF_RUN}),
       min_cumulative = (SELECT min(s.cumulative) FROM steps s WHERE ${STEPS_OF_RUN})
     WHERE rowid IN (SELECT r.rowid FROM (VALUES `,
    pairs,
    `) ${RUNS_OF_PAIRS})`,
  );
}

/** A run's rows in `steps s`, from the `runs` row being updated (both name the project by its key; steps keep ids as stored-id.ts says). */
const STEPS_OF_RUN = `s.project_key = runs.project_key AND s.run_id = ${storedIdSql("runs.id")}`;

/** The key of a project whose events are being folded: they were appended under it. */
function keyOf(keys: ReadonlyMap<string, number>, projectId: string): number {
  const key = keys.get(projectId);
  if (key === undefined) throw new Error(`project ${projectId} has events but no key in this store`);
  return key;
}

function stepRow(seq: number, projectKey: number, e: StepEvent): InValue[] {
  return [
    projectKey,
    storedId(e.stepId),
    storedId(e.runId),
    e.step,
    e.type === "step.completed" ? "completed" : "failed",
    e.confidence ?? null,
    e.cumulative ?? null,
    e.source,
    e.observedAt === undefined ? null : Date.parse(e.observedAt),
    e.maxAgeMs === undefined ? null : Math.round(e.maxAgeMs),
    e.stale ? 1 : 0,
    e.flagged ? 1 : 0,
    e.attempt,
    e.escalationId ?? null,
    Math.round(e.durationMs),
    Date.parse(e.startedAt),
    Date.parse(e.time),
    e.call ?? 0,
    e.epoch ?? 0,
    seq,
  ];
}

/** JSON text for a JSON column; absent stays NULL (a JSON `null` value is stored as "null"). */
function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
