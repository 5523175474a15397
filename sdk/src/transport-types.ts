/**
 * The transport's public types, apart from its logic so other modules can name them without
 * importing the class. `transport.ts` re-exports all of them.
 */
import type { Logger, Notices } from "./notices.js";
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
  /**
   * Diagnostics: network errors, refused batches, unserialisable events, and once per cause a
   * `SeamtraceNotice` (the line the logger got). Its own throws are ignored.
   */
  onError?: (err: unknown) => void;
  /**
   * Where the one-line notices go (a refused API key, a collector unreachable past
   * `unreachableGraceMs`, the first drop of each reason): the console by default; `false` silences them.
   */
  logger?: Logger | false;
  /** How long delivery may fail before the logger is told the collector is unreachable. Default 10,000. */
  unreachableGraceMs?: number;
  /**
   * While a retry waits after the collector could not be reached, `GET /healthz` is tried this
   * often (jittered ±25%), and the retry goes at once when it answers: delivery resumes within
   * about this long of the collector's return, however long the backoff has grown. Default 1000.
   */
  probeIntervalMs?: number;
  /**
   * Keeps buffered events across a process crash: each event is serialised and handed to the
   * spool when it is buffered (not at flush time), and what an earlier process left is sent
   * first. With a spool that can `read`, events past `maxBufferEvents` wait on disk instead of
   * being dropped, up to the spool's own limit. Node: `FileSpool` from `@seamtrace/sdk/spool`.
   */
  spool?: EventSpool;
  /** @internal The client's notices, shared with its policy client and resumer. */
  notices?: Notices;
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
  /**
   * Up to `max` unsettled events, oldest first, after the first `skip` unsettled ones. With it
   * the spool extends the memory buffer: events past `maxBufferEvents` stay only here, and are
   * read back as memory frees up. Without it, `maxBufferEvents` bounds the spool too.
   */
  read?(skip: number, max: number): Array<{ json: string; id: string | undefined }>;
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

/**
 * The shutdown report: what became of every event over the client's life. Print it at the end of
 * a script; `undelivered > 0` means the collector does not have everything.
 * @example
 * const report = await st.shutdown();
 * console.log("seamtrace", report); // { delivered: 7, undelivered: 0, undeliveredByReason: {}, ... }
 * if (report.undelivered > 0) process.exitCode = 1;
 */
export interface ShutdownResult {
  /** Events the collector stored (answered `accepted` or `duplicate`). */
  delivered: number;
  /** Events it does not have: the sum of `undeliveredByReason`. */
  undelivered: number;
  /**
   * Why, per reason: a drop reason (`buffer_full`, `http_401`, `spool_full`, `shutdown`, …; see
   * `TransportStats.dropped`) or `rejected:<code>` for events the collector refused. Events
   * counted as `shutdown` stay in a spool, for the next process to send.
   */
  undeliveredByReason: Record<string, number>;
  /** Drops by reason over the transport's lifetime (the SDK's own drop reports included). */
  dropped: Record<string, number>;
  /** True when the deadline came (or would have come before the next retry) with events unsent. */
  timedOut: boolean;
  /** The last delivery problem, when there was one. */
  lastError?: string;
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
