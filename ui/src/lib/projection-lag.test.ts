import { describe, expect, it } from "vitest";
import { lagNotice, loadProjectionLag, LAG_NOTICE_MS } from "./projection-lag.js";

describe("projection lag notice", () => {
  it("stays quiet with no lag or a lag younger than the notice age", () => {
    expect(lagNotice({ lag: 0, ageMs: 0 })).toBeNull();
    expect(lagNotice({ lag: 5_000, ageMs: LAG_NOTICE_MS - 1 })).toBeNull();
    expect(lagNotice(null)).toBeNull();
  });
  it("says how many events wait and how old the oldest is once it matters", () => {
    expect(lagNotice({ lag: 12_345, ageMs: 125_000 })).toBe(
      "Catching up: 12,345 events received but not yet shown, the oldest 2 min 5 s ago. Runs, the queue and these figures are behind until it clears.",
    );
    expect(lagNotice({ lag: 1, ageMs: LAG_NOTICE_MS })).toMatch(/^Catching up: 1 event received/);
  });
  it("reads /healthz and treats an unreachable or degraded server as unknown", async () => {
    const ok = (async () => new Response(JSON.stringify({ status: "ok", projection: { head: 9, position: 2, lag: 7, ageMs: 30_000 } }))) as typeof fetch;
    expect(await loadProjectionLag(ok)).toEqual({ lag: 7, ageMs: 30_000 });
    const degraded = (async () => new Response(JSON.stringify({ status: "degraded" }), { status: 503 })) as typeof fetch;
    expect(await loadProjectionLag(degraded)).toBeNull();
    const down = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    expect(await loadProjectionLag(down)).toBeNull();
  });
});
