import { describe, expect, it } from "vitest";
import { batchBody, ENVELOPE_BYTES, matchResults, serializeEvent, utf8Length, type BatchItem } from "./batch.js";

describe("utf8Length", () => {
  it("matches the encoded length for ASCII, 2-, 3- and 4-byte characters", () => {
    for (const s of ["", "plain", "é", "€ and ü", "😀", "a😀b𝄞c", JSON.stringify("\ud800 lone"), "x".repeat(1000)]) {
      expect(utf8Length(s), s).toBe(Buffer.byteLength(s, "utf8"));
    }
  });
});

describe("serializeEvent", () => {
  it("returns the JSON and the id", () => {
    expect(serializeEvent({ id: "a", type: "x" })).toEqual({ json: '{"id":"a","type":"x"}', id: "a" });
  });

  it("serialises a deferred event through toWire()", () => {
    expect(serializeEvent({ toWire: () => ({ id: "b", type: "y" }), junk: 1n })).toEqual({ json: '{"id":"b","type":"y"}', id: "b" });
  });

  it("throws for what cannot be sent", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const bad of [
      circular,
      { n: 1n },
      undefined,
      "a string",
      [1],
      {
        toJSON: () => {
          throw new Error("no");
        },
      },
    ]) {
      expect(() => serializeEvent(bad)).toThrow();
    }
  });
});

const items = (ids: string[]): BatchItem[] => ids.map((id, seq) => ({ json: JSON.stringify({ id }), id, seq }));

it("builds the envelope in order and ENVELOPE_BYTES measures it", () => {
  expect(batchBody(items(["a", "b"]))).toBe('{"events":[{"id":"a"},{"id":"b"}]}');
  expect(batchBody([]).length).toBe(ENVELOPE_BYTES);
});

describe("matchResults", () => {
  const batch = items(["a", "b", "c"]);

  it("aligns results given in request order", () => {
    const results = [
      { id: "a", status: "accepted" },
      { id: "b", status: "rejected" },
      { id: "c", status: "duplicate" },
    ];
    const text = JSON.stringify({ results });
    expect(matchResults(text, batch).map((r) => r?.status)).toEqual(["accepted", "rejected", "duplicate"]);
  });

  it("falls back to ids when the order differs", () => {
    const results = [
      { id: "c", status: "duplicate" },
      { id: "a", status: "accepted" },
      { id: "b", status: "rejected" },
    ];
    const text = JSON.stringify({ results });
    expect(matchResults(text, batch).map((r) => r?.status)).toEqual(["accepted", "rejected", "duplicate"]);
  });

  it("says nothing when the body is not a results answer", () => {
    for (const text of ["", "not json", "null", '{"results":5}', "[]"]) {
      expect(matchResults(text, batch)).toEqual([undefined, undefined, undefined]);
    }
  });
});
