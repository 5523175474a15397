import type { Transaction } from "@libsql/client";
import { chunks } from "../../platform/db/sql.js";

/** The judge of each (workflow, step) of one project, read in the projection's transaction. */
export async function judgesFor(
  tx: Pick<Transaction, "execute">,
  projectId: string,
  steps: ReadonlyArray<{ workflow: string; step: string }>,
): Promise<(workflow: string, step: string) => string | null> {
  const found = new Map<string, string>();
  for (const part of chunks([...new Set(steps.map((s) => s.workflow))], 200)) {
    const rs = await tx.execute({
      sql: `SELECT workflow, step, name FROM review_judges WHERE project_id = ? AND workflow IN (${part.map(() => "?").join(",")})`,
      args: [projectId, ...part],
    });
    for (const r of rs.rows) found.set(JSON.stringify([String(r.workflow), String(r.step)]), String(r.name));
  }
  return (workflow, step) => found.get(JSON.stringify([workflow, step])) ?? null;
}
