import type { Client, Transaction } from "@libsql/client";
import { TAKE_WRITE_LOCK } from "./sql.js";

/** The tail of each client's queue of writers. Other processes are kept out by SQLite's lock. */
const queues = new WeakMap<Client, Promise<void>>();

/**
 * Opens a write transaction that holds the write lock from its first statement, the way
 * store/sql.ts TAKE_WRITE_LOCK explains (not BEGIN IMMEDIATE, which leaves the embedded driver's
 * connection broken after SQLITE_BUSY). The caller must `tx.close()` (rolls back unless
 * committed) and then `release()`, in a `finally`.
 *
 * Writers of this process queue on a promise first. The embedded driver waits for SQLite's lock
 * synchronously (its busy handler sleeps on the event loop's thread), so a second in-process
 * writer reaching SQLite while the first holds the lock across an `await` would freeze the
 * process for the whole busy timeout and then fail, because the holder can never reach its commit.
 */
export async function beginWrite(client: Client): Promise<{ tx: Transaction; release: () => void }> {
  const release = await enterWriteQueue(client);
  try {
    const tx = await client.transaction("deferred");
    try {
      await tx.executeMultiple(TAKE_WRITE_LOCK);
    } catch (err) {
      tx.close();
      throw err;
    }
    return { tx, release };
  } catch (err) {
    release();
    throw err;
  }
}

/** Waits for this process's earlier writers; the returned function lets the next one in. */
async function enterWriteQueue(client: Client): Promise<() => void> {
  const previous = queues.get(client) ?? Promise.resolve();
  let unlock!: () => void;
  const tail = previous.then(() => new Promise<void>((r) => (unlock = r)));
  queues.set(client, tail);
  await previous;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    unlock();
    if (queues.get(client) === tail) queues.delete(client);
  };
}

/**
 * A single autocommit write (a drizzle insert, update or delete) in this process's queue of
 * writers, for the same reason as beginWrite. It must not open a transaction of its own.
 */
export async function queuedWrite<T>(client: Client, write: () => Promise<T>): Promise<T> {
  const release = await enterWriteQueue(client);
  try {
    return await write();
  } finally {
    release();
  }
}

/**
 * Runs `work` in one write transaction (see beginWrite). Reads inside `work` see a state nobody
 * else can change before the commit, so check-then-write is race-free across instances.
 *
 * `work` returns `{ commit, value }`: with `commit: false` everything is rolled back (a refused
 * request changes nothing). Errors roll back too; callers map transient ones to 503.
 */
export async function withWriteLock<T>(client: Client, work: (tx: Transaction) => Promise<{ commit: boolean; value: T }>): Promise<T> {
  const { tx, release } = await beginWrite(client);
  try {
    const { commit, value } = await work(tx);
    if (commit) await tx.commit();
    return value;
  } finally {
    tx.close();
    release();
  }
}
