import type { Client, Transaction } from "@libsql/client";
import { TAKE_WRITE_LOCK } from "./sql.js";
import { noteLockBusy, noteLockTaken } from "./store-health.js";

/** The tail of each client's queue of writers. Other processes are kept out by SQLite's lock. */
const queues = new WeakMap<Client, Promise<void>>();

/**
 * Per embedded store, registered by openStore: how long a writer may wait for the write lock in
 * all (its busy timeout), and the statements of one try of the lock. Stores without an entry
 * (remote libSQL) take the lock the plain way.
 */
const embedded = new WeakMap<Client, { budget: number; tryLock: string }>();

/**
 * Registers `client`'s busy timeout for beginWrite, and the size the WAL is cut back to after a
 * checkpoint (db/client.ts openStore does this).
 *
 * journal_size_limit is a setting of each connection, and libSQL pools connections (opening more
 * as it needs them) with no hook to configure one as it is opened. In WAL mode SQLite applies it
 * when a connection commits the first write after a checkpoint let the WAL start over: that
 * commit cuts the file back to the committing connection's limit. So every try of the write lock
 * sets it on the connection about to write, in the exec call that takes the lock anyway: whichever
 * connection the pool hands out has the limit before it writes, for one more statement run
 * inside the engine. (queuedWrite's autocommit writes do not set it; the next transaction does.)
 */
export function setWriteLockBudget(client: Client, busyTimeoutMs: number, journalSizeLimitBytes?: number): void {
  const limit = journalSizeLimitBytes === undefined ? "" : `PRAGMA journal_size_limit = ${Math.floor(journalSizeLimitBytes)}; `;
  embedded.set(client, { budget: busyTimeoutMs, tryLock: limit + TRY_WRITE_LOCK });
}

export interface WriteOptions {
  /**
   * When the request behind this write began to wait (performance.now()), if earlier than this
   * call: a request queued behind a write that failed must not start a whole new wait of its own.
   */
  waitingSince?: number | undefined;
}

/** Pauses between tries of the lock (the last repeats): short at first, for locks held briefly. */
const LOCK_PAUSES_MS = [1, 2, 5, 10, 20];

/**
 * One try of the write lock that never waits: a read first, then TAKE_WRITE_LOCK, in one
 * sqlite3_exec. A connection already inside a read transaction gets SQLITE_BUSY at once when the
 * write lock is taken, without calling its busy handler (SQLite skips the handler there, since
 * waiting could deadlock: https://sqlite.org/c3ref/busy_handler.html).
 */
const TRY_WRITE_LOCK = `SELECT 1 FROM events LIMIT 0; ${TAKE_WRITE_LOCK}`;

/** The write lock was not free within the busy timeout. Same code as SQLite's, so callers map it to 503. */
export class WriteLockTimeoutError extends Error {
  override readonly name = "WriteLockTimeoutError";
  readonly code = "SQLITE_BUSY";
  constructor(waitedMs: number) {
    super(`the store's write lock was not free within ${Math.round(waitedMs)} ms (database is locked)`);
  }
}

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
 *
 * The busy timeout bounds the whole wait, queue included: a writer that has already waited that
 * long behind others gives up (SQLITE_BUSY, a 503) instead of starting a wait of its own. And
 * when another process holds the lock, it is tried without waiting, with short pauses in between,
 * so the server keeps answering (reads, health, other requests joining the queue) while it waits
 * instead of sleeping on the event loop's thread for the whole busy timeout, and every request
 * waits at most about the busy timeout from when it began to wait.
 */
export async function beginWrite(client: Client, options: WriteOptions = {}): Promise<{ tx: Transaction; release: () => void }> {
  const local = embedded.get(client);
  const started = options.waitingSince ?? performance.now();
  const release = await enterWriteQueue(client);
  try {
    const tx = local === undefined ? await takeWriteLock(client) : await takeWriteLockWithin(client, local, started);
    return { tx, release };
  } catch (err) {
    release();
    throw err;
  }
}

async function takeWriteLock(client: Client): Promise<Transaction> {
  const tx = await client.transaction("deferred");
  try {
    await tx.executeMultiple(TAKE_WRITE_LOCK);
  } catch (err) {
    tx.close();
    throw err;
  }
  return tx;
}

/**
 * Tries the lock without waiting (TRY_WRITE_LOCK, after the connection's WAL size limit), pausing
 * on the event loop between tries, until `budget` ms after `started`. No try ever sleeps on the
 * event loop's thread, and the pooled connection's busy_timeout is never touched: a connection
 * whose transaction an I/O error or a full disk rolled back (after which nothing more can run on
 * it here) goes back to the pool as it came. Each try is a fresh transaction: in WAL a deferred
 * transaction that failed to upgrade may hold a snapshot another process has since moved past
 * (SQLITE_BUSY_SNAPSHOT), which no retry within it can fix.
 */
async function takeWriteLockWithin(client: Client, { budget, tryLock }: { budget: number; tryLock: string }, started: number): Promise<Transaction> {
  for (let attempt = 0; ; attempt++) {
    // At least one try, even with no time left (a busy timeout of 0 means "try once").
    const tx = await client.transaction("deferred");
    try {
      await tx.executeMultiple(tryLock);
      noteLockTaken(client);
      return tx;
    } catch (err) {
      tx.close();
      // Anything else as SQLite gave it: a disk-full must stay a 503.
      if (!isBusy(err)) throw err;
      // Readers waiting on this writer learn at once that another process holds the lock.
      noteLockBusy(client);
    }
    const left = started + budget - performance.now();
    if (left <= 0) throw new WriteLockTimeoutError(performance.now() - started);
    const pause = LOCK_PAUSES_MS[Math.min(attempt, LOCK_PAUSES_MS.length - 1)]!;
    await new Promise((r) => setTimeout(r, Math.min(pause, left)));
  }
}

function isBusy(err: unknown): boolean {
  const e = err as { code?: unknown; extendedCode?: unknown } | null;
  return [e?.code, e?.extendedCode].some((c) => typeof c === "string" && c.startsWith("SQLITE_BUSY"));
}

/**
 * Whether another process holds the write lock right now, found without waiting: one try of the
 * lock, rolled back at once (it writes nothing, so it costs no fsync). `skipped` while a writer of
 * this process is queued or writing: it reports what it finds itself (store-health.ts), and a
 * probe must not queue behind it. For `/healthz`, which must answer while the lock is held.
 */
export async function probeWriteLock(client: Client): Promise<"free" | "held" | "skipped" | "unknown"> {
  const local = embedded.get(client);
  if (local === undefined) return "unknown";
  if (queues.has(client)) return "skipped";
  const release = await enterWriteQueue(client);
  try {
    const tx = await client.transaction("deferred");
    try {
      await tx.executeMultiple(local.tryLock);
      noteLockTaken(client);
      return "free";
    } catch (err) {
      if (!isBusy(err)) throw err;
      noteLockBusy(client);
      return "held";
    } finally {
      tx.close();
    }
  } finally {
    release();
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
export async function withWriteLock<T>(
  client: Client,
  work: (tx: Transaction) => Promise<{ commit: boolean; value: T }>,
  options: WriteOptions = {},
): Promise<T> {
  const { tx, release } = await beginWrite(client, options);
  try {
    const { commit, value } = await work(tx);
    if (commit) await tx.commit();
    return value;
  } finally {
    tx.close();
    release();
  }
}
