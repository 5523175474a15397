import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { COMPRESS_ABOVE, CompressedText, fromStoredText, fromStoredTextOrNull, storedArg, toStoredText, UnreadableStoredText } from "./stored-text.js";

describe("stored text", () => {
  it("keeps text up to the threshold as it is, counting UTF-8 bytes", () => {
    const ascii = "a".repeat(COMPRESS_ABOVE);
    expect(toStoredText(ascii)).toBe(ascii);
    // 1,023 characters, 2,046 bytes of UTF-8: over the threshold.
    expect(toStoredText("é".repeat(COMPRESS_ABOVE - 1))).toBeInstanceOf(CompressedText);
    const bytes = new TextEncoder().encode(ascii);
    expect(toStoredText(bytes)).toBe(bytes);
    expect(storedArg(toStoredText(bytes))).toBe(ascii);
  });

  it("compresses text over the threshold, and reads it back byte for byte", () => {
    const text = JSON.stringify({ output: "a claim for water damage, ünïcode included ".repeat(100) });
    const stored = toStoredText(text);
    expect(stored).toBeInstanceOf(CompressedText);
    const bytes = (stored as CompressedText).bytes;
    expect(bytes.byteLength).toBeLessThan(Buffer.byteLength(text) / 4);
    // As the driver hands a BLOB back: an ArrayBuffer.
    const copy = new Uint8Array(bytes).buffer;
    expect(fromStoredText(copy)).toBe(text);
    expect(fromStoredText(text)).toBe(text);
    expect(fromStoredTextOrNull(null)).toBeNull();
  });

  it("throws UnreadableStoredText for a BLOB that is not raw deflate", () => {
    expect(() => fromStoredText(new Uint8Array([0xff, 0xfe, 0x00, 0x01]).buffer)).toThrow(UnreadableStoredText);
    expect(fromStoredText(deflateRawSync("ok"))).toBe("ok");
  });
});
