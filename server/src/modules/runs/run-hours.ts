import type { Client, InStatement, InValue, Transaction } from "@libsql/client";
import { chunks, multiRow } from "../../platform/db/sql.js";
import { projectIdSql, projectKeySql, projectKeysOf } from "../../platform/db/project-key.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";

/**
 * Hourly run counts (db/schema/run-hours.ts), for `GET /v1/workflows`.
 *
 * Kept in the transaction that writes the runs, from the runs' stored rows read before and after
 * the write (the events may say otherwise: a run keeps the workflow and version it was first
 * stored with), so the rows are exact whatever order events arrive in. The projector adds a new
 * run to its hour's count (hourStatements); where a run's start moved, the hour's latest start
 * is read again, or, if it moved to another hour, both hours are recounted from `runs` through
 * runs_workflow_started_idx, as retention does for the runs it deletes. A recount costs one hour
 * of one workflow's runs, never the store; the projector's common case costs O(its batch).
 */
export const HOUR = 3_600_000;
export const hourOf = (ms: number) => ms - (((ms % HOUR) + HOUR) % HOUR);

/** A workflow's hour to recount; the workflow by name (projection) or by id (retention). */
export type DirtyHour = { projectId: string; hour: number } & ({ workflow: string } | { workflowId: string });

/** Statements that recount each dirty hour (deduplicated). Run them after the writes to `runs`. */
export function recountStatements(dirty: Iterable<DirtyHour>): InStatement[] {
  const seen = new Set<string>();
  const out: InStatement[] = [];
  for (const d of dirty) {
    const byName = "workflow" in d;
    const key = `${d.projectId}\u0000${byName ? "n" : "i"}${byName ? d.workflow : d.workflowId}\u0000${d.hour}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // ?1 project, ?2 workflow name or id, ?3 hour.
    const wf = byName ? "(SELECT id FROM workflows WHERE project_id = ?1 AND name = ?2)" : "?2";
    const args = [d.projectId, byName ? d.workflow : d.workflowId, d.hour];
    out.push({ sql: `DELETE FROM run_hours WHERE project_id = ?1 AND workflow_id = ${wf} AND hour = ?3`, args });
    out.push({
      sql: `INSERT INTO run_hours (project_id, workflow_id, version, hour, runs, last_run_at)
            SELECT ?1, workflow_id, version, ?3, count(*), max(started_at) FROM runs
            WHERE project_key = ${projectKeySql("?1")} AND workflow_id = ${wf} AND started_at >= ?3 AND started_at < ?3 + ${HOUR} AND golden_result IS NULL
            GROUP BY version`,
      args,
    });
  }
  return out;
}

/**
 * The hours the given runs start in now, from their stored rows (read inside the writing
 * transaction: before a write for the hours a run may leave, after it for the hour it is in).
 */
export async function currentHours(tx: Transaction, keys: ReadonlyArray<{ projectId: string; runId: string }>): Promise<DirtyHour[]> {
  const out: DirtyHour[] = [];
  for (const r of await storedRuns(tx, keys, "r.workflow_id, r.started_at", "")) {
    out.push({ projectId: r.projectId, workflowId: String(r.row[0]), hour: hourOf(Number(r.row[1])) });
  }
  return out;
}

/**
 * After `FROM (VALUES (?, ?), …) `: the runs `r` the (project key, run id) pairs name. A join on
 * the VALUES list, which SQLite answers from the runs' primary key: `(project_key, id) IN
 * (VALUES …)` matched on the project key alone and read every run of the project for each
 * statement, in every fold (a reviewer measured 40 ms a call at 200,000 runs).
 */
export const RUNS_OF_PAIRS = "v JOIN runs r ON r.project_key = v.column1 AND r.id = v.column2";

/**
 * `columns` of the stored rows of the given runs (`where` narrows them), each with its project:
 * runs name it by its key (platform/db/project-key.ts), looked up once for the lot unless the
 * caller has them (`given`, the fold's). A project with no key has no runs.
 */
async function storedRuns(
  tx: Transaction,
  keys: ReadonlyArray<{ projectId: string; runId: string }>,
  columns: string,
  where: string,
  given?: ReadonlyMap<string, number>,
): Promise<Array<{ projectId: string; runId: string; row: ArrayLike<unknown> }>> {
  const projectKeys =
    given ??
    (await projectKeysOf(
      tx,
      keys.map((k) => k.projectId),
    ));
  const projectOf = new Map([...projectKeys].map(([projectId, key]) => [key, projectId]));
  const known = keys.filter((k) => projectKeys.has(k.projectId));
  const out: Array<{ projectId: string; runId: string; row: ArrayLike<unknown> }> = [];
  for (const part of chunks(known, 200)) {
    const rs = await tx.execute({
      sql: `SELECT r.project_key, r.id, ${columns} FROM (VALUES ${part.map(() => "(?, ?)").join(", ")}) ${RUNS_OF_PAIRS}${where}`,
      args: part.flatMap((k) => [projectKeys.get(k.projectId)!, k.runId]),
    });
    for (const r of rs.rows) out.push({ projectId: projectOf.get(Number(r[0]))!, runId: String(r[1]), row: Array.prototype.slice.call(r, 2) });
  }
  return out;
}

/**
 * The marker of a build. `run_hours` (the first) marks counts that may be off: the projector then
 * recounted the hours of a run's events' workflow instead of its stored one, so a run whose
 * events named different workflows could be left uncounted. Stores with only that one are built
 * again, once.
 */
const BUILT = "run_hours.2";

/** Where a run counts, from its stored row. */
export interface RunPlace {
  projectId: string;
  workflowId: string;
  version: string;
  startedAt: number;
}

/**
 * The stored rows of the given runs, by `${projectId} ${runId}` (read inside the writing
 * transaction). Runs of golden-set evaluations are left out: they are not traffic, and a run is
 * one or the other from its first stored event, so it is never counted and then taken back.
 * `projectKeys`: the runs' projects' keys, when the caller has them (the fold looked them up).
 */
export async function runPlaces(
  tx: Transaction,
  keys: ReadonlyArray<{ projectId: string; runId: string }>,
  projectKeys?: ReadonlyMap<string, number>,
): Promise<Map<string, RunPlace>> {
  const out = new Map<string, RunPlace>();
  for (const { projectId, runId, row } of await storedRuns(tx, keys, "r.workflow_id, r.version, r.started_at", " AND r.golden_result IS NULL", projectKeys)) {
    out.set(`${projectId} ${runId}`, { projectId, workflowId: String(row[0]), version: String(row[1]), startedAt: Number(row[2]) });
  }
  return out;
}

const RUN_HOURS_ADD = `INSERT INTO run_hours (project_id, workflow_id, version, hour, runs, last_run_at) VALUES `;
const RUN_HOURS_ADD_TAIL = ` ON CONFLICT (project_id, workflow_id, version, hour) DO UPDATE SET
  runs = run_hours.runs + excluded.runs, last_run_at = max(run_hours.last_run_at, excluded.last_run_at)`;

/**
 * The statements that bring run_hours from `before` to `after`: the same runs' stored rows, read
 * before and after a write that adds runs or moves their starts (the projector's; it never
 * deletes one). Run them after that write. A new run adds one to its hour and may raise the
 * hour's latest start. A start moved within its hour keeps the count, and the hour's latest
 * start is read again (an index seek); a start moved to another hour (a late `run.started`
 * across the hour) recounts both hours.
 */
export function hourStatements(before: ReadonlyMap<string, RunPlace>, after: ReadonlyMap<string, RunPlace>): InStatement[] {
  const slot = (p: RunPlace) => `${p.projectId}\u0000${p.workflowId}\u0000${p.version}\u0000${hourOf(p.startedAt)}`;
  const added = new Map<string, { place: RunPlace; runs: number; last: number }>();
  const moved = new Map<string, RunPlace>();
  const recount: DirtyHour[] = [];
  for (const [key, a] of after) {
    const b = before.get(key);
    if (b === undefined) {
      const k = slot(a);
      const entry = added.get(k);
      if (entry) {
        entry.runs++;
        entry.last = Math.max(entry.last, a.startedAt);
      } else {
        added.set(k, { place: a, runs: 1, last: a.startedAt });
      }
    } else if (slot(b) === slot(a)) {
      if (b.startedAt !== a.startedAt) moved.set(slot(a), a);
    } else {
      recount.push({ projectId: b.projectId, workflowId: b.workflowId, hour: hourOf(b.startedAt) });
      recount.push({ projectId: a.projectId, workflowId: a.workflowId, hour: hourOf(a.startedAt) });
    }
  }
  const out: InStatement[] = [];
  const rows: InValue[][] = [...added.values()].map(({ place: p, runs, last }) => [p.projectId, p.workflowId, p.version, hourOf(p.startedAt), runs, last]);
  for (const part of chunks(rows, 100)) out.push(multiRow(RUN_HOURS_ADD, part, RUN_HOURS_ADD_TAIL));
  for (const p of moved.values()) {
    out.push({
      sql: `UPDATE run_hours SET last_run_at = (SELECT max(started_at) FROM runs
              WHERE project_key = ${projectKeySql("?1")} AND workflow_id = ?2 AND version = ?3 AND started_at >= ?4 AND started_at < ?4 + ${HOUR} AND golden_result IS NULL)
            WHERE project_id = ?1 AND workflow_id = ?2 AND version = ?3 AND hour = ?4`,
      args: [p.projectId, p.workflowId, p.version, hourOf(p.startedAt)],
    });
  }
  // Last: a recount is exact whatever the statements before it did to the hour.
  out.push(...recountStatements(recount));
  return out;
}

/**
 * Fills run_hours from `runs` once, for a store that had runs before the table existed (called
 * after migrations; afterwards the projector keeps it). A marker row in `projections` says it is
 * done; several instances starting at once serialise on the write lock and the second finds it.
 */
export async function ensureRunHours(client: Client): Promise<void> {
  const done = await client.execute({ sql: "SELECT 1 FROM projections WHERE name = ?", args: [BUILT] });
  if (done.rows.length > 0) return;
  await withWriteLock(client, async (tx) => {
    const again = await tx.execute({ sql: "SELECT 1 FROM projections WHERE name = ?", args: [BUILT] });
    if (again.rows.length > 0) return { commit: false, value: undefined };
    await tx.execute("DELETE FROM run_hours");
    await tx.execute(`INSERT INTO run_hours (project_id, workflow_id, version, hour, runs, last_run_at)
      SELECT ${projectIdSql("runs.project_key")}, workflow_id, version, started_at - (started_at % ${HOUR} + ${HOUR}) % ${HOUR}, count(*), max(started_at)
      FROM runs WHERE golden_result IS NULL GROUP BY 1, 2, 3, 4`);
    await tx.execute("DELETE FROM projections WHERE name = 'run_hours'");
    await tx.execute({ sql: "INSERT INTO projections (name, position, updated_at) VALUES (?, 1, ?)", args: [BUILT, Date.now()] });
    return { commit: true, value: undefined };
  });
}
