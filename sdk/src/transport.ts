/**
 * The SDK's transport (`POST /v1/events`): a bounded buffer drained in
 * the background, one gzipped batch in flight at a time so events arrive in order. It never
 * throws into the host, never retries what the server refused, and counts every drop by reason.
 * After an outage it is back within about a probe interval, however long its backoff has grown;
 * with a disk spool, what memory cannot hold waits on disk; and it tells the developer, once
 * per cause, when delivery is failing (delivery-notices.ts).
 */
import { batchBody, ENVELOPE_BYTES, serializeEvent, utf8Length, type BatchItem } from "./batch.js";
import { DeliveryLedger } from "./delivery-ledger.js";
import { EventQueue } from "./event-queue.js";
import type { FlushWaiter } from "./flush-waiter.js";
import { gzip } from "./gzip.js";
import { errorSummary, post, type Answer } from "./http-post.js";
import { DeliveryNotices } from "./delivery-notices.js";
import { Notices } from "./notices.js";
import { isRetryableStatus, parseRetryAfter, retryDelay } from "./retry-delay.js";
import { unrefTimer } from "./timers.js";
import { clamp, MAX_TIMER_MS, resolveOptions, type ResolvedOptions } from "./transport-options.js";
import type { Deferred, EventSpool, FlushResult, ShutdownResult, TransportOptions, TransportStats } from "./transport-types.js";
import type { SeamtraceEvent } from "./types.js";
import { uuidv7 } from "./uuid.js";

export type {
  Deferred,
  EventSink,
  EventSpool,
  FlushResult,
  RequestFn,
  ShutdownResult,
  TransportOptions,
  TransportResponse,
  TransportStats,
} from "./transport-types.js";

/** An event serialised when it was buffered, because a spool had to store it then. */
type Serialized = { json: string; id: string | undefined };

interface Batch {
  items: BatchItem[];
  /** Built once and kept, so a retry resends the same bytes. */
  body?: Uint8Array | string;
  gzipped: boolean;
  attempt: number;
}

/**
 * Batches events to `POST /v1/events` in the background. `enqueue` is O(1) and never throws;
 * `flush` and `shutdown` never reject.
 * @example
 * const transport = new Transport({ endpoint: "http://localhost:7077", apiKey: process.env.SEAMTRACE_API_KEY });
 * transport.enqueue(event);
 * const { undelivered } = await transport.shutdown({ timeoutMs: 5000 });
 */
export class Transport {
  private readonly opts: ResolvedOptions;
  private readonly ledger: DeliveryLedger;
  private readonly told: DeliveryNotices;

  private readonly spool: EventSpool | undefined;
  /** With a spool, every queued item is `Serialized`; without one, none is. */
  private readonly queue = new EventQueue<SeamtraceEvent | Deferred | Serialized>();
  /** Batches taken from the queue and not yet settled; the first is the one being sent. */
  private pending: Batch[] = [];
  /** Items in `pending`; they count against the buffer bound until settled. */
  private inflight = 0;
  /** Events taken from the queue so far, i.e. the next one's sequence number. */
  private taken = 0;
  /**
   * Events past the memory bound, held only by the spool; they follow the queue, in order, and
   * are read back as memory frees up.
   */
  private spilled = 0;
  /** Events with a sequence number below this are due now (a tick, flush or shutdown asked). */
  private drainMark = 0;

  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerDelay = 0;
  private pumping: Promise<void> | undefined;
  private controller: AbortController | undefined;
  private probing: AbortController | undefined;
  private wake: (() => void) | undefined;
  /** Shutdown was called: new events are dropped. */
  private closed = false;
  /** No more network activity; whatever is left gets dropped. */
  private halted = false;
  private deadline = Infinity;
  private closing: Promise<ShutdownResult> | undefined;

  constructor(opts: TransportOptions) {
    const o = (this.opts = resolveOptions(opts));
    const notices = opts.notices ?? new Notices(opts.logger, o.onError, o.endpoint, !!opts.apiKey);
    const told = (this.told = new DeliveryNotices(notices, o, () => this.ledger.lastError));
    this.ledger = new DeliveryLedger(o.onError, (kind, reason, detail) => told.lost(kind, reason, detail));
    const spool = (this.spool = opts.spool);
    try {
      // An earlier process's events go first. A spool that can read them back keeps those past
      // the memory bound on disk until there is room.
      const recovered = spool?.recover() ?? [];
      const keep = spool?.read ? Math.min(recovered.length, o.maxBufferEvents) : recovered.length;
      for (let i = 0; i < keep; i++) this.queue.push(recovered[i]!);
      this.spilled = recovered.length - keep;
      if (recovered.length > 0) this.schedule(0);
    } catch (err) {
      this.ledger.report(err);
    }
  }

  /**
   * Buffers an event: a wire event, or a {@link Deferred} one whose `toWire()` runs at flush
   * time. Either is serialised at flush time, so it must not change afterwards. Never throws:
   * past the buffer bound, or after shutdown, the event is dropped and counted.
   */
  enqueue(event: SeamtraceEvent | Deferred | Serialized): void {
    try {
      if (this.closed) return this.ledger.dropRefused("shutdown");
      const full = this.queue.length + this.inflight >= this.opts.maxBufferEvents;
      if (full && !this.spool?.read) return this.ledger.dropRefused("buffer_full");
      if (this.spool) {
        let stored: Serialized;
        try {
          stored = serializeEvent(event);
        } catch (err) {
          this.ledger.report(err);
          return this.ledger.dropRefused("serialize_error");
        }
        // Stored before it counts as buffered: a crash from here on loses nothing.
        try {
          if (!this.spool.append(stored.json)) return this.ledger.dropRefused("spool_full");
        } catch (err) {
          this.ledger.report(err);
          return this.ledger.dropRefused("spool_error");
        }
        event = stored;
        // Past the memory bound, and behind whatever already waits there, it waits on disk only.
        if (full || this.spilled > 0) {
          this.spilled++;
          if (this.pumping === undefined) this.schedule(0);
          return;
        }
      }
      this.queue.push(event);
      // Never send from here: enqueue runs on the step's hot path, inside user code.
      if (this.pumping === undefined) {
        this.schedule(this.queue.length >= this.opts.maxBatchEvents ? 0 : this.opts.flushIntervalMs);
      }
    } catch (err) {
      this.ledger.report(err);
    }
  }

  /** A fresh snapshot of the counters. */
  stats(): TransportStats {
    return this.ledger.snapshot(this.queue.length + this.inflight + this.spilled);
  }

  /**
   * Sends everything buffered now (after the batch in flight) and resolves once all of it is
   * delivered, refused or dropped, or at `timeoutMs` (default 5000: the events still unsent stay
   * buffered and count as undelivered). Never rejects.
   */
  flush(opts?: { timeoutMs?: number }): Promise<FlushResult> {
    try {
      const waiter = this.waitForBuffered(Date.now() + clamp(opts?.timeoutMs, 5000, 0, MAX_TIMER_MS));
      if (!this.halted) void this.kick();
      return waiter.promise;
    } catch (err) {
      this.ledger.report(err);
      return Promise.resolve({ delivered: 0, undelivered: 0 });
    }
  }

  /**
   * Sends what is buffered at the next turn of the event loop instead of at the flush interval,
   * without waiting for it (an escalation should reach its reviewers promptly). Never throws.
   */
  flushSoon(): void {
    try {
      if (this.halted) return;
      // A drain under way takes the new events too; otherwise a timer, so the batch is built
      // off the caller's stack.
      if (this.pumping !== undefined) void this.kick();
      else this.schedule(0);
    } catch (err) {
      this.ledger.report(err);
    }
  }

  /**
   * Stops accepting events and timers, drains the buffer until `timeoutMs` (default 5000), then
   * drops whatever is left as `shutdown`, and resolves with the report of the transport's life
   * (delivered, undelivered by reason, last error). Idempotent: later calls return the same
   * promise. Never rejects.
   */
  shutdown(opts?: { timeoutMs?: number }): Promise<ShutdownResult> {
    this.closing ??= this.close(clamp(opts?.timeoutMs, 5000, 0, MAX_TIMER_MS)).catch((err: unknown) => {
      this.ledger.report(err);
      return this.ledger.summary(true);
    });
    return this.closing;
  }

  private async close(timeoutMs: number): Promise<ShutdownResult> {
    this.closed = true;
    this.clearTimer();
    this.deadline = Date.now() + timeoutMs;
    let deadlineTimer: ReturnType<typeof setTimeout> | undefined;
    // Deliberately not unref'd: the host awaits this promise, and an unref'd deadline could let
    // Node exit with it unsettled while a retry sleeps.
    const expired = new Promise<void>((resolve) => (deadlineTimer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.kick(), expired]);
    clearTimeout(deadlineTimer);
    const timedOut = this.queue.length > 0 || this.pending.length > 0 || this.spilled > 0;
    this.halt();
    if (timedOut) {
      this.told.leftAtShutdown(this.unsettled(this.queue.length + this.spilled), timeoutMs, this.spool !== undefined);
      this.told.quiet = true;
      this.dropRemaining();
      this.told.quiet = false;
    }
    this.ledger.reports.clear(); // nothing is left to carry them
    // What was dropped here stays in the spool, for the next process to send.
    try {
      this.spool?.close();
    } catch (err) {
      this.ledger.report(err);
    }
    return this.ledger.summary(timedOut);
  }

  /** Starts draining everything buffered now, or extends the drain already running. */
  private kick(): Promise<void> {
    this.clearTimer();
    this.drainMark = this.taken + this.queue.length + this.spilled;
    if (this.pumping === undefined) {
      const pump: Promise<void> = this.pump()
        .finally(() => {
          if (this.pumping === pump) this.pumping = undefined;
          if (!this.closed && (this.queue.length > 0 || this.spilled > 0 || this.ledger.reports.size > 0)) {
            this.schedule(this.opts.flushIntervalMs);
          }
        })
        .catch((err: unknown) => this.ledger.report(err)); // an unhandled rejection kills a Node host
      this.pumping = pump;
    }
    return this.pumping;
  }

  /** The only sender. It sends the front batch until it settles, so order holds across retries. */
  private async pump(): Promise<void> {
    try {
      while (!this.halted) {
        let batch = this.pending[0];
        if (batch === undefined) {
          const due = this.taken < this.drainMark || this.queue.length >= this.opts.maxBatchEvents || this.ledger.reports.size > 0;
          if (!due) return;
          batch = this.takeBatch();
          // Nothing to take (a spool that cannot read back yet): the next tick tries again.
          if (batch === undefined) {
            if (this.queue.length === 0) return;
            continue;
          }
          this.pending.push(batch);
          this.inflight += batch.items.length;
        }
        await this.send(batch);
      }
    } catch (err) {
      this.ledger.report(err);
    }
  }

  /** Serialises events off the front of the queue, up to the count and byte limits. */
  private takeBatch(): Batch | undefined {
    this.refill();
    const items: BatchItem[] = [];
    let bytes = ENVELOPE_BYTES;
    // Drop reports ride at the front of the next batch, outside the buffer bound.
    for (const report of this.ledger.reports.take(this.opts.maxBatchEvents, uuidv7)) {
      const json = JSON.stringify(report);
      bytes += utf8Length(json) + (items.length > 0 ? 1 : 0);
      items.push({ json, id: report.id, seq: -1 });
    }
    while (items.length < this.opts.maxBatchEvents && this.queue.length > 0) {
      let event: Serialized;
      try {
        const next = this.queue.peek()!;
        event = this.spool ? (next as Serialized) : serializeEvent(next);
      } catch (err) {
        this.queue.shift();
        this.ledger.report(err); // first, so the drop's notice names the cause
        this.ledger.dropTaken(this.taken++, 1, "serialize_error");
        continue;
      }
      const size = utf8Length(event.json) + (items.length > 0 ? 1 : 0);
      // An event over the limit on its own still goes, alone: the server decides (413).
      if (items.length > 0 && bytes + size > this.opts.maxBatchBytes) break;
      this.queue.shift();
      items.push({ json: event.json, id: event.id, seq: this.taken++ });
      bytes += size;
    }
    return items.length > 0 ? { items, gzipped: false, attempt: 0 } : undefined;
  }

  private async send(batch: Batch): Promise<void> {
    if (batch.body === undefined) {
      const json = batchBody(batch.items);
      const zipped = this.opts.gzip ? await gzip(json) : undefined;
      if (this.halted) return;
      batch.body = zipped ?? json;
      batch.gzipped = zipped !== undefined;
    }
    const headers = { ...this.opts.headers };
    if (batch.gzipped) headers["Content-Encoding"] = "gzip";
    const controller = new AbortController();
    this.controller = controller;
    this.ledger.batches++;
    let answer: Answer;
    try {
      answer = await post(this.opts.request, this.opts.url, headers, batch.body, this.opts.requestTimeoutMs, controller);
    } catch (err) {
      if (this.halted) return;
      this.ledger.report(err);
      this.failing();
      return this.retryLater(batch, undefined, true);
    } finally {
      this.controller = undefined;
    }
    if (this.halted) return;
    const { status } = answer;
    if (status >= 200 && status < 300) {
      this.told.working();
      this.settleFront(batch);
      return this.ledger.answered(batch.items, answer.text);
    }
    const summary = errorSummary(answer.text);
    this.ledger.report(new Error(`POST /v1/events answered ${status}${summary}`));
    if (status === 401 || status === 403) this.told.refused(status, summary);
    if (isRetryableStatus(status)) {
      this.failing();
      const retryAfter = parseRetryAfter(answer.retryAfter, Date.now());
      // A gateway with no word on when to come back is probed like a dead collector; a server
      // that says when (Retry-After), or that we are too fast (429), is taken at its word.
      return this.retryLater(batch, retryAfter, status !== 429 && retryAfter === undefined);
    }
    this.told.working();
    if (status === 413 && batch.items.length > 1) {
      // Too big for this server: the halves go in order, each halved again if need be.
      const half = Math.ceil(batch.items.length / 2);
      const halves = [batch.items.slice(0, half), batch.items.slice(half)];
      this.pending.splice(0, 1, ...halves.map((items) => ({ items, gzipped: false, attempt: 0 })));
      return;
    }
    this.settleFront(batch);
    this.ledger.drop(batch.items, status === 413 ? "too_large" : `http_${status}`);
  }

  /**
   * Waits out the backoff before the front batch goes again. With `probe`, a cheap
   * `GET /healthz` runs every `probeIntervalMs` meanwhile and ends the wait as soon as the
   * collector answers: the backoff keeps a dead collector from being sent whole batches, the
   * probe keeps a long backoff from outlasting the outage (events pile up, then drop, while a
   * healthy collector waits for the next try).
   */
  private async retryLater(batch: Batch, retryAfterMs: number | undefined, probe: boolean): Promise<void> {
    const o = this.opts;
    const delay = retryDelay(batch.attempt, retryAfterMs, o);
    const wakeAt = Date.now() + delay;
    // The front batch cannot go before the shutdown deadline, and nothing may overtake it.
    if (this.closed && wakeAt >= this.deadline) return this.halt();
    batch.attempt++;
    this.ledger.retries++;
    this.ledger.expire(wakeAt);
    await new Promise<void>((resolve) => {
      let done = false;
      let probeTimer: ReturnType<typeof setTimeout> | undefined;
      const timer = setTimeout(() => wake(), delay);
      unrefTimer(timer);
      const wake = (this.wake = () => {
        done = true;
        clearTimeout(timer);
        clearTimeout(probeTimer);
        resolve();
      });
      const next = (): void => {
        // Jittered, so clients that lost the collector together do not probe in step.
        const r = o.random();
        probeTimer = setTimeout(
          () => {
            void this.probe().then((up) => (done ? undefined : up ? wake() : next()));
          },
          o.probeIntervalMs * (0.75 + 0.5 * (r >= 0 && r < 1 ? r : 0.5)),
        );
        unrefTimer(probeTimer);
      };
      if (probe && delay > o.probeIntervalMs) next();
    });
    this.wake = undefined;
  }

  /** True when the collector answers `GET /healthz` with anything but a server error. */
  private async probe(): Promise<boolean> {
    let up = false;
    try {
      const o = this.opts;
      const controller = (this.probing = new AbortController());
      up = (await post(o.request, `${o.endpoint}/healthz`, {}, undefined, Math.min(o.requestTimeoutMs, 5000), controller)).status < 500;
    } catch {
      // unreachable still; the failed batch already said why
    }
    if (!up && !this.halted) this.failing();
    return up;
  }

  /** Delivery failed and will be retried: past the grace period, the developer is told once. */
  private failing(): void {
    this.told.failing(() => this.unsettled(this.queue.length + this.spilled));
  }

  /** Moves events the spool holds past the memory bound back into memory, as far as room allows. */
  private refill(): void {
    const room = this.opts.maxBufferEvents - this.queue.length - this.inflight;
    if (this.spilled === 0 || room <= 0) return;
    // The spool's oldest unsettled events are those in memory: in batches in flight, then queued.
    const held = this.unsettled(this.queue.length);
    const want = Math.min(room, this.spilled);
    let events: Serialized[];
    try {
      events = this.spool!.read!(held, want);
    } catch (err) {
      return this.ledger.report(err); // retried at the next batch
    }
    for (const e of events) this.queue.push(e);
    this.spilled -= events.length;
    if (events.length < want) {
      // The spool has fewer than it took (its files were changed under it): those are lost.
      this.ledger.report(new Error(`the spool returned ${events.length} of ${want} events`));
      for (; this.spilled > 0; this.spilled--) this.ledger.dropRefused("spool_error");
    }
  }

  /** The front batch is settled for good: out of the buffer, and out of the spool. */
  private settleFront(batch: Batch): void {
    this.pending.shift();
    this.inflight -= batch.items.length;
    if (this.spool) {
      try {
        this.spool.ack(batch.items.filter((item) => item.seq >= 0).length);
      } catch (err) {
        this.ledger.report(err);
      }
    }
  }

  private dropRemaining(): void {
    for (const batch of this.pending) this.ledger.drop(batch.items, "shutdown");
    this.pending = [];
    this.inflight = 0;
    const count = this.queue.length + this.spilled;
    while (this.queue.length > 0) this.queue.shift();
    this.spilled = 0;
    this.ledger.dropTaken(this.taken, count, "shutdown");
    this.taken += count;
  }

  /** A waiter for every event buffered now: queued, or in a batch not yet settled. */
  private waitForBuffered(deadline: number): FlushWaiter {
    const queued = this.queue.length + this.spilled;
    return this.ledger.wait(this.taken + queued, this.unsettled(queued), deadline);
  }

  /** `queued` plus the events (not drop reports) in batches not yet settled. */
  private unsettled(queued: number): number {
    for (const batch of this.pending) for (const item of batch.items) if (item.seq >= 0) queued++;
    return queued;
  }

  /** Arms the flush timer unless one due at least as soon is armed already. */
  private schedule(delayMs: number): void {
    if (this.closed) return;
    if (this.timer !== undefined) {
      if (this.timerDelay <= delayMs) return;
      clearTimeout(this.timer);
    }
    this.timerDelay = delayMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.kick();
    }, delayMs);
    unrefTimer(this.timer);
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops all network activity now: aborts the request in flight and ends a retry wait. */
  private halt(): void {
    this.halted = true;
    this.controller?.abort(new Error("transport shut down"));
    this.probing?.abort(new Error("transport shut down"));
    this.wake?.();
  }
}
