import { describe, expect, it } from "vitest";
import { freshnessOf, perDaySeries, rollupNote, whyNoRate } from "./overview.js";
import { formatAgo } from "./format.js";
import type { JobRunView } from "./types.js";

const NOW = Date.parse("2026-03-06T12:00:00Z");
const run = (over: Partial<JobRunView>): JobRunView => ({
  id: "r",
  job: "rollup",
  trigger: "schedule",
  startedAt: "2026-03-06T11:50:00Z",
  endedAt: "2026-03-06T11:51:00Z",
  outcome: "ok",
  error: null,
  ...over,
});
const jobs = (schedule: string | null) => ({ items: [{ name: "rollup", schedule, available: true }] });

describe("overview freshness", () => {
  it("dates the rate cards by the newest successful rollup, skipping failed and running ones", () => {
    const f = freshnessOf(
      { items: [run({ outcome: "running", endedAt: null }), run({ outcome: "failed", endedAt: "2026-03-06T11:58:00Z" }), run({})], nextCursor: null },
      jobs("*/5 * * * *"),
    );
    expect(f).toEqual({ rolledUpAt: "2026-03-06T11:51:00Z", scheduled: true });
    expect(rollupNote(f, NOW)).toBe("rolled up 9 min ago");
  });

  it("says why there is no rollup: none has run yet, or jobs are off on this server", () => {
    expect(rollupNote(freshnessOf({ items: [], nextCursor: null }, jobs("*/5 * * * *")), NOW)).toMatch(/^no rollup yet: the rollup job has not run/);
    expect(rollupNote(freshnessOf({ items: [], nextCursor: null }, jobs(null)), NOW)).toMatch(
      /^no rollup yet: scheduled jobs are off.*seamtrace jobs run rollup/,
    );
  });

  it("explains a rate shown as — and says nothing when there is a value", () => {
    const none = { rolledUpAt: null, scheduled: true };
    const some = { rolledUpAt: "2026-03-06T11:51:00Z", scheduled: true };
    expect(whyNoRate(null, none, 0)).toBe("no rollup yet");
    expect(whyNoRate(null, some, 0)).toBe("no steps rolled up in the last 7 days");
    expect(whyNoRate(0.25, none, 10)).toBeNull();
  });

  it("reads ages in words", () => {
    expect(formatAgo("2026-03-06T11:59:30Z", NOW)).toBe("just now");
    expect(formatAgo("2026-03-06T09:00:00Z", NOW)).toBe("3 h ago");
    expect(formatAgo("2026-03-04T12:00:00Z", NOW)).toBe("2 days ago");
  });
});

describe("open escalations per day", () => {
  it("places the server's day counts on the window's days, zero where it sent none, and drops days outside", () => {
    const from = Date.parse("2026-03-01T00:00:00Z");
    const byDay = [
      { day: "2026-02-20", count: 9 },
      { day: "2026-03-01", count: 3 },
      { day: "2026-03-04", count: 250 },
      { day: "2026-03-07", count: 1 },
      { day: "2026-03-08", count: 5 },
    ];
    expect(perDaySeries(byDay, from, 7)).toEqual([3, 0, 0, 250, 0, 0, 1]);
    expect(perDaySeries([], from, 7)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });
});
