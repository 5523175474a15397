/**
 * How long the transport waits before resending a batch. Kept apart from the transport so the
 * arithmetic can be tested against a fixed clock and a fixed random source.
 */

/**
 * Statuses worth resending the same batch for: rate limited, or a gateway that may
 * recover. Any other answer would come back the same, so retrying only adds load to a server
 * that already said no.
 */
const RETRYABLE = new Set([429, 502, 503, 504]);

/** True when a batch answered with `status` should be sent again later. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE.has(status);
}

/**
 * The longest `Retry-After` honoured: a misconfigured or hostile server must not park the SDK
 * for hours while its bounded buffer overflows.
 */
export const MAX_RETRY_AFTER_MS = 600_000;

/**
 * Milliseconds to wait according to a `Retry-After` header (RFC 9110 §10.2.3): delta-seconds or
 * an HTTP-date. `undefined` when absent or unparseable; 0 for a date already past.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  // Fractions are not in the RFC, but some proxies send them; rounding up keeps the promise.
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  // HTTP-dates only; a bare number like "-1" or "1e3" must not be read as a year by Date.parse.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * Exponential backoff with full jitter above a floor: a uniform draw in
 * `[minMs, min(maxMs, minMs * 2^(attempt+1))]`. The jitter spreads clients that failed together
 * (the usual case when a collector restarts); the floor keeps a `random()` of 0 from turning
 * into a hot loop against a server that is down.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt + 1, 40));
  let r = random();
  if (!(r >= 0 && r < 1)) r = 0.5; // a broken random source must not produce NaN or negative waits
  return minMs + r * Math.max(0, ceiling - minMs);
}

/** Backoff options as the transport holds them. */
export interface BackoffOptions {
  minBackoffMs: number;
  maxBackoffMs: number;
  random: () => number;
}

/**
 * The wait before retry number `attempt + 1`. A `Retry-After` is honoured in full (it is the
 * server telling us when it can take the load), up to {@link MAX_RETRY_AFTER_MS}; it never
 * shortens the backoff.
 */
export function retryDelay(attempt: number, retryAfterMs: number | undefined, opts: BackoffOptions): number {
  const backoff = backoffDelay(attempt, opts.minBackoffMs, opts.maxBackoffMs, opts.random);
  if (retryAfterMs === undefined) return backoff;
  return Math.min(Math.max(backoff, retryAfterMs), MAX_RETRY_AFTER_MS);
}
