import type { Client, Transaction } from "@libsql/client";
import { sql, type SQL } from "drizzle-orm";
import { customType } from "drizzle-orm/sqlite-core";
import { chunks } from "./sql.js";

/**
 * Project keys: the event log, the audit log (and its payloads), `steps` and `runs` name their
 * project by a small integer of this store's, `project_key`, instead of by its id. The project is
 * the first column of every row and every index of those tables, about ten copies an event, where
 * a 16-byte id costs 17 bytes (36 characters in `runs`) and a key of up to 127 costs 2
 * (docs/performance.md, "Storage").
 *
 * `project_keys` maps one to the other. A project gets its key the first time anything is written
 * for it (`ensureProjectKey`, which the event and audit appends run), keys are never reused or
 * removed (triggers refuse it), and a key means nothing outside its store. The system chain holds
 * key 0, so every project sorts after it and a store with one project appends at the right edge
 * of every index.
 *
 * Columns that hold a key are named `project_key`, so a query still binding a project id to them
 * fails ("no such column") instead of matching nothing. SQL binds the project id and looks its
 * key up in the statement (`projectKeySql`), which SQLite evaluates once and then uses the
 * index as it would a bound value; rows read back name their project by `projectIdSql`.
 */

/**
 * SQL for the key of the project whose id is `expr`: a parameter (`?`, `?1`) or a column, which
 * must be qualified (`p.id`): in the lookup an unqualified `project_id` would be `project_keys`'s own.
 */
export function projectKeySql(expr = "?"): string {
  return `(SELECT project_key FROM project_keys WHERE project_id = ${qualified(expr)})`;
}

/** `projectKeySql()`: the key of the project whose id is the next bound parameter. */
export const PROJECT_KEY = projectKeySql();

/** SQL for the id of the project whose key is `expr`, a qualified `project_key` column (`e.project_key`). */
export function projectIdSql(expr: string): string {
  return `(SELECT project_id FROM project_keys WHERE project_key = ${qualified(expr)})`;
}

function qualified(expr: string): string {
  if (!expr.startsWith("?") && !expr.includes(".")) throw new Error(`project-key.ts: qualify the column ${expr}, or the lookup reads project_keys' own`);
  return expr;
}

/** `projectKeySql` for drizzle: `eq(steps.projectKey, projectKeyOf(projectId))`. */
export function projectKeyOf(projectId: string): SQL<number> {
  return sql<number>`(SELECT project_key FROM project_keys WHERE project_id = ${projectId})`;
}

/**
 * `projectId`'s key in this store, given it now (the next integer) if it has none. Writers of the
 * keyed tables run it first in their write transaction; when the key exists it is one lookup.
 */
export async function ensureProjectKey(tx: Transaction | Client, projectId: string): Promise<number> {
  const rs = await tx.execute({ sql: "SELECT project_key FROM project_keys WHERE project_id = ?", args: [projectId] });
  if (rs.rows[0]) return Number(rs.rows[0][0]);
  const added = await tx.execute({ sql: "INSERT INTO project_keys (project_id) VALUES (?) RETURNING project_key", args: [projectId] });
  return Number(added.rows[0]![0]);
}

/**
 * The keys of `projectIds` in this store, by id; a project with no key yet is left out (nothing
 * of it is stored).
 */
export async function projectKeysOf(tx: Transaction | Client, projectIds: Iterable<string>): Promise<Map<string, number>> {
  const keys = new Map<string, number>();
  for (const part of chunks([...new Set(projectIds)], 500)) {
    const rs = await tx.execute({
      sql: `SELECT project_id, project_key FROM project_keys WHERE project_id IN (${part.map(() => "?").join(", ")})`,
      args: part,
    });
    for (const r of rs.rows) keys.set(String(r[0]), Number(r[1]));
  }
  return keys;
}

/**
 * A `project_key` column for drizzle. Its data is the key, so comparing it with a project id does
 * not type-check: compare with `projectKeyOf(projectId)`.
 */
export const projectKeyColumn = customType<{ data: number; driverData: number }>({
  dataType: () => "integer",
});
