/**
 * What the transport tells the developer, and when: a refused key at once, a collector failing
 * past the grace period once per outage (and its return), the first drop of each reason and the
 * first rejection of each code once, a shutdown's leftovers once. The words live here; the
 * transport only says what happened.
 */
import type { Notices } from "./notices.js";
import type { ResolvedOptions } from "./transport-options.js";

export class DeliveryNotices {
  /** When delivery started failing (no answer, or a retryable status); undefined while it works. */
  private failingSince: number | undefined;
  /** Set while a shutdown drops what is left: its own notice tells those drops. */
  quiet = false;

  constructor(
    private readonly notices: Notices,
    private readonly opts: Pick<ResolvedOptions, "url" | "maxBufferEvents" | "unreachableGraceMs">,
    private readonly lastError: () => string | undefined,
  ) {}

  /** The collector answered 401 or 403. */
  refused(status: number, detail: string): void {
    this.notices.authFailed(status, detail);
  }

  /** A delivery attempt (or probe) failed and will be retried; `waiting` counts what is held. */
  failing(waiting: () => number): void {
    const now = Date.now();
    const since = (this.failingSince ??= now);
    if (now - since < this.opts.unreachableGraceMs) return;
    this.notices.tell(
      "unreachable",
      "unreachable",
      `cannot deliver events to ${this.opts.url} for ${Math.round((now - since) / 1000)} s (last error: ${this.lastError()}); ${waiting()} events wait, retrying.`,
    );
  }

  /** The collector answered: an outage the developer was told of is over. */
  working(): void {
    const since = this.failingSince;
    this.failingSince = undefined;
    if (since === undefined || !this.notices.has("unreachable")) return;
    this.notices.forget("unreachable");
    this.notices.tell(undefined, "recovered", `delivering to ${this.opts.url} again after ${Math.round((Date.now() - since) / 1000)} s.`);
  }

  /** The first loss of each kind is told; stats() and the shutdown report count them all. */
  lost(kind: "dropped" | "rejected", reason: string, detail: string): void {
    if (kind === "rejected") {
      return this.notices.tell(
        `rejected:${reason}`,
        "rejected",
        `the collector rejected an event (${reason}${detail}); later rejections are counted in stats().rejectedByCode.`,
      );
    }
    // A refused key has its notice already.
    if (this.quiet || reason === "http_401" || reason === "http_403") return;
    const why =
      reason === "buffer_full"
        ? `${this.opts.maxBufferEvents} events wait in memory and the collector is not taking them (a FileSpool would hold more)`
        : reason === "shutdown"
          ? "an event was recorded after shutdown()"
          : reason === "spool_full"
            ? "the spool is full (its maxBytes)"
            : reason;
    const last = this.lastError();
    this.notices.tell(
      `drop:${reason}`,
      "dropped",
      `dropping events: ${why}${last ? `; last error: ${last}` : ""}. Later drops are counted in stats().dropped and the shutdown report.`,
    );
  }

  /** Shutdown's deadline came with `count` events undelivered. */
  leftAtShutdown(count: number, timeoutMs: number, spooled: boolean): void {
    this.notices.tell(
      "shutdown",
      "dropped",
      `${count} events were not delivered within shutdown's ${timeoutMs} ms` +
        `${spooled ? " (they stay in the spool for the next start)" : ""}; last error: ${this.lastError() ?? "none"}.`,
    );
  }
}
