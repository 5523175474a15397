/**
 * Group commit. With `synchronous=FULL` every commit costs an fsync, so committing each request
 * on its own caps throughput at the disk's fsync rate. Requests that arrive while a commit is in
 * flight wait here and are merged into the next transaction (up to `maxWeightPerCommit`), and
 * each request's promise settles only after the transaction holding its items has committed.
 *
 * One commit runs at a time: SQLite has a single writer anyway, and a remote libSQL server
 * serialises write transactions too, so parallel commits would only queue inside the driver.
 */

export interface WriteQueueOptions<T, R> {
  /**
   * Writes every item in ONE transaction; returns one result per item, in order. `waitingSince`
   * is when the longest-waiting item was submitted (performance.now()), so the write lock's
   * busy timeout can count from there (store/write-transaction.ts).
   */
  commit(items: T[], waitingSince: number): Promise<R[]>;
  /** The cost of an item (e.g. its number of events). Default 1. */
  weight?(item: T): number;
  /** Weight merged into one transaction. A single heavier item still gets a commit of its own. */
  maxWeightPerCommit: number;
  /** Weight allowed to wait; past it `submit` fails with `WriteQueueFullError` (back-pressure). */
  maxPendingWeight: number;
  /**
   * Errors that say "the store cannot write now" (busy, disk full, I/O, connection lost). They
   * fail the whole group: retrying its items one by one would hit the same wall. Any other error
   * might come from one item's data, so a failed group is retried item by item, and only the
   * item that fails alone gets the error: one poisoned request never sinks its neighbours.
   */
  isTransient?(err: unknown): boolean;
}

export class WriteQueueClosedError extends Error {
  override readonly name = "WriteQueueClosedError";
  constructor() {
    super("the write queue is closed (the server is shutting down)");
  }
}

export class WriteQueueFullError extends Error {
  override readonly name = "WriteQueueFullError";
  constructor() {
    super("too many writes are waiting");
  }
}

interface Pending<T, R> {
  item: T;
  submittedAt: number;
  weight: number;
  resolve(result: R): void;
  reject(err: unknown): void;
}

export interface WriteQueueStats {
  /** Transactions attempted (merged groups plus item-by-item retries). */
  commits: number;
  /** Items that committed. */
  items: number;
  /** Items that failed. */
  failed: number;
}

export class WriteQueue<T, R> {
  readonly #options: WriteQueueOptions<T, R>;
  #queue: Array<Pending<T, R>> = [];
  #pendingWeight = 0;
  #draining: Promise<void> | null = null;
  #closed = false;
  readonly #stats: WriteQueueStats = { commits: 0, items: 0, failed: 0 };

  constructor(options: WriteQueueOptions<T, R>) {
    this.#options = options;
  }

  /** Queues `item`; resolves with its result once its transaction has committed. */
  submit(item: T): Promise<R> {
    if (this.#closed) return Promise.reject(new WriteQueueClosedError());
    const weight = this.#options.weight?.(item) ?? 1;
    // An idle queue always takes the item, however heavy, so no request can be refused forever.
    if (this.#queue.length > 0 && this.#pendingWeight + weight > this.#options.maxPendingWeight) {
      return Promise.reject(new WriteQueueFullError());
    }
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, weight, submittedAt: performance.now(), resolve, reject });
      this.#pendingWeight += weight;
      this.#draining ??= this.#drain();
    });
  }

  /** Refuses new items and resolves when everything already queued has been written (or failed). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#draining;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Items waiting for a transaction (not counting the one in flight). */
  get pending(): number {
    return this.#queue.length;
  }

  stats(): Readonly<WriteQueueStats> {
    return { ...this.#stats };
  }

  async #drain(): Promise<void> {
    try {
      // Yield one macrotask first so that requests which became ready in the same I/O turn
      // join the first group instead of each paying for an fsync of its own.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.#queue.length > 0) await this.#commitGroup(this.#takeGroup());
    } finally {
      this.#draining = null;
    }
  }

  #takeGroup(): Array<Pending<T, R>> {
    let weight = 0;
    let n = 0;
    while (n < this.#queue.length) {
      const w = this.#queue[n]!.weight;
      if (n > 0 && weight + w > this.#options.maxWeightPerCommit) break;
      weight += w;
      n++;
    }
    this.#pendingWeight -= weight;
    return this.#queue.splice(0, n);
  }

  async #commitGroup(group: Array<Pending<T, R>>): Promise<void> {
    try {
      const results = await this.#commit(group);
      group.forEach((p, i) => p.resolve(results[i]!));
      this.#stats.items += group.length;
      return;
    } catch (err) {
      if (group.length === 1 || this.#options.isTransient?.(err)) {
        for (const p of group) p.reject(err);
        this.#stats.failed += group.length;
        return;
      }
    }
    for (const p of group) await this.#commitGroup([p]);
  }

  async #commit(group: Array<Pending<T, R>>): Promise<R[]> {
    this.#stats.commits++;
    const results = await this.#options.commit(
      group.map((p) => p.item),
      Math.min(...group.map((p) => p.submittedAt)),
    );
    if (results.length !== group.length) throw new Error(`commit returned ${results.length} results for ${group.length} items`);
    return results;
  }
}
