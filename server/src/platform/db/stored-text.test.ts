import { createHash } from "node:crypto";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { COMPRESS_FROM, CompressedText, fromStoredText, fromStoredTextOrNull, storedArg, toStoredText, UnreadableStoredText } from "./stored-text.js";
import { EVENT_BODY_DICTIONARY_1 } from "./text-dictionary.js";

const stepEvent = JSON.stringify({
  id: "01a24d5f-60ce-765d-af87-f0d8f52beb9d",
  type: "step.completed",
  time: "2026-12-06T22:00:26.061Z",
  runId: "01a24d5f-60cb-72a8-90e3-922956dcdeb0",
  workflow: "claims",
  version: "3",
  stepId: "01a24d5f-60ce-765c-8b71-5624e15cae99",
  step: "extract",
  parents: [],
  output: { value: "result 0.0", amount: 1200 },
  cumulative: 0.9,
  source: "inferred",
  stale: false,
  attempt: 1,
  durationMs: 3,
  startedAt: "2026-12-06T22:00:26.058Z",
  input: { policyNo: "PX-1000", note: "kitchen pipe burst overnight" },
  confidence: 0.9,
  reasoning: "matched the policy number pattern and an amount with a currency sign",
});

describe("stored text", () => {
  it("keeps text too short to gain from deflate as it is, counting UTF-8 bytes", () => {
    const short = "a".repeat(COMPRESS_FROM - 1);
    expect(toStoredText(short)).toBe(short);
    const bytes = new TextEncoder().encode(short);
    expect(toStoredText(bytes)).toBe(bytes);
    expect(storedArg(toStoredText(bytes))).toBe(short);
    // 22 characters, 66 bytes of UTF-8: long enough to try, and it compresses.
    expect(toStoredText("€".repeat(22))).toBeInstanceOf(CompressedText);
  });

  it("keeps text as it is when deflating it would not make it smaller", () => {
    // Printable characters without repeats: deflate's fixed codes spend 8 bits on each, plus its header.
    const random = Array.from(createHash("sha512").update("seed").digest(), (b) => String.fromCharCode(0x21 + (b % 94))).join("");
    expect(Buffer.byteLength(random)).toBe(64);
    expect(toStoredText(random)).toBe(random);
  });

  it("compresses an ordinary event body to well under half with the wire format's dictionary, and reads it back byte for byte", () => {
    const stored = toStoredText(stepEvent);
    expect(stored).toBeInstanceOf(CompressedText);
    const bytes = (stored as CompressedText).bytes;
    // Without a dictionary deflate saves ~35% of a body like this one; with it, over half.
    expect(deflateRawSync(stepEvent).byteLength).toBeGreaterThan(Buffer.byteLength(stepEvent) * 0.55);
    expect(bytes.byteLength).toBeLessThan(Buffer.byteLength(stepEvent) * 0.45);
    // As the driver hands a BLOB back: an ArrayBuffer.
    expect(fromStoredText(new Uint8Array(bytes).buffer)).toBe(stepEvent);
    const unicode = JSON.stringify({ output: "a claim for water damage, ünïcode included ".repeat(100) });
    expect(fromStoredText(storedArg(toStoredText(unicode)))).toBe(unicode);
    expect(fromStoredText(stepEvent)).toBe(stepEvent);
    expect(fromStoredTextOrNull(null)).toBeNull();
  });

  it("names the dictionary in a first byte no raw deflate stream starts with", () => {
    const bytes = (toStoredText(stepEvent) as CompressedText).bytes;
    // Bits 1 and 2 of a raw deflate stream's first byte are its first block's type; 3 is reserved.
    expect(bytes[0]! & 0x06).toBe(0x06);
    expect(deflateRawSync(stepEvent)[0]! & 0x06).not.toBe(0x06);
  });

  it("reads raw deflate without a dictionary, as earlier versions stored large values", () => {
    const large = JSON.stringify({ output: "water damage ".repeat(400) });
    expect(fromStoredText(deflateRawSync(large))).toBe(large);
    expect(fromStoredText(deflateRawSync("ok"))).toBe("ok");
  });

  it("throws UnreadableStoredText for a BLOB that does not inflate, an unknown tag, or a dictionary's stream cut short", () => {
    expect(() => fromStoredText(new Uint8Array([0xff, 0xfe, 0x00, 0x01]).buffer)).toThrow(UnreadableStoredText);
    const bytes = (toStoredText(stepEvent) as CompressedText).bytes;
    expect(() => fromStoredText(Uint8Array.from([0x16, ...bytes.subarray(1)]))).toThrow(UnreadableStoredText);
    expect(() => fromStoredText(bytes.subarray(0, bytes.byteLength - 8))).toThrow(UnreadableStoredText);
  });

  it("keeps the dictionary values were written with: its bytes are part of the storage format", () => {
    // Values deflated with a dictionary inflate only with the same bytes. Changing it would make
    // every stored body unreadable: add a dictionary under a new tag instead.
    expect(createHash("sha256").update(EVENT_BODY_DICTIONARY_1).digest("hex")).toBe("152ad4f494387aaa36fb4c73dde7b83a1b8f6a0c497e9ee0eb42f4d7f82622e4");
  });
});
