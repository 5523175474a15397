import type { Transaction } from "@libsql/client";
import { idTextSql, storedIdSql } from "../../../platform/db/stored-id.js";
import { projectKeySql } from "../../../platform/db/project-key.js";

/**
 * What OTLP keeps about a run's steps besides the event log (span metadata, scores, GenAI event
 * records, root bookkeeping), for retention to apply its policy to. Run these before the run's
 * steps are deleted or purged: the scores and records are found through them.
 */
const RUN_STEPS = `SELECT ${idTextSql("id")} FROM steps WHERE project_key = ${projectKeySql("?1")} AND run_id = ${storedIdSql("?2")}`;

/** TTL: everything about the run goes. */
export async function deleteOtlpRunData(tx: Transaction, projectId: string, runId: string): Promise<void> {
  const args = [projectId, runId];
  await tx.execute({ sql: `DELETE FROM step_scores WHERE project_id = ?1 AND step_id IN (${RUN_STEPS})`, args });
  await tx.execute({ sql: `DELETE FROM step_records WHERE project_id = ?1 AND step_id IN (${RUN_STEPS})`, args });
  await tx.execute({ sql: "DELETE FROM otlp_spans WHERE project_id = ?1 AND run_id = ?2", args });
  await tx.execute({ sql: "DELETE FROM otlp_runs WHERE project_id = ?1 AND run_id = ?2", args });
}

/**
 * `final`: scores stay (name, value, label), their explanations and the spans' attributes,
 * resources and GenAI event records, which may hold inputs, go.
 */
export async function purgeOtlpRunToFinal(tx: Transaction, projectId: string, runId: string): Promise<void> {
  const args = [projectId, runId];
  await tx.execute({ sql: `UPDATE step_scores SET explanation = NULL WHERE project_id = ?1 AND step_id IN (${RUN_STEPS})`, args });
  await tx.execute({ sql: `DELETE FROM step_records WHERE project_id = ?1 AND step_id IN (${RUN_STEPS})`, args });
  await tx.execute({ sql: "UPDATE otlp_spans SET meta = NULL WHERE project_id = ?1 AND run_id = ?2", args });
}
