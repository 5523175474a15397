/**
 * Transport settings with defaults applied and out-of-range values pulled into range, so a bad
 * option degrades the SDK instead of breaking the host.
 */
import { defaultRequest } from "./http-post.js";
import type { BackoffOptions } from "./retry-delay.js";
import type { RequestFn, TransportOptions } from "./transport-types.js";

/** The collector's limits: a bigger batch would be refused whole. */
const SERVER_MAX_EVENTS = 1000;
const SERVER_MAX_BYTES = 5_000_000;
/** setTimeout fires at once for delays beyond a signed 32-bit int. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ResolvedOptions extends BackoffOptions {
  /** The collector's base URL, without a trailing slash. */
  endpoint: string;
  url: string;
  request: RequestFn;
  headers: Readonly<Record<string, string>>;
  maxBatchEvents: number;
  maxBatchBytes: number;
  flushIntervalMs: number;
  maxBufferEvents: number;
  gzip: boolean;
  requestTimeoutMs: number;
  unreachableGraceMs: number;
  probeIntervalMs: number;
  onError: ((err: unknown) => void) | undefined;
}

export function resolveOptions(opts: TransportOptions): ResolvedOptions {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (opts.apiKey) headers.Authorization = `Bearer ${opts.apiKey}`;
  const minBackoffMs = clamp(opts.minBackoffMs, 500, 0, MAX_TIMER_MS);
  const endpoint = String(opts.endpoint).replace(/\/+$/, "");
  return {
    endpoint,
    url: `${endpoint}/v1/events`,
    request: opts.request ?? defaultRequest,
    headers,
    maxBatchEvents: clamp(opts.maxBatchEvents, 500, 1, SERVER_MAX_EVENTS),
    maxBatchBytes: clamp(opts.maxBatchBytes, 1_000_000, 1, SERVER_MAX_BYTES),
    flushIntervalMs: clamp(opts.flushIntervalMs, 1000, 0, MAX_TIMER_MS),
    maxBufferEvents: clamp(opts.maxBufferEvents, 10_000, 1, Number.MAX_SAFE_INTEGER),
    gzip: opts.gzip ?? true,
    minBackoffMs,
    maxBackoffMs: clamp(opts.maxBackoffMs, 30_000, minBackoffMs, MAX_TIMER_MS),
    random: opts.random ?? Math.random,
    requestTimeoutMs: clamp(opts.requestTimeoutMs, 30_000, 1, MAX_TIMER_MS),
    unreachableGraceMs: clamp(opts.unreachableGraceMs, 10_000, 0, MAX_TIMER_MS),
    // Below 100 ms a fleet of clients would hammer a collector that is coming back up.
    probeIntervalMs: clamp(opts.probeIntervalMs, 1000, 100, MAX_TIMER_MS),
    onError: opts.onError,
  };
}

/** `value` within [min, max]; `fallback` when it is not a number. */
export function clamp(value: number | undefined, fallback: number, min: number, max: number): number {
  const n = typeof value === "number" && !Number.isNaN(value) ? value : fallback;
  return Math.min(max, Math.max(min, n));
}
