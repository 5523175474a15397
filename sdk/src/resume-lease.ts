import { unrefTimer } from "./timers.js";

/** @internal What a resume lease needs: the server's renewal call and what to do when it is lost. */
export interface ResumeLeaseOptions {
  /** How long the claim lasts without renewal, as the server granted it. */
  leaseMs: number;
  /** When the claim request was sent, on `clock`: the lease runs from no later than this. */
  claimedAt: number;
  /** true: renewed; false: refused (lapsed or taken over); undefined: the server could not be asked. */
  renew: () => Promise<boolean | undefined>;
  /** Called once, with why, when the lease is lost. */
  onLost: (reason: string) => void;
  /** A monotonic clock in ms. Default `performance.now`. */
  clock?: () => number;
}

/**
 * @internal The resume claim a worker holds while it runs the rest of a reviewed run. The
 * server's claim lapses unless renewed, so that a worker that dies (or loses the server) does
 * not strand the run; this side renews it every third of the lease on an unref'd timer and stops
 * on `stop()`.
 *
 * The lease is lost when a renewal is refused (it lapsed, or another worker took the run over),
 * or when no renewal has succeeded within the lease. That deadline counts from when the last
 * successful renewal was *sent*, on this machine's monotonic clock, so it falls no later than the
 * server's own expiry, which counts from when the request arrived: the worker gives the run up
 * before the server can offer it to another. No clock of another machine is read.
 */
export class ResumeLease {
  private deadline: number;
  private state: "held" | "lost" | "stopped" = "held";
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly clock: () => number;

  constructor(private readonly o: ResumeLeaseOptions) {
    this.clock = o.clock ?? (() => performance.now());
    this.deadline = o.claimedAt + o.leaseMs;
    this.schedule(o.claimedAt);
  }

  /**
   * True while the claim is this worker's. Checked before anything is recorded, so a lease that
   * ran out while no timer could fire (a blocked event loop, a hung renewal) is noticed there.
   */
  held(): boolean {
    if (this.state === "held" && this.clock() >= this.deadline) this.lose("no renewal succeeded within the lease");
    return this.state !== "lost";
  }

  /** The run is over (or the lease no longer matters): no more renewals. Idempotent. */
  stop(): void {
    if (this.state === "held") this.state = "stopped";
    clearTimeout(this.timer);
  }

  /** The next renewal, a third of the lease after the previous one was sent, however long its answer took. */
  private schedule(from: number): void {
    this.timer = setTimeout(() => void this.renew(), Math.max(1, from + this.o.leaseMs / 3 - this.clock()));
    unrefTimer(this.timer);
  }

  private async renew(): Promise<void> {
    if (!this.held() || this.state !== "held") return;
    const sentAt = this.clock();
    const renewed = await this.o.renew().catch(() => undefined);
    if (this.state !== "held") return;
    if (renewed === true) this.deadline = Math.max(this.deadline, sentAt + this.o.leaseMs);
    else if (renewed === false) return this.lose("the server refused to renew it: it lapsed, or another worker took the run over");
    // Unanswered: try again at the next turn; the deadline decides.
    if (this.held()) this.schedule(sentAt);
  }

  private lose(reason: string): void {
    this.state = "lost";
    clearTimeout(this.timer);
    this.o.onLost(reason);
  }
}
