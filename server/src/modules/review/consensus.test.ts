import { describe, expect, it } from "vitest";
import { outcomeKey, verdict, type Vote } from "./consensus.js";

const v = (id: string, decision: Vote["decision"], output?: unknown): Vote => (output === undefined ? { id, decision } : { id, decision, output });

describe("consensus", () => {
  it("waits while fewer than the required reviewers have decided", () => {
    expect(verdict([v("a", "accept")], 2, "unanimous")).toEqual({ status: "pending", decided: 1, required: 2 });
    expect(verdict([], 1, "majority")).toEqual({ status: "pending", decided: 0, required: 1 });
  });

  it("settles with one reviewer on that reviewer's decision", () => {
    expect(verdict([v("a", "reject")], 1, "unanimous")).toMatchObject({ status: "agreed", winner: { id: "a", decision: "reject" } });
  });

  it("unanimous: agrees only when every decision is the same", () => {
    expect(verdict([v("a", "accept"), v("b", "accept")], 2, "unanimous")).toMatchObject({ status: "agreed", agreeing: ["a", "b"] });
    expect(verdict([v("a", "accept"), v("b", "accept"), v("c", "reject")], 3, "unanimous")).toEqual({
      status: "disputed",
      groups: [
        { key: "accept", votes: ["a", "b"] },
        { key: "reject", votes: ["c"] },
      ],
    });
  });

  it("majority with N = 3: two of three carry it, and the earliest of them is the settled decision", () => {
    const r = verdict([v("a", "reject"), v("b", "correct", { amount: 5 }), v("c", "correct", { amount: 5 })], 3, "majority");
    expect(r).toMatchObject({ status: "agreed", winner: { id: "b", decision: "correct", output: { amount: 5 } }, agreeing: ["b", "c"] });
  });

  it("majority with N = 3: three different outcomes is a dispute", () => {
    const r = verdict([v("a", "reject"), v("b", "accept"), v("c", "correct", 1)], 3, "majority");
    expect(r.status).toBe("disputed");
  });

  it("majority needs more than half: 1 of 2 and 2 of 4 are disputes, 3 of 4 agrees", () => {
    expect(verdict([v("a", "accept"), v("b", "reject")], 2, "majority").status).toBe("disputed");
    expect(verdict([v("a", "accept"), v("b", "reject"), v("c", "accept"), v("d", "reject")], 4, "majority").status).toBe("disputed");
    expect(verdict([v("a", "accept"), v("b", "reject"), v("c", "accept"), v("d", "accept")], 4, "majority")).toMatchObject({
      status: "agreed",
      winner: { id: "a" },
    });
  });

  it("treats corrections to different values as disagreement, and to the same value (any key order) as agreement", () => {
    expect(verdict([v("a", "correct", { x: 1, y: 2 }), v("b", "correct", { y: 2, x: 1.0 })], 2, "unanimous").status).toBe("agreed");
    expect(verdict([v("a", "correct", { x: 1 }), v("b", "correct", { x: 2 })], 2, "unanimous").status).toBe("disputed");
    expect(outcomeKey({ decision: "correct", output: null })).toBe("correct:null");
    expect(outcomeKey({ decision: "accept", output: { ignored: true } })).toBe("accept");
  });

  it("refuses a required count below one", () => {
    expect(() => verdict([], 0, "unanimous")).toThrow(RangeError);
  });
});
