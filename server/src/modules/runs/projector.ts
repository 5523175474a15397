import type { Store } from "../../platform/db/client.js";
import type { Logger } from "../../app/logger.js";
import type { Transaction } from "@libsql/client";
import type { AppendedEvent } from "../ingest/store.js";
import { foldAppended, projectionLag, projectPending, unprojectedSince } from "./projection-store.js";
import { isTransientStoreError } from "../../platform/db/store-errors.js";
import { nextTrouble, noteWriteCommitted, noteWriteFailed, storeCondition, type Trouble } from "../../platform/db/store-health.js";

/** What a read was answered from: everything acknowledged, or what was projected when the store could not take the projection's writes. */
export type Freshness =
  | { stale: false }
  | {
      stale: true;
      /** Why the projection could not catch up: another process holds the write lock, the disk is full, or the store failed otherwise. */
      reason: Trouble | "unavailable";
      /** Events acknowledged but not in the answer. */
      lag: number;
      /** When the oldest of them was acknowledged (ms). */
      since: number | null;
    };

/**
 * After a projection failed: passes that commits start wait this long after the failure, and a
 * read, while the disk is full, serves what is projected rather than try again sooner.
 */
const RETRY_MS = 1_000;

export interface ProjectionLag {
  /** The newest `events.seq`. */
  head: number;
  /** `events.seq` up to which everything is projected. */
  position: number;
  /** Events acknowledged but not yet folded into runs and steps. */
  lag: number;
  /** How long the oldest of them has waited, in ms; 0 with no lag. */
  ageMs: number;
}

export interface ProjectorOptions {
  /** Events folded per transaction by a pass, and older events an ingest commit folds before its own. */
  chunk?: number;
  log?: Logger;
}

/**
 * Keeps runs and steps projected from the event log.
 *
 * Each ingest commit folds the events it appends, in the same transaction (`foldAppended`): what
 * is acknowledged is projected, and the dashboard, the review queue and the gates' server-side
 * state never trail ingest. The log is folded in order, so a commit that finds older events
 * waiting (a backlog at start, events the OTLP close job appended, a fold that failed) folds up
 * to a chunk of them first; whatever it leaves, a pass started after the commit (`notify`)
 * catches up, giving way to ingest between chunks. Events appended while ingest is idle wait for
 * the next commit, or for a read that catches up first.
 *
 * A fold that fails is rolled back alone and the events commit without it; folding in commits
 * then stops until a pass has folded some events, so a projection that keeps failing costs
 * commits nothing, and the passes that retry it (and log why) are spaced `RETRY_MS` apart.
 *
 * Readers that must see their own writes (the query API) call `sync()` first.
 */
export class Projector {
  private readonly chunk: number;
  private readonly log: Logger | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  /** When a pass or a fold last failed (ms): spaces out retries. */
  private lastFailure = 0;
  /** A commit left events unprojected: the next `notify` starts a pass. */
  private behind = false;
  /** A fold failed and no pass has folded events since: commits leave their events to the passes. */
  private foldsSuspended = false;
  /** A pass is queued that has not started: it will see whatever is committed before it does. */
  private passQueued = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly store: Store,
    options: ProjectorOptions = {},
  ) {
    this.chunk = options.chunk ?? 2_000;
    this.log = options.log;
  }

  /**
   * Inside an ingest write transaction, before it commits: folds the events it appended into
   * runs and steps (projection-store.ts `foldAppended`), with up to a chunk of older events still
   * waiting, so what is acknowledged is projected in the same commit. A fold that fails is rolled
   * back to before it, and the events still commit; if SQLite rolled back the whole transaction
   * (an I/O error, a full disk it could not contain to one statement), the fold's error is the
   * commit's.
   */
  readonly foldAppended = async (tx: Transaction, appendedAfter: number, appended: ReadonlyMap<string, AppendedEvent>): Promise<void> => {
    if (this.closed) return;
    if (this.foldsSuspended) {
      this.behind = true;
      return;
    }
    await tx.execute("SAVEPOINT fold_appended");
    try {
      const { left } = await foldAppended(tx, appendedAfter, appended, Date.now(), this.chunk);
      await tx.execute("RELEASE fold_appended");
      if (left) this.behind = true;
    } catch (err) {
      // Either way, commits leave their events to the passes until one has folded some.
      this.behind = true;
      this.foldsSuspended = true;
      this.lastFailure = Date.now();
      this.log?.error("projection failed", { err: err instanceof Error ? err.message : String(err) });
      // SQLite rolled back the whole transaction: the commit fails with the fold's error, and
      // the next one appends without folding.
      if (tx.closed) throw err;
      try {
        await tx.execute("ROLLBACK TO fold_appended");
        await tx.execute("RELEASE fold_appended");
      } catch {
        throw err;
      }
    }
  };

  /** Called after each ingest commit (whether or not it stored events): starts a pass if a commit left events unprojected. */
  notify(): void {
    if (this.closed || !this.behind) return;
    this.behind = false;
    this.schedulePass();
  }

  private schedulePass(): void {
    if (this.passQueued || this.retryTimer !== undefined || this.closed) return;
    const wait = this.lastFailure + RETRY_MS - Date.now();
    if (wait > 0) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.schedulePass();
      }, wait);
      this.retryTimer.unref?.();
      return;
    }
    this.passQueued = true;
    this.runOnce(Infinity).catch(() => {}); // logged in pass(); the next commit or sync retries
  }

  /** Resolves once every event committed before the call is projected. */
  async sync(): Promise<void> {
    // The caller's wait for the write lock counts from now, even while it queues behind a pass
    // that is failing for a busy store (then it fails too, instead of starting a new wait).
    let waitingSince: number | undefined = performance.now();
    // A read first: with nothing to project, readers must not queue behind writers for the lock.
    const { head, position: start } = await projectionLag(this.store.client);
    if (start >= head) return;
    for (;;) {
      await this.runOnce(Infinity, waitingSince);
      waitingSince = undefined; // progress was made: the next pass waits afresh
      const { position } = await projectionLag(this.store.client);
      if (position >= head) return;
    }
  }

  /**
   * For reads that must keep answering whatever the store's state: catches up like `sync()`, but
   * never waits on the write lock another process holds, nor on a full disk. The moment a writer
   * of this process finds the lock held (store-health.ts), or the projection fails, the read is
   * answered from what is projected, and told how far behind that is; the catch-up goes on in the
   * background and the next read is fresh again once it has committed.
   */
  async syncForRead(): Promise<Freshness> {
    const { head, position } = await projectionLag(this.store.client);
    if (position >= head) return { stale: false };
    const { fullSince } = storeCondition(this.store.client);
    if (fullSince !== null && Date.now() - this.lastFailure < RETRY_MS) return this.staleness("storage_full");
    const trouble = nextTrouble(this.store.client);
    const caughtUp = this.sync().then(
      () => null,
      (err: unknown) => {
        if (!isTransientStoreError(err)) throw err;
        return storeCondition(this.store.client).fullSince !== null ? ("storage_full" as const) : ("unavailable" as const);
      },
    );
    try {
      const outcome = await Promise.race([caughtUp, trouble.promise]);
      if (outcome === null) return { stale: false };
      // The pass keeps trying in the background; its failure is logged by pass().
      caughtUp.catch(() => {});
      return await this.staleness(outcome);
    } finally {
      trouble.cancel();
    }
  }

  private async staleness(reason: Trouble | "unavailable"): Promise<Freshness> {
    const { head, position } = await projectionLag(this.store.client);
    if (position >= head) return { stale: false };
    return { stale: true, reason, lag: head - position, since: await unprojectedSince(this.store.client, position) };
  }

  /**
   * Current lag, for health, metrics and the dashboard: events acknowledged but not yet
   * projected, and how long the oldest of them has waited (0 when none does).
   */
  async lag(now = Date.now()): Promise<ProjectionLag> {
    const { head, position, oldestPendingAt } = await projectionLag(this.store.client);
    const lag = Math.max(0, head - position);
    // Received times come from this process's clock (or another instance's): never negative.
    const ageMs = lag === 0 || oldestPendingAt === null ? 0 : Math.max(0, now - oldestPendingAt);
    return { head, position, lag, ageMs };
  }

  /** Stops scheduling and waits for a pass under way. Unprojected events stay in the log for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    await this.running;
  }

  /**
   * Runs up to `maxChunks` chunks; concurrent callers share the pass under way, then run their own.
   * The caller's wait for the write lock counts from `waitingSince` only if the pass before its
   * own failed (the store is busy: it fails too rather than waiting the whole timeout again).
   * After a pass that succeeded, however long it took, its wait starts afresh: the store was
   * making progress, and another process taking the lock right then is no reason for a 503.
   */
  private runOnce(maxChunks: number, waitingSince?: number): Promise<void> {
    const previous = this.running;
    // A pass that failed has already told its own callers; later ones run their own.
    const pass =
      previous === undefined
        ? Promise.resolve().then(() => this.pass(maxChunks, waitingSince))
        : previous.then(
            () => this.pass(maxChunks),
            () => this.pass(maxChunks, waitingSince),
          );
    const tracked = pass.finally(() => {
      if (this.running === tracked) this.running = undefined;
    });
    this.running = tracked;
    return tracked;
  }

  private async pass(maxChunks: number, waitingSince?: number): Promise<void> {
    this.passQueued = false;
    try {
      for (let i = 0; i < maxChunks; i++) {
        const { projected } = await projectPending(this.store.client, this.chunk, Date.now(), i === 0 ? waitingSince : undefined);
        if (projected > 0) {
          noteWriteCommitted(this.store.client);
          // The projection folds again: so may commits (one that fails suspends them again).
          this.foldsSuspended = false;
        }
        if (projected < this.chunk) return;
        // Yield between chunks so waiting ingest requests get the write lock in turn.
        await new Promise((r) => setImmediate(r));
      }
    } catch (err) {
      // The events are safe in the log; the next pass retries from the same cursor.
      this.lastFailure = Date.now();
      noteWriteFailed(this.store.client, err);
      this.log?.error("projection failed", { err: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }
}
