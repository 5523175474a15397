import { deflateRawSync, inflateRawSync } from "node:zlib";
import { EVENT_BODY_DICTIONARY_1 } from "./text-dictionary.js";

/**
 * JSON text kept compressed in the store. A value is stored as a BLOB of its deflated UTF-8 when
 * that is smaller, and as TEXT otherwise; the storage class is the marker (`typeof(body) =
 * 'blob'` in SQL, an ArrayBuffer from the driver), so no row pays for a flag and a reader never
 * guesses.
 *
 * A BLOB this version writes starts with a tag byte naming the preset dictionary it was deflated
 * with (`DICTIONARY_TAGS`), then the raw deflate stream. A tag byte has bits 1 and 2 set: that
 * is block type 3 in deflate's first header, which the format reserves, so no raw deflate stream
 * starts with it. A BLOB without one is raw deflate with no dictionary, as versions before the
 * dictionary wrote for values over 1 KiB; both read back the same.
 *
 * Why every event body, not only large ones: without a dictionary deflate had little to refer
 * back to in a 500-byte body and saved ~40% for a fixed ~20 µs; with the wire format's keys and
 * common values as its dictionary it saves ~58% of such a body (571 → 239 bytes on the
 * benchmark's events) for the same cost (docs/performance.md, "Storage").
 */
const WRITE_TAG = 0x0e;
const WRITE_DICTIONARY = Buffer.from(EVENT_BODY_DICTIONARY_1, "utf8");
const DICTIONARY_TAGS = new Map<number, Buffer>([[WRITE_TAG, WRITE_DICTIONARY]]);

/** Below this many bytes a value is kept as it is: too little for deflate to win. */
export const COMPRESS_FROM = 64;

/** Compressed bytes to bind as a BLOB. */
export class CompressedText {
  constructor(readonly bytes: Uint8Array) {}
}

/** A value as the store keeps it: the text itself (a string or its UTF-8), or compressed. */
export type StoredText = string | Uint8Array | CompressedText;

/** The value to store for `text` (a string, or its UTF-8 bytes): compressed when that is smaller. */
export function toStoredText(text: string | Uint8Array): StoredText {
  // A string of n UTF-16 units is at least n bytes of UTF-8 and at most 3n.
  if (typeof text === "string" ? text.length * 3 < COMPRESS_FROM : text.byteLength < COMPRESS_FROM) return text;
  const size = typeof text === "string" ? Buffer.byteLength(text, "utf8") : text.byteLength;
  if (size < COMPRESS_FROM) return text;
  const deflated = deflateRawSync(text, { dictionary: WRITE_DICTIONARY });
  if (deflated.byteLength + 1 >= size) return text;
  const bytes = Buffer.allocUnsafe(deflated.byteLength + 1);
  bytes[0] = WRITE_TAG;
  deflated.copy(bytes, 1);
  return new CompressedText(bytes);
}

/** A stored value as a statement argument (a BLOB for compressed text). */
export function storedArg(value: StoredText): string | Uint8Array {
  if (value instanceof CompressedText) return value.bytes;
  return typeof value === "string" ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("utf8");
}

/** Thrown when a compressed value does not inflate: the store's bytes were damaged or edited. */
export class UnreadableStoredText extends Error {
  constructor(cause: unknown) {
    super("a compressed value in the store does not decompress", { cause });
    this.name = "UnreadableStoredText";
  }
}

/**
 * The text of a value read from the store: TEXT as it is, a BLOB inflated. Throws
 * `UnreadableStoredText` for a BLOB that does not inflate.
 */
export function fromStoredText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    try {
      return inflate(bytes).toString("utf8");
    } catch (err) {
      throw new UnreadableStoredText(err);
    }
  }
  return String(value);
}

function inflate(bytes: Uint8Array): Buffer {
  const first = bytes[0];
  if (first === undefined || (first & 0x06) !== 0x06) return inflateRawSync(bytes);
  const dictionary = DICTIONARY_TAGS.get(first);
  if (!dictionary) throw new Error(`unknown compression tag 0x${first.toString(16)}`);
  return inflateRawSync(bytes.subarray(1), { dictionary });
}

/** Like `fromStoredText`, with null for a missing value. */
export function fromStoredTextOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : fromStoredText(value);
}

/**
 * Like `fromStoredTextOrNull`, with `unreadable` in place of a compressed value that does not
 * decompress, for readers that report or skip a damaged body rather than fail on it.
 */
export function fromStoredTextOr<T>(value: unknown, unreadable: T): string | null | T {
  try {
    return fromStoredTextOrNull(value);
  } catch (err) {
    if (err instanceof UnreadableStoredText) return unreadable;
    throw err;
  }
}
