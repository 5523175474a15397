/**
 * Drops waiting to be reported to the server as `sdk.dropped` events ("the gap itself
 * is reported to the server, so the audit trail shows it"). Drops are coalesced per reason
 * until the next batch picks them up, so a server outage that drops thousands of events costs
 * one report per reason, not one per event.
 */
import type { DroppedEvent } from "./types.js";

interface Gap {
  count: number;
  from: number;
  to: number;
}

export class DropReports {
  private readonly gaps = new Map<string, Gap>();

  /** Reasons with drops not yet reported. */
  get size(): number {
    return this.gaps.size;
  }

  /** Records `count` events dropped for `reason` at `nowMs`. Timestamps stay numbers until sent. */
  note(reason: string, count: number, nowMs: number): void {
    const gap = this.gaps.get(reason);
    if (gap === undefined) this.gaps.set(reason, { count, from: nowMs, to: nowMs });
    else {
      gap.count += count;
      gap.to = nowMs;
    }
  }

  /** Up to `max` reports as events, removed from the ledger: later drops start new reports. */
  take(max: number, makeId: () => string): DroppedEvent[] {
    const out: DroppedEvent[] = [];
    for (const [reason, gap] of this.gaps) {
      if (out.length >= max) break;
      const to = new Date(gap.to).toISOString();
      out.push({
        id: makeId(),
        type: "sdk.dropped",
        time: to,
        reason,
        count: gap.count,
        from: new Date(gap.from).toISOString(),
        to,
      });
      this.gaps.delete(reason);
    }
    return out;
  }

  clear(): void {
    this.gaps.clear();
  }
}
