import type { Client } from "@libsql/client";

/**
 * Open escalations by kind, across projects, for `GET /metrics`. Served by the
 * (project, status, created_at) queue index: one range per project, no table scan.
 */
export async function countOpenEscalations(client: Client): Promise<Array<{ kind: string; count: number }>> {
  const rs = await client.execute("SELECT kind, count(*) FROM escalations WHERE status = 'open' GROUP BY kind");
  return rs.rows.map((r) => ({ kind: String(r[0]), count: Number(r[1]) }));
}
