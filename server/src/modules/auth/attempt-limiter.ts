/**
 * Counts failed attempts per key in a fixed window and refuses further attempts once a key has
 * used its allowance, until its window ends. In memory, per process; login-throttle.ts keys it by
 * client address and by device.
 */
export interface AttemptLimiterOptions {
  maxFailures: number;
  windowMs: number;
  /** Keys tracked at most; past it the oldest window is forgotten, so memory stays bounded. */
  maxKeys?: number;
}

interface Window {
  start: number;
  failures: number;
}

export class AttemptLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly maxKeys: number;

  constructor(private readonly options: AttemptLimiterOptions) {
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  /** Milliseconds until `key` may try again, or 0 when it may try now. */
  retryAfterMs(key: string, now: number): number {
    const w = this.live(key, now);
    if (!w || w.failures < this.options.maxFailures) return 0;
    return w.start + this.options.windowMs - now;
  }

  fail(key: string, now: number): void {
    const w = this.live(key, now);
    if (w) {
      w.failures++;
      return;
    }
    if (this.windows.size >= this.maxKeys) this.evict(now);
    this.windows.set(key, { start: now, failures: 1 });
  }

  /** Takes back one failure counted for `key` (an attempt counted up front that succeeded). */
  forgive(key: string): void {
    const w = this.windows.get(key);
    if (w && w.failures > 0) w.failures--;
  }

  /** A success forgets the key's failures: a user who mistyped twice starts afresh. */
  succeed(key: string): void {
    this.windows.delete(key);
  }

  private live(key: string, now: number): Window | undefined {
    const w = this.windows.get(key);
    if (w && now - w.start >= this.options.windowMs) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }

  private evict(now: number): void {
    for (const [key, w] of this.windows) if (now - w.start >= this.options.windowMs) this.windows.delete(key);
    // Still full of live windows: drop the oldest (Map keeps insertion order).
    if (this.windows.size >= this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
  }
}
