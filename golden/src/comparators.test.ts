import { describe, expect, it } from "vitest";
import { comparatorFor, custom, exact, jsonSubset, numeric, set, similarity, text } from "./comparators.js";

describe("exact", () => {
  const cmp = exact();
  it("matches equal JSON whatever the key order", () => {
    expect(cmp({ a: 1, b: [2, { c: null }] }, { b: [2, { c: null }], a: 1 }).match).toBe(true);
  });
  it("rejects a different value, array order, or type, with both values in the reason", () => {
    expect(cmp([1, 2], [2, 1])).toEqual({ match: false, reason: "[1,2] ≠ expected [2,1]" });
    expect(cmp("1", 1).match).toBe(false);
    expect(cmp(null, 0).match).toBe(false);
  });
  it("rejects output that is not JSON instead of throwing", () => {
    expect(cmp({ a: undefined }, { a: null }).reason).toMatch(/not JSON/);
  });
});

describe("numeric", () => {
  it("matches within an absolute tolerance and not beyond it", () => {
    const cmp = numeric({ abs: 0.5 });
    expect(cmp(10.5, 10).match).toBe(true);
    expect(cmp(10.51, 10)).toEqual({ match: false, reason: expect.stringContaining("beyond ±0.5") });
  });
  it("matches within a relative tolerance of the expected value", () => {
    const cmp = numeric({ rel: 0.1 });
    expect(cmp(3300, 3000).match).toBe(true);
    expect(cmp(3301, 3000).match).toBe(false);
    expect(cmp(-1.05, -1).match).toBe(true);
  });
  it("treats null as its own value and rejects non-numbers", () => {
    const cmp = numeric({ abs: 1 });
    expect(cmp(null, null).match).toBe(true);
    expect(cmp(0, null).match).toBe(false);
    expect(cmp("5", 5).reason).toMatch(/not a finite number/);
    expect(cmp(Number.NaN, 5).match).toBe(false);
  });
  it("refuses a negative tolerance", () => {
    expect(() => numeric({ abs: -1 })).toThrow(RangeError);
  });
});

describe("set", () => {
  it("ignores order and duplicates, comparing members as JSON", () => {
    const cmp = set();
    expect(cmp(["b", { x: 1, y: 2 }, "b"], [{ y: 2, x: 1 }, "b"]).match).toBe(true);
  });
  it("names missing and unexpected members", () => {
    expect(set()(["a", "c"], ["a", "b"]).reason).toBe('missing "b"; unexpected "c"');
  });
  it("allows extra members with subset", () => {
    expect(set({ subset: true })(["a", "b", "c"], ["a", "b"]).match).toBe(true);
    expect(set({ subset: true })(["a"], ["a", "b"]).match).toBe(false);
  });
  it("rejects a non-array", () => {
    expect(set()("a", ["a"]).match).toBe(false);
  });
});

describe("jsonSubset", () => {
  const cmp = jsonSubset();
  it("matches when every expected member is present and equal, extras allowed", () => {
    expect(cmp({ a: 1, b: { c: 2, d: 3 }, e: [1, { f: 1, g: 2 }] }, { b: { c: 2 }, e: [1, { f: 1 }] }).match).toBe(true);
  });
  it("names the path of the first difference", () => {
    expect(cmp({ b: { c: 3 } }, { b: { c: 2 } }).reason).toBe("output.b.c: 3 ≠ expected 2");
    expect(cmp({ b: {} }, { b: { c: 2 } }).reason).toBe("output.b.c is missing");
    expect(cmp({ e: [1] }, { e: [1, 2] }).reason).toBe("output.e: 1 items, expected 2");
  });
  it("demands null where expected says null", () => {
    expect(cmp({ amount: 0 }, { amount: null }).match).toBe(false);
    expect(cmp({ amount: null }, { amount: null }).match).toBe(true);
  });
});

describe("text", () => {
  it("matches near-identical text after normalising case and whitespace", () => {
    expect(text({ threshold: 0.9 })("  Rear bumper   dented ", "rear bumper dented.").match).toBe(true);
  });
  it("rejects text below the threshold, giving the similarity", () => {
    expect(text({ threshold: 0.9 })("water damage", "rear bumper dented").reason).toMatch(/^similarity 0\.\d{3} below 0\.9$/);
  });
  it("respects case when asked", () => {
    expect(text({ threshold: 1, caseSensitive: true })("ABC", "abc").match).toBe(false);
  });
  it("computes normalised Levenshtein similarity", () => {
    expect(similarity("kitten", "sitting")).toBeCloseTo(1 - 3 / 7);
    expect(similarity("", "")).toBe(1);
  });
});

describe("custom", () => {
  it("uses the predicate's answer", () => {
    const even = custom((a) => typeof a === "number" && a % 2 === 0, "even");
    expect(even(2, null).match).toBe(true);
    expect(even(3, null).reason).toBe("even: 3 vs expected null");
  });
  it("passes a verdict through and turns a throw into a mismatch", () => {
    expect(custom(() => ({ match: false, reason: "mine" }))(1, 1).reason).toBe("mine");
    expect(
      custom(() => {
        throw new Error("boom");
      }, "rule")(1, 1),
    ).toEqual({ match: false, reason: "rule threw: boom" });
  });
});

describe("comparatorFor", () => {
  it("uses the step's comparator when named, exact otherwise", () => {
    const comparators = { reserve: numeric({ rel: 0.1 }) };
    expect(comparatorFor("reserve", comparators)(105, 100).match).toBe(true);
    expect(comparatorFor("route", comparators)(105, 100).match).toBe(false);
    expect(comparatorFor("toString", comparators)(1, 1).match).toBe(true);
  });
});
