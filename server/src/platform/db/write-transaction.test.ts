// How a writer waits for SQLite's write lock while another process (here: another client on the
// same file, whose lock the embedded driver sees exactly as another process's) holds it.
import { createClient, type Client, type Transaction } from "@libsql/client";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "./client.js";
import { TAKE_WRITE_LOCK } from "./sql.js";
import { beginWrite, setWriteLockBudget, withWriteLock } from "./write-transaction.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(busyTimeoutMs: number): Promise<{ store: Store; lock: () => Promise<Transaction> }> {
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-wt-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const url = `file:${join(dir, "x.db")}`;
  const store = await openStore({ url, busyTimeoutMs });
  cleanups.push(() => store.close());
  await store.client.execute("CREATE TABLE events (id TEXT)");
  const other = createClient({ url });
  cleanups.push(() => other.close());
  return {
    store,
    lock: async () => {
      const tx = await other.transaction("write");
      cleanups.push(() => tx.close());
      await tx.execute("INSERT INTO events VALUES ('held')");
      return tx;
    },
  };
}

describe("beginWrite while another connection holds the write lock", () => {
  it("keeps the event loop running while it waits, and takes the lock once it is let go", async () => {
    const { store, lock } = await setup(5_000);
    const held = await lock();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    const write = withWriteLock(store.client, async (tx) => {
      await tx.execute("INSERT INTO events VALUES ('mine')");
      return { commit: true, value: "done" };
    });
    await new Promise((r) => setTimeout(r, 300));
    const ticksWhileWaiting = ticks;
    await held.rollback();
    expect(await write).toBe("done");
    clearInterval(ticker);
    // A driver-level busy wait would have frozen the loop: no timer could have fired meanwhile.
    expect(ticksWhileWaiting).toBeGreaterThan(5);
    const rows = await store.client.execute("SELECT id FROM events");
    expect(rows.rows.map((r) => r.id)).toEqual(["mine"]);
  });

  it("gives up with SQLITE_BUSY once the busy timeout has passed, and the connection stays usable", async () => {
    const { store, lock } = await setup(300);
    const held = await lock();
    await expect(beginWrite(store.client)).rejects.toMatchObject({ code: "SQLITE_BUSY" });
    await held.rollback();
    const { tx, release } = await beginWrite(store.client);
    await tx.execute("INSERT INTO events VALUES ('after')");
    await tx.commit();
    tx.close();
    release();
    expect((await store.client.execute("SELECT count(*) FROM events")).rows[0]![0]).toBe(1);
  });

  it("counts a writer's wait from when it began waiting, so one queued behind a failed writer fails too instead of waiting anew", async () => {
    const { store, lock } = await setup(400);
    const held = await lock();
    const since = performance.now();
    const first = beginWrite(store.client).then(
      () => "took the lock",
      (e: unknown) => e,
    );
    const second = beginWrite(store.client, { waitingSince: since }).then(
      () => "took the lock",
      (e: unknown) => e,
    );
    expect(await first).toMatchObject({ code: "SQLITE_BUSY" });
    expect(await second).toMatchObject({ code: "SQLITE_BUSY" });
    await held.rollback();
  });

  it("tries once with a busy timeout of 0", async () => {
    const { store } = await setup(0);
    const { tx, release } = await beginWrite(store.client);
    tx.close();
    release();
  });

  it("leaves every pooled connection with the configured busy timeout after an error that rolled the lock's transaction back", async () => {
    const { store } = await setup(3_000);
    // The client as beginWrite sees it, except that taking the lock fails the way an I/O error
    // or a full disk makes it fail: SQLite has rolled the transaction back (it is closed).
    const ioError = Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR" });
    const failing = new Proxy(store.client, {
      get(target, prop, receiver) {
        if (prop !== "transaction") return Reflect.get(target, prop, receiver) as unknown;
        return async (mode: "deferred") => {
          const tx = await target.transaction(mode);
          return new Proxy(tx, {
            get(t, p, r) {
              if (p !== "executeMultiple") {
                const v = Reflect.get(t, p, r) as unknown;
                return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(t) : v;
              }
              return async (sql: string) => {
                if (!sql.includes(TAKE_WRITE_LOCK)) return t.executeMultiple(sql);
                await t.execute("ROLLBACK");
                throw ioError;
              };
            },
          });
        };
      },
    }) as Client;
    setWriteLockBudget(failing, 3_000);
    await expect(beginWrite(failing)).rejects.toBe(ioError);
    // Every connection of the pool: one transaction each holds them all at once.
    const txs = await Promise.all(Array.from({ length: 20 }, () => store.client.transaction("deferred")));
    try {
      const timeouts = await Promise.all(txs.map(async (tx) => Number((await tx.execute("PRAGMA busy_timeout")).rows[0]![0])));
      expect(timeouts).toEqual(txs.map(() => 3_000));
    } finally {
      for (const tx of txs) tx.close();
    }
  });
});
