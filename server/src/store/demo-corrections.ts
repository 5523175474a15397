/**
 * INTERIM: the demo's read of decided escalations as correction rows, until the `exports`
 * branch's corrections export (GET /v1/exports/corrections) is merged; the demo then uses that
 * route and this file goes. Audited like the export (`export.corrections`).
 */
import type { Client } from "@libsql/client";
import type { TrainingRow } from "@seamtrace/example-claims";
import { appendAudit } from "./audit.js";
import { withWriteLock } from "./write-transaction.js";

export async function readDecisionsForDemo(
  client: Client,
  projectId: string,
  filter: { workflow: string; version: string; actor: string; now: number },
): Promise<TrainingRow[]> {
  await withWriteLock(client, async (tx) => {
    await appendAudit(tx, projectId, [
      { time: filter.now, actor: filter.actor, action: "export.corrections", subject: `project:${projectId}`, payload: { workflow: filter.workflow, version: filter.version, include: ["corrections", "accepts"] } },
    ]);
    return { commit: true, value: undefined };
  });
  const rs = await client.execute({
    sql: "SELECT step, packet, decision, corrected_output FROM escalations WHERE project_id = ? AND workflow = ? AND version = ? AND status = 'resolved' ORDER BY resolved_at, id",
    args: [projectId, filter.workflow, filter.version],
  });
  return rs.rows.map((r) => {
    const packet = JSON.parse(String(r.packet)) as { input: unknown; output: unknown };
    const decision = r.decision as TrainingRow["decision"];
    return {
      step: String(r.step),
      input: packet.input,
      output: packet.output,
      corrected: decision === "correct" ? JSON.parse(String(r.corrected_output)) : decision === "accept" ? packet.output : null,
      decision,
      version: filter.version,
    };
  });
}

/** Whether any run has been recorded (the demo fills only a fresh store unless forced). */
export async function storeHasRuns(client: Client): Promise<boolean> {
  const rs = await client.execute("SELECT 1 FROM events LIMIT 1");
  return rs.rows.length > 0;
}
