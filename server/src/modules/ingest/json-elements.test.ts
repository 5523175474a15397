import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arrayMemberElements } from "./json-elements.js";

const utf8 = (s: string) => Buffer.from(s, "utf8");

/** Object keys at every depth of a parsed value. */
function keyCount(v: unknown): number {
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + keyCount(x), 0);
  if (typeof v !== "object" || v === null) return 0;
  return Object.entries(v).reduce((n, [, x]) => n + 1 + keyCount(x), 0);
}

describe("arrayMemberElements", () => {
  it("finds every element of the member, whatever the elements hold and however the document is spaced", () => {
    const doc = fc.record({
      before: fc.dictionary(
        fc.string().filter((k) => k !== "events"),
        fc.jsonValue({ maxDepth: 2 }),
        { maxKeys: 3 },
      ),
      events: fc.array(fc.jsonValue({ maxDepth: 4 }), { maxLength: 8 }),
      after: fc.dictionary(
        fc.string({ unit: "binary" }).filter((k) => k !== "events"),
        fc.jsonValue({ maxDepth: 2 }),
        { maxKeys: 3 },
      ),
      indent: fc.constantFrom(undefined, 0, 2, "\t"),
    });
    fc.assert(
      fc.property(doc, ({ before, events, after, indent }) => {
        const text = JSON.stringify({ ...before, events, ...after }, null, indent);
        const bytes = utf8(text);
        const spans = arrayMemberElements(bytes, "events");
        expect(spans).not.toBeNull();
        const parsed = (JSON.parse(text) as { events: unknown[] }).events;
        expect(spans!.start).toHaveLength(parsed.length);
        parsed.forEach((element, i) => {
          const slice = bytes.subarray(spans!.start[i], spans!.end[i]).toString("utf8");
          expect(JSON.parse(slice)).toEqual(element);
          expect(spans!.keys[i]).toBe(keyCount(element));
        });
      }),
      { numRuns: 500 },
    );
  });

  it("counts a repeated name twice, so a caller can tell the text from what JSON.parse kept", () => {
    const text = '{"events":[{"a":1,"a":2,"b":{"c":"x:y","c":3}}, {"s":"\\":\\\\"}]}';
    const spans = arrayMemberElements(utf8(text), "events")!;
    expect(spans.keys).toEqual([5, 1]);
    const parsed = (JSON.parse(text) as { events: unknown[] }).events;
    expect(parsed.map(keyCount)).toEqual([3, 1]);
  });

  it("keeps multi-byte text and escapes exact", () => {
    const text = '{ "events" : [ {"é":"😀 \\" \\\\ \\u00e9"} , "]", 1.5e3, null ] }';
    const bytes = utf8(text);
    const spans = arrayMemberElements(bytes, "events")!;
    const slices = spans.start.map((s, i) => bytes.subarray(s, spans.end[i]).toString("utf8"));
    expect(slices).toEqual(['{"é":"😀 \\" \\\\ \\u00e9"}', '"]"', "1.5e3", "null"]);
  });

  it.each([
    ["the member twice (JSON.parse keeps the last)", '{"events":[1],"events":[2]}'],
    ["the member twice, once written with an escape", '{"\\u0065vents":[1],"events":[2]}'],
    ["a member that is not an array", '{"events":{"0":1}}'],
    ["a document that is not an object", "[1,2]"],
  ])("answers null for %s", (_, text) => {
    expect(arrayMemberElements(utf8(text), "events")).toBeNull();
  });

  it("answers an empty list for an empty array and null when the member is absent", () => {
    expect(arrayMemberElements(utf8('{"events":[ ]}'), "events")).toEqual({ start: [], end: [], keys: [] });
    expect(arrayMemberElements(utf8('{"other":[1]}'), "events")).toBeNull();
  });
});
