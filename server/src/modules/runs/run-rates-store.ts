import type { Client, InValue } from "@libsql/client";
import { PROJECT_KEY } from "../../platform/db/project-key.js";

/**
 * Runs started per window and how many of them were stopped for review at least once: the
 * escalation rate counted per run (`escalation.rate.runs`), beside the per-step rate the rollups
 * count. Runs are read by their start time (runs_project_started_idx), so the cost is the runs of
 * the window; each run's escalations by escalations_run_idx.
 */
export interface RunEscalationCount {
  projectId: string;
  workflow: string;
  version: string;
  /** Window index: floor((started_at − from) / width). */
  bucket: number;
  runs: number;
  escalated: number;
}

export async function runEscalationCounts(
  client: Pick<Client, "execute">,
  q: { projectId: string; workflow?: string | undefined; version?: string | undefined; from: number; to: number; width: number },
): Promise<RunEscalationCount[]> {
  const where = [`r.project_key = ${PROJECT_KEY}`, "r.started_at >= ?", "r.started_at < ?"];
  const args: InValue[] = [q.projectId, q.from, q.to];
  if (q.workflow !== undefined) where.push("r.workflow = ?"), args.push(q.workflow);
  if (q.version !== undefined) where.push("r.version = ?"), args.push(q.version);
  // The driver binds a JS number as REAL, and INTEGER / REAL divides exactly: without the casts
  // every run had a fractional bucket of its own and no window counted more than one run.
  const rs = await client.execute({
    sql: `SELECT r.workflow, r.version, (r.started_at - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS bucket, count(*) AS runs,
            sum(EXISTS (SELECT 1 FROM escalations e WHERE e.project_id = ? AND e.run_id = r.id AND e.kind = 'escalate')) AS escalated
          FROM runs r WHERE ${where.join(" AND ")}
          GROUP BY r.workflow, r.version, bucket`,
    args: [q.from, q.width, q.projectId, ...args],
  });
  return rs.rows.map((r) => ({
    projectId: q.projectId,
    workflow: String(r.workflow),
    version: String(r.version),
    bucket: Number(r.bucket),
    runs: Number(r.runs),
    escalated: Number(r.escalated),
  }));
}
