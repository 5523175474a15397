/**
 * Where each element of one array member of a JSON object lies in the document's UTF-8 bytes, so
 * the collector can store an event as the client wrote it instead of serialising it again
 * (JSON.stringify of a ~570-byte event costs ~1.6 µs, this scan ~0.8 µs, and a stored string
 * would be encoded to UTF-8 twice more: to hash it and to pack it).
 *
 * Only for a document JSON.parse has already accepted: the scan checks structure, not syntax.
 * It answers null when the member is absent or not an array, or present twice (JSON.parse keeps
 * the last; `"\u0065vents"` counts as `events`).
 */
export interface ElementSpans {
  /** Byte offsets: element i is bytes [start[i], end[i]). */
  start: number[];
  end: number[];
  /**
   * Member names written in each element, at every depth (each is followed by a `:`). Fewer keys
   * in the parsed element than this means a name was repeated and JSON.parse kept only one of
   * its values, so the text says more than the parsed value does.
   */
  keys: number[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

export function arrayMemberElements(input: Uint8Array, member: string): ElementSpans | null {
  // A plain Uint8Array view: element reads on it stay monomorphic (Buffer is a subclass).
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const name = Buffer.from(`"${member}"`, "latin1");
  const n = bytes.length;
  let i = 0;
  while (i < n && isSpace(bytes[i]!)) i++;
  if (bytes[i] !== OPEN_BRACE) return null;
  i++;
  let found: ElementSpans | null = null;
  // Top-level members: "name" : value , …
  for (;;) {
    while (i < n && isSpace(bytes[i]!)) i++;
    if (bytes[i] === CLOSE_BRACE) return found;
    if (bytes[i] !== QUOTE) return null;
    const keyStart = i;
    i = stringEnd(bytes, i);
    if (i < 0) return null;
    const key = bytes.subarray(keyStart, i);
    const isMember = key.includes(BACKSLASH) ? JSON.parse(Buffer.from(key).toString("utf8")) === member : Buffer.compare(key, name) === 0;
    while (i < n && isSpace(bytes[i]!)) i++;
    if (bytes[i] !== COLON) return null;
    i++;
    while (i < n && isSpace(bytes[i]!)) i++;
    if (isMember) {
      if (found || bytes[i] !== OPEN_BRACKET) return null;
      found = { start: [], end: [], keys: [] };
      i = elements(bytes, i, found);
    } else {
      i = valueEnd(bytes, i, null);
    }
    if (i < 0) return null;
    while (i < n && isSpace(bytes[i]!)) i++;
    if (bytes[i] === COMMA) i++;
  }
}

/** Past the closing quote of the string opening at `i`; -1 if it never closes. */
function stringEnd(bytes: Uint8Array, i: number): number {
  const n = bytes.length;
  for (i++; i < n; i++) {
    const b = bytes[i]!;
    if (b === BACKSLASH) i++;
    else if (b === QUOTE) return i + 1;
  }
  return -1;
}

/**
 * Past the end of the value starting at `i` (no leading space); counts the member names inside
 * it into `keys[0]` when given. -1 if the text ends first.
 */
function valueEnd(bytes: Uint8Array, i: number, keys: number[] | null): number {
  const n = bytes.length;
  const first = bytes[i];
  if (first === QUOTE) return stringEnd(bytes, i);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    // A number or a literal: up to the next delimiter.
    while (i < n) {
      const b = bytes[i]!;
      if (b === COMMA || b === CLOSE_BRACE || b === CLOSE_BRACKET || isSpace(b)) break;
      i++;
    }
    return i;
  }
  let depth = 0;
  let colons = 0;
  for (; i < n; i++) {
    const b = bytes[i]!;
    if (b === QUOTE) {
      i = stringEnd(bytes, i) - 1;
      if (i < 0) return -1;
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      depth++;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      if (--depth === 0) {
        if (keys) keys[0] = colons;
        return i + 1;
      }
    } else if (b === COLON) {
      colons++;
    }
  }
  return -1;
}

/** Records the elements of the array opening at `i`; past its closing bracket, or -1. */
function elements(bytes: Uint8Array, i: number, out: ElementSpans): number {
  const n = bytes.length;
  const keys = [0];
  i++;
  for (;;) {
    while (i < n && isSpace(bytes[i]!)) i++;
    if (i >= n) return -1;
    if (bytes[i] === CLOSE_BRACKET) return i + 1;
    const start = i;
    keys[0] = 0;
    i = valueEnd(bytes, i, keys);
    if (i < 0) return -1;
    out.start.push(start);
    out.end.push(i);
    out.keys.push(keys[0]!);
    while (i < n && isSpace(bytes[i]!)) i++;
    if (bytes[i] === COMMA) i++;
  }
}
