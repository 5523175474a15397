import { describe, expect, it } from "vitest";
import { canonicalJson, sameContent } from "./same-content.js";

describe("sameContent", () => {
  it("ignores member order and how a number was written, at any depth", () => {
    expect(sameContent(JSON.parse('{"a":1.0,"b":{"y":[1,{"q":2,"p":1}],"x":-0}}'), JSON.parse('{"b":{"x":0,"y":[1e0,{"p":1,"q":2}]},"a":1}'))).toBe(true);
  });

  it("tells apart a changed value, a missing member, an extra array element and a changed type", () => {
    const base = { id: "x", confidence: 0.4, parents: ["a"] };
    expect(sameContent(base, { ...base, confidence: 0.41 })).toBe(false);
    expect(sameContent(base, { id: "x", parents: ["a"] })).toBe(false);
    expect(sameContent(base, { ...base, parents: ["a", "b"] })).toBe(false);
    expect(sameContent(base, { ...base, confidence: "0.4" })).toBe(false);
    expect(sameContent([1, 2], { 0: 1, 1: 2 })).toBe(false);
  });

  it("treats a member set to undefined as absent, and a value JSON cannot hold as JSON stores it", () => {
    expect(sameContent({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameContent({ a: Infinity }, JSON.parse('{"a":null}'))).toBe(true);
    expect(canonicalJson({ é: 1, e: [undefined, "\u2028"] })).toBe('{"e":[null,"\u2028"],"é":1}');
  });
});
