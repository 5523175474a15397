import { createClient, type Client } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { setWriteLockBudget } from "./write-transaction.js";

/** drizzle over libSQL; `$client` is the pooled client underneath (for the write queue). */
export type Db = LibSQLDatabase & { $client: Client };

/** The store: the raw libSQL client (for bulk SQL) and drizzle over it. */
export interface Store {
  client: Client;
  db: Db;
  close(): void;
}

export interface StoreOptions {
  url: string;
  authToken?: string | undefined;
  /** SQLite busy timeout, applied by libSQL to every pooled connection. */
  busyTimeoutMs: number;
  /** The size the WAL file is cut back to once a checkpoint has let it start over. Default WAL_SIZE_LIMIT_BYTES. */
  journalSizeLimitBytes?: number;
}

/**
 * Without a limit the WAL file keeps the size of the largest burst it ever held (a bulk import,
 * a retention sweep): SQLite reuses it from the start after a checkpoint but never shrinks it.
 * 64 MiB is well above what the WAL holds between two automatic checkpoints (1,000 pages, 4 MiB),
 * so in steady operation the file is reused as it is, not cut and grown again.
 */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Opens the store. For an embedded file, WAL is switched on (it persists in the file) and the
 * durability settings are checked rather than assumed: libSQL pools connections, and a PRAGMA
 * run on one does not reach the others, so the busy timeout goes through `createClient({ timeout })`
 * and `synchronous` must already be FULL by default on each new connection.
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  const local = options.url.startsWith("file:");
  if (local && options.url !== "file::memory:") {
    const raw = options.url.slice("file:".length).split("?")[0]!;
    ownerOnlyDatabaseFiles(raw.startsWith("//") ? fileURLToPath(options.url) : raw);
  }
  const client = createClient({ url: options.url, authToken: options.authToken, timeout: options.busyTimeoutMs });
  if (local) {
    await client.execute("PRAGMA journal_mode=WAL");
    const sync = await client.execute("PRAGMA synchronous");
    if (Number(sync.rows[0]?.[0]) !== 2) {
      client.close();
      throw new Error(`SQLite synchronous is ${String(sync.rows[0]?.[0])}, expected 2 (FULL): refusing to acknowledge writes that are not durable`);
    }
    await client.execute("PRAGMA foreign_keys=ON");
    // beginWrite waits for the write lock within this budget, trying it without the driver's busy
    // wait (store/write-transaction.ts); other statements keep the busy timeout. It also gives the
    // connection about to write the WAL size limit (a per-connection setting, like busy_timeout).
    setWriteLockBudget(client, options.busyTimeoutMs, options.journalSizeLimitBytes ?? WAL_SIZE_LIMIT_BYTES);
  }
  const db = drizzle(client);
  return { client, db, close: () => client.close() };
}

/**
 * The database holds password hashes, webhook secrets and every payload: it, its WAL and its
 * shared-memory file are the owner's alone (0600), whatever the folder's mode or the umask.
 * SQLite creates a new file 0644 less the umask, and gives the -wal and -shm files the database
 * file's own mode, so the file is created (or narrowed) here before SQLite opens it. A folder
 * made here is 0700; an existing folder keeps its mode (its owner may share it on purpose), and
 * the files in it stay unreadable to others all the same.
 */
function ownerOnlyDatabaseFiles(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Only a file that is not there yet is opened here: closing a descriptor of a database file
  // drops every POSIX lock this process holds on it, which another connection may rely on.
  if (!existsSync(path)) closeSync(openSync(path, "a", 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
}
