import { describe, expect, it } from "vitest";
import { canonicalJson, MAX_JSON_DEPTH, NotJsonError } from "./canonical-json.js";

function notJson(value: unknown, name?: string): NotJsonError {
  try {
    canonicalJson(value, name);
  } catch (err) {
    if (err instanceof NotJsonError) return err;
    throw err;
  }
  throw new Error(`expected a NotJsonError for ${String(value)}`);
}

describe("canonicalJson", () => {
  it("sorts object keys at every depth and writes no whitespace", () => {
    expect(canonicalJson({ b: 1, a: { z: [{ y: 1, x: 2 }], c: null } })).toBe('{"a":{"c":null,"z":[{"x":2,"y":1}]},"b":1}');
  });

  it("sorts keys by UTF-16 code unit, integer-like keys included, unlike JSON.stringify", () => {
    // JSON.stringify would write "9" before "10" (integer keys come first in ascending order).
    expect(canonicalJson({ b: 0, "9": 0, "10": 0, B: 0, é: 0, "😀": 0 })).toBe('{"10":0,"9":0,"B":0,"b":0,"é":0,"😀":0}');
  });

  it("keeps array order", () => {
    expect(canonicalJson([3, 1, 2])).toBe("[3,1,2]");
  });

  it("writes numbers in their shortest form", () => {
    expect(canonicalJson(JSON.parse("[1.0, 1e2, 2.50, -0, 0.1, 1E-7, 1e21]"))).toBe("[1,100,2.5,0,0.1,1e-7,1e+21]");
  });

  it("escapes strings as JSON.stringify does", () => {
    const s = 'quote " backslash \\ newline \n tab \t nul \u0000 pair 😀';
    expect(canonicalJson(s)).toBe(JSON.stringify(s));
    expect(JSON.parse(canonicalJson(s))).toBe(s);
  });

  it("refuses a lone surrogate, in a value or a key, saying where", () => {
    expect(() => canonicalJson({ a: ["ok", "lone \ud800"] }, "expected")).toThrow(/^expected\.a\[1\] holds a lone UTF-16 surrogate/);
    expect(() => canonicalJson({ a: { "k\udc00": 1 } }, "input")).toThrow(/^input\.a key "k\\udc00" holds a lone UTF-16 surrogate/);
  });

  it("accepts objects without a prototype and keeps a __proto__ key as data", () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: 1, a: 2 });
    expect(canonicalJson(bare)).toBe('{"a":2,"b":1}');
    expect(canonicalJson(JSON.parse('{"__proto__":{"x":1}}'))).toBe('{"__proto__":{"x":1}}');
  });

  it("writes an object reached twice through different paths twice", () => {
    const shared = { k: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"k":1},"b":[{"k":1}]}');
  });

  it("refuses values JSON cannot represent, naming where they are", () => {
    const cases: Array<[unknown, string]> = [
      [{ a: undefined }, "input.a is undefined"],
      [{ a: [1, () => 1] }, "input.a[1] is a function"],
      [{ "odd key": 1n }, 'input["odd key"] is a bigint'],
      [[Symbol("s")], "input[0] is a symbol"],
      [{ n: Number.NaN }, "input.n is NaN"],
      [{ n: Number.POSITIVE_INFINITY }, "input.n is Infinity"],
      [{ when: new Date(0) }, "input.when is a Date, not a plain object"],
      [{ m: new Map() }, "input.m is a Map, not a plain object"],
      [new (class Claim {})(), "input is a Claim, not a plain object"],
      // A hole in a sparse array reads as undefined; JSON.stringify would write null.
      // biome-ignore lint/suspicious/noSparseArray: the hole is what is tested
      [[1, , 3], "input[1] is undefined"],
    ];
    for (const [value, message] of cases) {
      expect(notJson(value, "input").message, message).toContain(message);
    }
  });

  it("refuses a circular reference", () => {
    const loop: Record<string, unknown> = { a: {} };
    (loop.a as Record<string, unknown>).back = loop;
    const err = notJson(loop);
    expect(err.path).toBe("value.a.back");
    expect(err.reason).toMatch(/circular/);
  });

  it("refuses integers beyond 2^53 − 1 below 1e21, which other parsers would read differently", () => {
    expect(canonicalJson(Number.MAX_SAFE_INTEGER)).toBe("9007199254740991");
    expect(canonicalJson(-Number.MAX_SAFE_INTEGER)).toBe("-9007199254740991");
    expect(notJson(JSON.parse("90071992547409931")).reason).toMatch(/beyond ±\(2\^53 − 1\).*write it as a string/);
    expect(notJson(-(2 ** 60)).reason).toMatch(/beyond/);
    // From 1e21 on the text has an exponent: a float to every reader.
    expect(canonicalJson(1e21)).toBe("1e+21");
    expect(canonicalJson(123456789.5)).toBe("123456789.5");
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels instead of overflowing the stack`, () => {
    const ok = JSON.parse("[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH));
    expect(canonicalJson(ok)).toBe("[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH));
    const deep = JSON.parse("[".repeat(100_000) + "]".repeat(100_000));
    expect(notJson(deep).reason).toBe(`nests deeper than ${MAX_JSON_DEPTH} levels`);
  });
});
