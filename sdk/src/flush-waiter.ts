/**
 * One pending `flush()` (or `shutdown()`): counts how the events buffered at its call settle.
 * Events leave the buffer in order and each gets a sequence number, so "buffered at call time"
 * is exactly "sequence number below `upTo`, not yet settled".
 */
import type { FlushResult } from "./transport-types.js";

export class FlushWaiter {
  readonly promise: Promise<FlushResult>;
  private delivered = 0;
  private settled = 0;
  private done = false;
  private resolve!: (result: FlushResult) => void;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    /** Events with a sequence number below this were buffered when the waiter was made. */
    readonly upTo: number,
    /** How many of them were still unsettled then. */
    private readonly total: number,
    /** Epoch ms after which the caller stops waiting; `Infinity` for none. */
    readonly deadline: number,
    private readonly onDone: (waiter: FlushWaiter) => void,
  ) {
    this.promise = new Promise((resolve) => (this.resolve = resolve));
    if (total === 0) this.finish();
    else if (deadline !== Infinity) {
      // Not unref'd: the host is awaiting this, and must not exit with the promise unsettled.
      this.timer = setTimeout(() => this.finish(), Math.max(0, deadline - Date.now()));
    }
  }

  settle(delivered: boolean): void {
    if (this.done) return;
    if (delivered) this.delivered++;
    if (++this.settled >= this.total) this.finish();
  }

  /** Resolves now; events not yet delivered count as undelivered. */
  finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.onDone(this);
    this.resolve({ delivered: this.delivered, undelivered: this.total - this.delivered });
  }
}
