import type { Client } from "@libsql/client";

/** Whether any event has been recorded: `seamtrace demo` fills only a fresh store unless forced. */
export async function storeHasRuns(client: Client): Promise<boolean> {
  const rs = await client.execute("SELECT 1 FROM events LIMIT 1");
  return rs.rows.length > 0;
}
