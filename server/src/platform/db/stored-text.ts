import { deflateRawSync, inflateRawSync } from "node:zlib";

/**
 * Large JSON text kept compressed in the store: a value over `COMPRESS_ABOVE` bytes of UTF-8 is
 * stored as the raw-deflate of its bytes, in a BLOB; anything smaller stays TEXT. The storage class
 * of the value is the marker (`typeof(body) = 'blob'` in SQL, an ArrayBuffer from the driver), so
 * no row pays for a flag and a reader never guesses.
 *
 * Why 1 KiB: one deflate call costs a fixed ~20 µs on the reference machine (the stream's set-up),
 * as much as everything else ingest does for an event, while it saves ~40% of a 600-byte event
 * and ~50% of a 1 KiB one; from 4 KiB up it saves ~70% and its cost is small next to parsing and
 * hashing that body (docs/performance.md, "Storage").
 */
export const COMPRESS_ABOVE = 1024;

/** Compressed bytes to bind as a BLOB. */
export class CompressedText {
  constructor(readonly bytes: Uint8Array) {}
}

/** A value as the store keeps it: the text itself (a string or its UTF-8), or compressed. */
export type StoredText = string | Uint8Array | CompressedText;

const encoder = new TextEncoder();

/** The value to store for `text` (a string, or its UTF-8 bytes): compressed above the threshold. */
export function toStoredText(text: string | Uint8Array): StoredText {
  // A string of n UTF-16 units is at most 3n bytes of UTF-8 and at least n: most never need encoding.
  if (typeof text === "string" && text.length * 3 <= COMPRESS_ABOVE) return text;
  const bytes = typeof text === "string" ? encoder.encode(text) : text;
  if (bytes.byteLength <= COMPRESS_ABOVE) return text;
  return new CompressedText(deflateRawSync(bytes));
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
 * `UnreadableStoredText` for a BLOB that is not raw-deflate data.
 */
export function fromStoredText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    try {
      return inflateRawSync(bytes).toString("utf8");
    } catch (err) {
      throw new UnreadableStoredText(err);
    }
  }
  return String(value);
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
