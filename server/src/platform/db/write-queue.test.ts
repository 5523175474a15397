import { describe, expect, it } from "vitest";
import { WriteQueue, WriteQueueClosedError, WriteQueueFullError, type WriteQueueOptions } from "./write-queue.js";

/** A fake store: records each commit's items and lets the test decide when each commit finishes. */
function fakeStore(fail?: (items: number[]) => unknown) {
  const commits: number[][] = [];
  const gates: Array<() => void> = [];
  const commit = async (items: number[]): Promise<string[]> => {
    commits.push(items);
    await new Promise<void>((resolve) => gates.push(resolve));
    const err = fail?.(items);
    if (err) throw err;
    return items.map((n) => `ok ${n}`);
  };
  /** Finishes the commit in flight, once it has started. */
  const release = async () => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()!();
    await new Promise((r) => setImmediate(r));
  };
  return { commits, commit, release };
}

function queue(store: { commit(items: number[]): Promise<string[]> }, options: Partial<WriteQueueOptions<number, string>> = {}) {
  return new WriteQueue<number, string>({ maxWeightPerCommit: 100, maxPendingWeight: 1_000, ...store, ...options });
}

const settled = <T>(p: Promise<T>) => {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  p.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
};

describe("WriteQueue", () => {
  it("merges items submitted while a commit is in flight into the next single commit", async () => {
    const store = fakeStore();
    const q = queue(store);
    const first = settled(q.submit(1));
    // the first commit starts alone; everything after it waits for the next one
    while (store.commits.length === 0) await new Promise((r) => setImmediate(r));
    const rest = [2, 3, 4, 5].map((n) => settled(q.submit(n)));
    await store.release();
    expect(first).toMatchObject({ done: true, value: "ok 1" });
    expect(rest.every((s) => !s.done)).toBe(true); // not before their own commit
    await store.release();
    expect(store.commits).toEqual([[1], [2, 3, 4, 5]]);
    expect(rest.map((s) => s.value)).toEqual(["ok 2", "ok 3", "ok 4", "ok 5"]);
    expect(q.stats()).toEqual({ commits: 2, items: 5, failed: 0 });
  });

  it("merges items submitted in the same turn into one commit", async () => {
    const store = fakeStore();
    const q = queue(store);
    const all = Promise.all([1, 2, 3].map((n) => q.submit(n)));
    await store.release();
    expect(await all).toEqual(["ok 1", "ok 2", "ok 3"]);
    expect(store.commits).toEqual([[1, 2, 3]]);
  });

  it("bounds a commit by weight, and still commits an item heavier than the bound on its own", async () => {
    const store = fakeStore();
    const q = queue(store, { weight: (n) => n, maxWeightPerCommit: 10 });
    const all = Promise.all([4, 5, 6, 30, 1].map((n) => q.submit(n)));
    for (let i = 0; i < 4; i++) await store.release();
    await all;
    expect(store.commits).toEqual([[4, 5], [6], [30], [1]]);
  });

  it("fails every item of a group on a transient error, and goes on with the next group", async () => {
    const busy = Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
    const store = fakeStore((items) => (items.includes(1) ? busy : undefined));
    const q = queue(store, { isTransient: (e) => (e as { code?: string }).code === "SQLITE_BUSY" });
    const group = [1, 2].map((n) => settled(q.submit(n)));
    while (store.commits.length === 0) await new Promise((r) => setImmediate(r));
    const later = settled(q.submit(3));
    await store.release();
    await store.release();
    expect(group.map((s) => s.error)).toEqual([busy, busy]);
    expect(later).toMatchObject({ done: true, value: "ok 3" });
    expect(store.commits).toEqual([[1, 2], [3]]); // no item-by-item retry into a busy store
  });

  it("retries a group item by item on another error, so only the poisoned item fails", async () => {
    const poison = new Error("constraint failed");
    const store = fakeStore((items) => (items.includes(2) ? poison : undefined));
    const q = queue(store);
    const all = [1, 2, 3].map((n) => settled(q.submit(n)));
    for (let i = 0; i < 4; i++) await store.release();
    expect(all.map((s) => s.value ?? s.error)).toEqual(["ok 1", poison, "ok 3"]);
    expect(store.commits).toEqual([[1, 2, 3], [1], [2], [3]]);
    expect(q.stats()).toMatchObject({ items: 2, failed: 1 });
  });

  it("refuses items once the pending weight is past its bound", async () => {
    const store = fakeStore();
    const q = queue(store, { maxPendingWeight: 2 });
    const accepted = [1, 2].map((n) => q.submit(n));
    await expect(q.submit(3)).rejects.toBeInstanceOf(WriteQueueFullError);
    await store.release();
    await expect(Promise.all(accepted)).resolves.toEqual(["ok 1", "ok 2"]);
  });

  it("close() writes everything already queued, then refuses new items", async () => {
    const store = fakeStore();
    const q = queue(store);
    const queued = [1, 2].map((n) => settled(q.submit(n)));
    const closed = settled(q.close());
    await expect(q.submit(3)).rejects.toBeInstanceOf(WriteQueueClosedError);
    expect(closed.done).toBe(false);
    await store.release();
    expect(closed.done).toBe(true);
    expect(queued.map((s) => s.value)).toEqual(["ok 1", "ok 2"]);
    await q.close(); // idempotent
  });
});
