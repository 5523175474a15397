import type { Client, InStatement, Transaction } from "@libsql/client";
import { withWriteLock } from "./write-transaction.js";

/**
 * Hourly run counts (db/schema/run-hours.ts), for `GET /v1/workflows`.
 *
 * An hour's row is never incremented: whenever a write may have changed which runs start in an
 * hour (a new run, a start moved earlier by a late `run.started`, a run deleted by retention), the
 * hour is recounted from `runs` in the same transaction, through runs_workflow_started_idx. So the
 * rows are exact whatever order events arrive in, and a recount costs one hour of one workflow's
 * runs, never the store.
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
            SELECT project_id, workflow_id, version, ?3, count(*), max(started_at) FROM runs
            WHERE project_id = ?1 AND workflow_id = ${wf} AND started_at >= ?3 AND started_at < ?3 + ${HOUR}
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
  for (let i = 0; i < keys.length; i += 200) {
    const part = keys.slice(i, i + 200);
    const rs = await tx.execute({
      sql: `SELECT project_id, workflow_id, started_at FROM runs WHERE (project_id, id) IN (VALUES ${part.map(() => "(?, ?)").join(", ")})`,
      args: part.flatMap((k) => [k.projectId, k.runId]),
    });
    for (const r of rs.rows) out.push({ projectId: String(r[0]), workflowId: String(r[1]), hour: hourOf(Number(r[2])) });
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
      SELECT project_id, workflow_id, version, started_at - (started_at % ${HOUR} + ${HOUR}) % ${HOUR}, count(*), max(started_at)
      FROM runs GROUP BY 1, 2, 3, 4`);
    await tx.execute("DELETE FROM projections WHERE name = 'run_hours'");
    await tx.execute({ sql: "INSERT INTO projections (name, position, updated_at) VALUES (?, 1, ?)", args: [BUILT, Date.now()] });
    return { commit: true, value: undefined };
  });
}
