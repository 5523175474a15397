import { describe, expect, it } from "vitest";
import { deadlineOf, overridden, peopleNames, progressText, raterName, resolutionText } from "./team-review.js";
import type { ReviewView } from "./types.js";

const NOW = Date.parse("2026-03-02T12:00:00Z");
const review = (id: string, role: ReviewView["role"], overrode: string[] | null = null): ReviewView => ({
  id,
  escalationId: "e1",
  role,
  actor: `user:${id}`,
  decision: "accept",
  correctedOutput: null,
  reason: "r",
  alternative: null,
  confidence: null,
  overrode,
  createdAt: "2026-03-02T11:00:00Z",
});

describe("team review helpers", () => {
  it("shows progress only for items several reviewers decide", () => {
    expect(progressText({ reviewersRequired: 1, decisions: 0, consensus: "unanimous" })).toBe("");
    expect(progressText({ reviewersRequired: 3, decisions: 1, consensus: "majority" })).toBe("1 of 3 decided, majority");
    expect(progressText({ reviewersRequired: 2, decisions: 3, consensus: "unanimous" })).toBe("2 of 2 decided, unanimous");
  });

  it("says how long is left, or how overdue, with what happens at the deadline", () => {
    expect(deadlineOf({ dueAt: "2026-03-02T12:45:00Z", onExpiry: "reject", status: "open" }, NOW)).toEqual({
      text: "due in 45 min, then rejected",
      overdue: false,
    });
    expect(deadlineOf({ dueAt: "2026-03-02T15:30:00Z", onExpiry: "reassign", status: "in_review" }, NOW)).toEqual({
      text: "due in 3 h 30 min, then reassigned",
      overdue: false,
    });
    expect(deadlineOf({ dueAt: "2026-03-02T11:50:00Z", onExpiry: "accept-flagged", status: "disputed" }, NOW)).toEqual({
      text: "overdue by 10 min, then accepted, flagged",
      overdue: true,
    });
    expect(deadlineOf({ dueAt: "2026-03-06T12:00:00Z", onExpiry: null, status: "open" }, NOW)).toEqual({ text: "due in 4 d", overdue: false });
    // Rounded down, never up: 59.6 minutes left is not an hour.
    expect(deadlineOf({ dueAt: "2026-03-02T12:59:36Z", onExpiry: null, status: "open" }, NOW)).toEqual({ text: "due in 59 min", overdue: false });
    expect(deadlineOf({ dueAt: "2026-03-02T12:00:30Z", onExpiry: null, status: "open" }, NOW)).toEqual({ text: "due in under a minute", overdue: false });
  });

  it("has no deadline for an item without one or one already settled", () => {
    expect(deadlineOf({ dueAt: null, onExpiry: null, status: "open" }, NOW)).toBeNull();
    expect(deadlineOf({ dueAt: "2026-03-02T11:00:00Z", onExpiry: "reject", status: "resolved" }, NOW)).toBeNull();
    expect(deadlineOf({ dueAt: "2026-03-02T11:00:00Z", onExpiry: "reject", status: "expired" }, NOW)).toBeNull();
  });

  it("finds the decisions an adjudication overrode", () => {
    expect([...overridden([review("a", "reviewer"), review("b", "reviewer"), review("c", "adjudicator", ["b"])])]).toEqual(["b"]);
    expect(overridden([review("a", "reviewer")]).size).toBe(0);
  });

  it("names how an item was settled and who rated it", () => {
    expect(resolutionText({ resolution: "adjudicated", status: "resolved" })).toContain("adjudicator");
    expect(resolutionText({ resolution: "single", status: "resolved" })).toBeNull();
    expect(resolutionText({ resolution: null, status: "open" })).toBeNull();
    expect(raterName("user:u-1")).toBe("u-1");
    expect(raterName("judge:amount-check")).toBe("judge amount-check");
    const people = peopleNames({
      window: { from: "", to: "" },
      items: [{ userId: "u-1", email: "ada@example.test", name: "", role: "lead", groups: [], claimed: 0, decided: 0, pending: 0 }],
    });
    expect(raterName("user:u-1", people)).toBe("ada@example.test");
    expect(raterName("user:u-2", people)).toBe("u-2");
  });
});
