import { describe, expect, it } from "vitest";
import { runQuery } from "./run-filters.js";

const none = { workflow: "", version: "", status: "", q: "", from: "", to: "" };

describe("runs list filters", () => {
  it("sends only the filters that are set", () => {
    expect(runQuery(none)).toEqual({ workflow: undefined, version: undefined, status: undefined, q: undefined, from: undefined, to: undefined });
    expect(runQuery({ ...none, status: "paused", q: "  claim-7 " })).toMatchObject({ status: "paused", q: "claim-7" });
  });

  it("includes the whole of the last day: `to` is the next day's start", () => {
    expect(runQuery({ ...none, from: "2026-03-01", to: "2026-03-06" })).toMatchObject({ from: "2026-03-01T00:00:00.000Z", to: "2026-03-07T00:00:00.000Z" });
    expect(runQuery({ ...none, from: "2026-03-06", to: "2026-03-06" })).toMatchObject({ from: "2026-03-06T00:00:00.000Z", to: "2026-03-07T00:00:00.000Z" });
  });

  it("ends a window that starts in the future after its first day, not before it starts", () => {
    const now = Date.parse("2026-03-06T12:00:00Z");
    expect(runQuery({ ...none, from: "2026-03-08" }, now)).toMatchObject({ from: "2026-03-08T00:00:00.000Z", to: "2026-03-09T00:00:00.000Z" });
    // A past start alone runs to now (the server's default end).
    expect(runQuery({ ...none, from: "2026-03-01" }, now).to).toBeUndefined();
  });

  it("leaves a date that is not one out rather than sending it", () => {
    expect(runQuery({ ...none, from: "yesterday" }).from).toBeUndefined();
  });
});
