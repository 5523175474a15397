/** The DDL of the collector's tables as a freshly migrated store has them, for the raw baselines. */

import { migrateStore } from "../server/src/app/migrate.js";
import { openStore } from "../server/src/platform/db/client.js";

/** CREATE TABLE and CREATE INDEX statements of `tables`, tables first, from a store migrated in memory. */
export async function collectorDdl(...tables: string[]): Promise<string[]> {
  const store = await openStore({ url: ":memory:", busyTimeoutMs: 5_000 });
  try {
    await migrateStore(store);
    const rs = await store.client.execute({
      sql: `SELECT sql FROM sqlite_schema WHERE tbl_name IN (${tables.map(() => "?").join(", ")}) AND type IN ('table', 'index') AND sql IS NOT NULL ORDER BY type DESC, name`,
      args: tables,
    });
    return rs.rows.map((r) => String(r[0]));
  } finally {
    store.close();
  }
}
