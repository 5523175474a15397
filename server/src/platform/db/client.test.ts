// The durability settings behind "a 2xx is sent only after every accepted event is committed":
// WAL, synchronous=FULL and a busy timeout on EVERY pooled connection. libSQL pools
// connections and a PRAGMA run on one does not reach the others, so each is checked separately.
import type { Transaction } from "@libsql/client";
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { withWriteLock } from "./write-transaction.js";
import { openStore, type Store } from "./client.js";

const dirs: string[] = [];
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDbUrl(): string {
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-db-"));
  dirs.push(dir);
  return `file:${join(dir, "x.db")}`;
}

async function open(url: string, busyTimeoutMs: number): Promise<Store> {
  const store = await openStore({ url, busyTimeoutMs });
  cleanups.push(() => store.close());
  return store;
}

async function pragma(tx: Transaction, name: string): Promise<unknown> {
  const rs = await tx.execute(`PRAGMA ${name}`);
  return rs.rows[0]?.[0];
}

describe("openStore on an embedded file", () => {
  it("gives every pooled connection WAL, synchronous=FULL and the configured busy timeout", async () => {
    const store = await open(tempDbUrl(), 1234);
    // A transaction holds its connection until it settles, so three open at once are three
    // connections: the one openStore configured and two the pool opened later.
    const txs = await Promise.all([1, 2, 3].map(() => store.client.transaction("read")));
    cleanups.push(() => txs.forEach((tx) => tx.close()));

    for (const [i, tx] of txs.entries()) {
      expect(await pragma(tx, "synchronous"), `connection ${i}: synchronous`).toBe(2); // FULL
      expect(await pragma(tx, "busy_timeout"), `connection ${i}: busy_timeout`).toBe(1234);
      expect(await pragma(tx, "journal_mode"), `connection ${i}: journal_mode`).toBe("wal");
    }

    // Prove they really are three connections: a per-connection setting written on each
    // reads back distinct everywhere (a shared connection would show the last write).
    for (const [i, tx] of txs.entries()) await tx.execute(`PRAGMA cache_size = -${4000 + i}`);
    const marks = await Promise.all(txs.map((tx) => pragma(tx, "cache_size")));
    expect(marks).toEqual([-4000, -4001, -4002]);
  });

  it("makes a writer wait for the busy timeout, then fail with SQLITE_BUSY", async () => {
    const url = tempDbUrl();
    const holder = await open(url, 1234);
    await holder.client.execute("CREATE TABLE t (x INTEGER)");
    const write = await holder.client.transaction("write");
    cleanups.push(() => write.close());
    await write.execute("INSERT INTO t VALUES (1)");

    // A dedicated store, closed afterwards: the embedded driver leaves a pooled connection
    // unusable after a statement fails with SQLITE_BUSY, so it must not be reused.
    const busyTimeoutMs = 400;
    const waiter = await open(url, busyTimeoutMs);
    const started = performance.now();
    const error = await waiter.client.execute("INSERT INTO t VALUES (2)").then(
      () => undefined,
      (err: unknown) => err,
    );
    const waited = performance.now() - started;

    expect(error).toMatchObject({ code: "SQLITE_BUSY" });
    expect(waited, "gave up before the busy timeout").toBeGreaterThanOrEqual(busyTimeoutMs - 20);
    expect(waited, "waited far past the busy timeout").toBeLessThan(busyTimeoutMs + 1500);

    // The lock holder was never disturbed: its write commits, and the refused one is absent.
    await write.commit();
    const rows = await holder.client.execute("SELECT x FROM t ORDER BY x");
    expect(rows.rows.map((r) => r.x)).toEqual([1]);
  });

  it("cuts the WAL file back to the journal size limit after a large write and a checkpoint, on a connection that never wrote before", async () => {
    const url = tempDbUrl();
    const limit = 256 * 1024;
    const store = await openStore({ url, busyTimeoutMs: 5_000, journalSizeLimitBytes: limit });
    cleanups.push(() => store.close());
    const wal = `${url.slice("file:".length)}-wal`;
    await store.client.execute("CREATE TABLE events (id TEXT)"); // the table the write lock is taken on
    await store.client.execute("CREATE TABLE blobs (b BLOB)");
    const write = (blobs: number) =>
      withWriteLock(store.client, async (tx) => {
        for (let i = 0; i < blobs; i++) await tx.execute("INSERT INTO blobs VALUES (randomblob(128 * 1024))");
        return { commit: true, value: undefined };
      });

    await write(64); // 8 MiB in one transaction
    expect(statSync(wal).size).toBeGreaterThan(8 * 1024 * 1024);
    const checkpoint = await store.client.execute("PRAGMA wal_checkpoint(PASSIVE)");
    const [busy, frames, copied] = Array.from(checkpoint.rows[0]!).map(Number);
    expect({ busy, copied }).toEqual({ busy: 0, copied: frames }); // all of it back in the database file

    // Every connection the pool has is busy, so the next write gets a new one.
    const held = await Promise.all(Array.from({ length: 10 }, () => store.client.transaction("deferred")));
    cleanups.push(() => held.forEach((tx) => tx.close()));
    await write(1);
    expect(statSync(wal).size).toBeLessThanOrEqual(limit);
  });
});

describe("openStore file modes", () => {
  it("creates the database, its WAL and shared-memory files 0600 in a folder others can read, whatever the umask", async () => {
    const dir = mkdtempSync(join(tmpdir(), "seamtrace-db-"));
    dirs.push(dir);
    chmodSync(dir, 0o755);
    // The usual umask: without care SQLite's files come out 0644, readable by every local user.
    const umask = process.umask(0o022);
    try {
      const path = join(dir, "x.db");
      const store = await open(`file:${path}`, 1000);
      await store.client.execute("CREATE TABLE t (x)");
      await store.client.execute("INSERT INTO t VALUES (1)");
      for (const file of [path, `${path}-wal`, `${path}-shm`]) expect((statSync(file).mode & 0o777).toString(8), file).toBe("600");
      // A folder it makes is the owner's alone too.
      const nested = join(dir, "new", "deeper", "y.db");
      await open(`file:${nested}`, 1000);
      expect((statSync(join(dir, "new", "deeper")).mode & 0o777).toString(8)).toBe("700");
    } finally {
      process.umask(umask);
    }
  });

  it("narrows an existing database file left readable by others", async () => {
    const url = tempDbUrl();
    const path = url.slice("file:".length);
    (await open(url, 1000)).close();
    chmodSync(path, 0o644);
    await open(url, 1000);
    expect((statSync(path).mode & 0o777).toString(8)).toBe("600");
  });
});
