import { uuidv7 } from "@seamtrace/sdk";
import { and, desc, eq, isNull } from "drizzle-orm";
import type { Db } from "../../platform/db/client.js";
import { apiKeys, projects } from "./schema.js";
import { displayPrefix, generateApiKey, hashApiKey, hashesEqual, isWellFormedApiKey } from "./api-key.js";
import { appendAudit } from "../audit/store.js";
import { execIn } from "../../platform/db/sql.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";

export interface ApiKeyInfo {
  id: string;
  projectId: string;
  projectName: string;
  name: string;
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
}

/** The one time a key is seen in full: returned at creation, never stored or shown again. */
export interface CreatedApiKey extends ApiKeyInfo {
  key: string;
}

export async function createApiKey(
  db: Db,
  secret: string,
  input: { projectId: string; name: string; actor?: string },
  now = Date.now(),
): Promise<CreatedApiKey> {
  const project = await db.select().from(projects).where(eq(projects.id, input.projectId)).get();
  if (!project) throw new Error(`project ${input.projectId} does not exist`);
  const key = generateApiKey();
  const row = {
    id: uuidv7(),
    projectId: input.projectId,
    name: input.name,
    prefix: displayPrefix(key),
    hash: hashApiKey(secret, key),
    createdAt: now,
    revokedAt: null,
  };
  await withWriteLock(db.$client, async (tx) => {
    await execIn(tx, db.insert(apiKeys).values(row));
    await appendAudit(tx, row.projectId, [
      {
        time: now,
        actor: input.actor ?? "system:cli",
        action: "key.created",
        subject: `key:${row.id}`,
        payload: { keyId: row.id, name: row.name, prefix: row.prefix },
      },
    ]);
    return { commit: true, value: undefined };
  });
  return { id: row.id, projectId: row.projectId, projectName: project.name, name: row.name, prefix: row.prefix, createdAt: now, revokedAt: null, key };
}

export async function listApiKeys(db: Db, projectId?: string): Promise<ApiKeyInfo[]> {
  const q = db
    .select({
      id: apiKeys.id,
      projectId: apiKeys.projectId,
      projectName: projects.name,
      name: apiKeys.name,
      prefix: apiKeys.prefix,
      createdAt: apiKeys.createdAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .innerJoin(projects, eq(projects.id, apiKeys.projectId));
  const filtered = projectId ? q.where(eq(apiKeys.projectId, projectId)) : q;
  return filtered.orderBy(desc(apiKeys.createdAt)).limit(10_000).all();
}

/** Revokes a key; later requests with it get 401. Returns false when no such active key exists. */
export async function revokeApiKey(db: Db, id: string, now = Date.now(), actor = "system:cli"): Promise<boolean> {
  return withWriteLock(db.$client, async (tx) => {
    const rs = await execIn(
      tx,
      db
        .update(apiKeys)
        .set({ revokedAt: now })
        .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
        .returning({ projectId: apiKeys.projectId }),
    );
    const row = rs.rows[0];
    if (!row) return { commit: false, value: false };
    await appendAudit(tx, String(row[0]), [{ time: now, actor, action: "key.revoked", subject: `key:${id}`, payload: { keyId: id } }]);
    return { commit: true, value: true };
  });
}

/** Who a request is: the project its key belongs to and the key's id (the audit actor). */
export interface KeyPrincipal {
  keyId: string;
  projectId: string;
}

/**
 * Looks a presented key up by its keyed hash. Malformed keys (bad shape or checksum) are turned
 * away before the database is touched; the final comparison is constant-time.
 */
export async function authenticateApiKey(db: Db, secret: string, presented: string): Promise<KeyPrincipal | null> {
  if (!isWellFormedApiKey(presented)) return null;
  const hash = hashApiKey(secret, presented);
  const row = await db
    .select({ id: apiKeys.id, projectId: apiKeys.projectId, hash: apiKeys.hash, revokedAt: apiKeys.revokedAt })
    .from(apiKeys)
    .where(eq(apiKeys.hash, hash))
    .get();
  if (!row || row.revokedAt !== null || !hashesEqual(row.hash, hash)) return null;
  return { keyId: row.id, projectId: row.projectId };
}
