/**
 * The transport's public types, apart from its logic so other modules can name them without
 * importing the class. `transport.ts` re-exports all of them.
 */
import type { SeamtraceEvent } from "./types.js";

/** The part of a `fetch` `Response` the transport reads. */
export interface TransportResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/**
 * Sends one HTTP request; `fetch`-compatible. Inject one in tests, or to route through your own
 * HTTP client. It may throw or reject: that counts as a network error and is retried.
 * @example
 * const request: RequestFn = async (url, init) => {
 *   const res = await myFetch(url, init);
 *   return { status: res.status, headers: res.headers, text: () => res.text() };
 * };
 */
export type RequestFn = (
  url: string,
  init: { method: "GET" | "POST"; headers: Record<string, string>; body?: Uint8Array | string; signal?: AbortSignal },
) => Promise<TransportResponse>;

/**
 * Transport settings. Only `endpoint` is required.
 * @example
 * new Transport({ endpoint: "http://localhost:7077", apiKey: "st_…", flushIntervalMs: 500 });
 */
export interface TransportOptions {
  /** Collector base URL, e.g. `http://localhost:7077`; batches go to `${endpoint}/v1/events`. */
  endpoint: string;
  /** Sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
  /** Default: `globalThis.fetch`. */
  request?: RequestFn;
  /** Events per request. Default 500; at most 1,000 (the collector's limit). */
  maxBatchEvents?: number;
  /** Uncompressed JSON body size per request. Default 1,000,000; at most 5,000,000. */
  maxBatchBytes?: number;
  /** How long an event may wait for a batch to fill. Default 1000. */
  flushIntervalMs?: number;
  /** Events held in memory, in flight included. Past it new events drop (`buffer_full`). Default 10,000. */
  maxBufferEvents?: number;
  /** Gzip request bodies where `CompressionStream` exists. Default true. */
  gzip?: boolean;
  /** Smallest wait before a retry. Default 500. */
  minBackoffMs?: number;
  /** Largest backoff (a `Retry-After` may ask for longer, up to 10 minutes). Default 30,000. */
  maxBackoffMs?: number;
  /** A request (body included) taking longer is aborted and retried like a network error. Default 30,000. */
  requestTimeoutMs?: number;
  /** Jitter source in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Diagnostics: network errors, refused batches, unserialisable events. Its own throws are ignored. */
  onError?: (err: unknown) => void;
  /**
   * Keeps buffered events across a process crash: each event is serialised and handed to the
   * spool when it is buffered (not at flush time), and what an earlier process left is sent
   * first. Node: `FileSpool` from `@seamtrace/sdk/spool`.
   */
  spool?: EventSpool;
}

/**
 * Durable storage for the buffer (see `TransportOptions.spool`). Events leave it in the order
 * they entered: the transport settles its oldest batch first.
 */
export interface EventSpool {
  /** Events an earlier process left unsettled, oldest first. Called once, by the constructor. */
  recover(): Array<{ json: string; id: string | undefined }>;
  /**
   * Stores one event's wire JSON before it is buffered. False when the spool is full: the event
   * is dropped (`spool_full`). A throw drops it too (`spool_error`).
   */
  append(json: string): boolean;
  /** The oldest `count` events are settled (delivered, or refused for good): forget them. */
  ack(count: number): void;
  /** Called once the transport has shut down. Events still stored are replayed by the next process. */
  close(): void;
}

/**
 * Counters since the transport was created; `stats()` returns a fresh copy. Item counts include
 * the transport's own `sdk.dropped` reports, which travel like any other event.
 */
export interface TransportStats {
  /** Events waiting, including the batch in flight. */
  buffered: number;
  /** Items the server answered `accepted`. */
  sent: number;
  /** Items answered `duplicate`: already stored, so delivered. */
  duplicates: number;
  /** Items the server refused individually; never retried. */
  rejected: number;
  rejectedByCode: Record<string, number>;
  /**
   * By reason: `buffer_full`, `serialize_error`, `too_large`, `http_<status>`, `shutdown`, and
   * with a spool `spool_full`, `spool_error`. Events dropped at `shutdown` stay in a spool.
   */
  dropped: Record<string, number>;
  droppedTotal: number;
  /** HTTP requests made. */
  batches: number;
  retries: number;
  lastError?: string;
}

/** What became of the events buffered when `flush()` was called. */
export interface FlushResult {
  /** Accepted or duplicate. */
  delivered: number;
  /** Rejected, dropped, or still buffered when the flush timed out. */
  undelivered: number;
}

/** What became of the events buffered when `shutdown()` was called. */
export interface ShutdownResult {
  delivered: number;
  undelivered: number;
  /** Drops by reason over the transport's lifetime, the final `shutdown` drops included. */
  dropped: Record<string, number>;
  /** True when the deadline came (or would have come before the next retry) with events unsent. */
  timedOut: boolean;
}

/**
 * Where a client's events go instead of the transport (`SeamtraceOptions.sink`): `write` is
 * called synchronously for every event the SDK emits. `MemorySink` from `@seamtrace/sdk/memory`
 * keeps them in memory for tests and evaluations.
 */
export interface EventSink {
  /** Must not throw (a throw is reported through `onError` and the event is lost). */
  write(event: SeamtraceEvent | Deferred): void;
}

/**
 * An event whose wire form is built at flush time rather than on the step's hot path.
 * `toWire()` is called once, when the event is put into a batch; if it throws, the event is
 * dropped (`serialize_error`).
 */
export interface Deferred {
  toWire(): SeamtraceEvent;
}
