/**
 * What became of every event the transport was given: delivered, refused by the server, or
 * dropped (and why). The transport moves bytes; this keeps the books, settles `flush()` and
 * `shutdown()` waiters, and queues `sdk.dropped` reports so gaps reach the server too.
 */
import { matchResults, type BatchItem } from "./batch.js";
import { DropReports } from "./drop-reports.js";
import { FlushWaiter } from "./flush-waiter.js";
import type { ShutdownResult, TransportStats } from "./transport-types.js";

/** Told of the first loss of each kind, so the transport can tell the developer. */
export type LossHook = (kind: "dropped" | "rejected", reason: string, detail: string) => void;

export class DeliveryLedger {
  /** Drops not yet reported to the server. */
  readonly reports = new DropReports();
  /** HTTP requests made. */
  batches = 0;
  retries = 0;
  private readonly waiters = new Set<FlushWaiter>();
  private sent = 0;
  private duplicates = 0;
  private rejected = 0;
  // Maps, not objects: codes come from the server, and "__proto__" must stay an ordinary key.
  private readonly rejectedByCode = new Map<string, number>();
  private readonly dropped = new Map<string, number>();
  private droppedTotal = 0;
  /** Events only (not the SDK's own drop reports): what the shutdown report adds up. */
  private delivered = 0;
  private readonly lost = new Map<string, number>();
  /** The last problem reported, for stats(), the notices and the shutdown report. */
  lastError: string | undefined;

  constructor(
    private readonly onError: ((err: unknown) => void) | undefined,
    private readonly onLoss?: LossHook,
  ) {}

  /** Books a 2xx answer for `items`, item by item. Rejected items are final: never retried. */
  answered(items: readonly BatchItem[], text: string): void {
    const results = matchResults(text, items);
    let refusal: string | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const r = results[i];
      if (r?.status === "rejected") {
        this.rejected++;
        const code = typeof r.code === "string" ? r.code : "unknown";
        this.rejectedByCode.set(code, (this.rejectedByCode.get(code) ?? 0) + 1);
        const message = typeof r.message === "string" ? `: ${r.message.slice(0, 200)}` : "";
        refusal ??= `event ${item.id ?? "(no id)"} rejected: ${code}${message}`;
        if (item.seq >= 0) this.lose(`rejected:${code}`, 1);
        this.loss("rejected", code, message);
        this.settle(item.seq, false);
      } else {
        // Whatever the answer does not call duplicate or rejected was committed: it is a 2xx.
        if (r?.status === "duplicate" || r?.status === "conflict")
          this.duplicates++; // conflict: the id is stored, with other content
        else this.sent++;
        if (item.seq >= 0) this.delivered++;
        this.settle(item.seq, true);
      }
    }
    if (refusal !== undefined) this.report(new Error(refusal));
  }

  /** Drops batch items; the events among them (not earlier reports) are reported as a gap. */
  drop(items: readonly BatchItem[], reason: string): void {
    let events = 0;
    for (const item of items) {
      if (item.seq >= 0) events++;
      this.settle(item.seq, false);
    }
    this.count(reason, items.length, events);
  }

  /** Drops `count` events taken from the buffer with sequence numbers from `firstSeq`. */
  dropTaken(firstSeq: number, count: number, reason: string): void {
    for (let i = 0; i < count; i++) this.settle(firstSeq + i, false);
    this.count(reason, count, count);
  }

  /** Drops an event that never entered the buffer. */
  dropRefused(reason: string): void {
    this.count(reason, 1, 1);
  }

  private count(reason: string, items: number, events: number): void {
    if (items === 0) return;
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + items);
    this.droppedTotal += items;
    if (events > 0) {
      this.lose(reason, events);
      this.loss("dropped", reason, "");
    }
    // Drops of reports are not reported again (that could loop), and after shutdown nothing
    // is left to carry a report.
    if (events > 0 && reason !== "shutdown") this.reports.note(reason, events, Date.now());
  }

  /**
   * A waiter for the events still unsettled now: `total` of them, all with sequence numbers
   * below `upTo`. It resolves when they settle or at `deadline`.
   */
  wait(upTo: number, total: number, deadline: number): FlushWaiter {
    const waiter = new FlushWaiter(upTo, total, deadline, (w) => this.waiters.delete(w));
    if (total > 0) this.waiters.add(waiter);
    return waiter;
  }

  /** Resolves the waiters that would give up before `atMs` anyway: no point holding them. */
  expire(atMs: number): void {
    for (const waiter of this.waiters) if (waiter.deadline <= atMs) waiter.finish();
  }

  droppedByReason(): Record<string, number> {
    return Object.fromEntries(this.dropped);
  }

  /** The shutdown report, over the ledger's life. */
  summary(timedOut: boolean): ShutdownResult {
    let undelivered = 0;
    for (const n of this.lost.values()) undelivered += n;
    const result: ShutdownResult = {
      delivered: this.delivered,
      undelivered,
      undeliveredByReason: Object.fromEntries(this.lost),
      dropped: this.droppedByReason(),
      timedOut,
    };
    if (this.lastError !== undefined) result.lastError = this.lastError;
    return result;
  }

  private lose(reason: string, events: number): void {
    this.lost.set(reason, (this.lost.get(reason) ?? 0) + events);
  }

  private loss(kind: "dropped" | "rejected", reason: string, detail: string): void {
    try {
      this.onLoss?.(kind, reason, detail);
    } catch {
      // telling must never break the books
    }
  }

  snapshot(buffered: number): TransportStats {
    const stats: TransportStats = {
      buffered,
      sent: this.sent,
      duplicates: this.duplicates,
      rejected: this.rejected,
      rejectedByCode: Object.fromEntries(this.rejectedByCode),
      dropped: Object.fromEntries(this.dropped),
      droppedTotal: this.droppedTotal,
      batches: this.batches,
      retries: this.retries,
    };
    if (this.lastError !== undefined) stats.lastError = this.lastError;
    return stats;
  }

  /** Records a problem as `lastError` and passes it to the diagnostics hook, whose throws are ignored. */
  report(err: unknown): void {
    try {
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, a DNS miss) is in its cause.
      const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : "";
      this.lastError = err instanceof Error ? err.message + cause : String(err);
    } catch {
      this.lastError = "unknown error";
    }
    try {
      this.onError?.(err);
    } catch {
      // A diagnostics hook must not break the transport, or the host.
    }
  }

  private settle(seq: number, delivered: boolean): void {
    if (seq < 0) return;
    for (const waiter of this.waiters) if (seq < waiter.upTo) waiter.settle(delivered);
  }
}
