import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ResumeLease } from "./resume-lease.js";

const LEASE = 30_000;

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A lease on the fake clock whose renewals answer as `answer` says, after `delayMs`. */
function lease(answer: () => boolean | undefined, delayMs = 0) {
  const renewals: number[] = [];
  const lost: string[] = [];
  const l = new ResumeLease({
    leaseMs: LEASE,
    claimedAt: Date.now(),
    clock: () => Date.now(),
    renew: () => {
      renewals.push(Date.now());
      const answered = answer(); // as the server decides when the request arrives
      return new Promise((resolve) => setTimeout(() => resolve(answered), delayMs));
    },
    onLost: (reason) => lost.push(reason),
  });
  return { l, renewals, lost };
}

describe("ResumeLease", () => {
  it("renews every third of the lease while held, and stops renewing once stopped", async () => {
    const { l, renewals, lost } = lease(() => true);
    await vi.advanceTimersByTimeAsync(5 * LEASE);
    expect(renewals.map((t) => t - 1_000_000)).toEqual([
      10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000, 90_000, 100_000, 110_000, 120_000, 130_000, 140_000, 150_000,
    ]);
    expect(l.held()).toBe(true);
    l.stop();
    await vi.advanceTimersByTimeAsync(5 * LEASE);
    expect(renewals).toHaveLength(15);
    expect(lost).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("is lost at the first refused renewal, and says why, once", async () => {
    let refuse = false;
    const { l, renewals, lost } = lease(() => !refuse);
    await vi.advanceTimersByTimeAsync(LEASE);
    refuse = true;
    await vi.advanceTimersByTimeAsync(LEASE / 3 + 1); // the next renewal, and its answer
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/refused/);
    expect(l.held()).toBe(false);
    await vi.advanceTimersByTimeAsync(3 * LEASE);
    expect(renewals).toHaveLength(4);
    expect(lost).toHaveLength(1);
  });

  it("is lost when no renewal got through within the lease, not a moment before", async () => {
    const { l, lost } = lease(() => undefined); // the server cannot be reached
    await vi.advanceTimersByTimeAsync(LEASE - 1);
    expect(l.held()).toBe(true);
    expect(lost).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(lost).toEqual(["no renewal succeeded within the lease"]);
    expect(l.held()).toBe(false);
  });

  it("counts a renewal's lease from when it was sent, not from its slow answer", async () => {
    // Renewals take 4 s to answer: each extends the deadline to its send time + the lease.
    const { l, renewals, lost } = lease(() => true, 4_000);
    await vi.advanceTimersByTimeAsync(LEASE / 3 + 4_000); // the first renewal, sent at 10 s, answered at 14 s
    expect(renewals).toHaveLength(1);
    // Had no later renewal got through, the lease would end at 10 s + LEASE: no later than the
    // server's own expiry, which counts from when the request arrived (at or after 10 s).
    const sentAt = renewals[0]!;
    vi.setSystemTime(sentAt + LEASE - 1);
    expect(l.held()).toBe(true);
    vi.setSystemTime(sentAt + LEASE);
    expect(l.held()).toBe(false);
    expect(lost).toHaveLength(1);
  });

  it("notices an expired lease when asked even if its timers could not run (a blocked event loop)", () => {
    const { l, lost } = lease(() => true);
    vi.setSystemTime(Date.now() + LEASE); // time passed, no timer fired
    expect(l.held()).toBe(false);
    expect(lost).toEqual(["no renewal succeeded within the lease"]);
  });
});
