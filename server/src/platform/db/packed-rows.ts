/**
 * Many rows handed to SQLite as two BLOBs and unpacked in SQL with substr(), for the inserts that
 * write a row per event (events, audit_log). CPU per row, 2,000 rows a transaction, building the
 * statements, inserting and committing included (bench/packed-insert.ts, best of 5):
 *
 *                 multi-row VALUES (?, …)   json_each + value ->> i   packed
 *   events        7.5 µs                    7.5 µs                    4.4 µs
 *   audit_log     7.3 µs                    6.2 µs                    4.8 µs
 *
 * A multi-row INSERT passes every value through the driver as a parameter of its own; json_each
 * makes SQLite parse the row's JSON text again for every `->>` (and the event bodies must first
 * be escaped into the JSON). Packed, the statement has three parameters, and each value is a
 * substr() at a known byte offset.
 *
 * Layout: ?2 holds one fixed-width record per row; ?3 holds the UTF-8 of the variable-length
 * columns back to back, and a record says where each of its values there ends. BLOBs, not TEXT:
 * substr() of a BLOB counts bytes in O(1), of a TEXT it walks the UTF-8 characters from the start.
 */

import { refInto, uuidInto } from "./stored-id.js";
import { CompressedText } from "./stored-text.js";

/**
 * ASCII without control characters, fixed width: ids, hashes, enum values. With `hex`, hex digits
 * stored as the bytes they spell (a BLOB); with `id`, an id stored as stored-id.ts says (a
 * canonical UUID as its 16 bytes, anything else as text).
 */
export interface AsciiColumn {
  kind: "ascii";
  width: number;
  nullable?: boolean;
  hex?: boolean;
  id?: boolean;
}
/** A safe integer. */
export interface IntegerColumn {
  kind: "integer";
}
/**
 * Any text, any length: a string, or its UTF-8 bytes; with `compressed`, also a `CompressedText`
 * (stored as a BLOB); with `id` or `ref`, an id or an actor or subject reference of any length,
 * stored as stored-id.ts says.
 */
export interface TextColumn {
  kind: "text";
  nullable?: boolean;
  compressed?: boolean;
  id?: boolean;
  ref?: boolean;
}
export type PackedColumn = AsciiColumn | IntegerColumn | TextColumn;
export type PackedValue = string | number | Uint8Array | CompressedText | null;

/** Packed rows: `args` are ?1, ?2 and ?3 of the statement `PackedRows.sql` built. */
export interface Packed {
  count: number;
  args: [string, Buffer, Buffer];
}

const INTEGER_WIDTH = 17; // "-9007199254740991"
const END_WIDTH = 10; // where a text value ends in ?3: up to 9,999,999,999 bytes
const SPACE = 0x20;
const NULL_MARK = 0x4e; // "N" in the flag byte after a nullable text value's end
const BLOB_MARK = 0x42; // "B" in the flag byte after a compressed, id or ref text column's value: keep it a BLOB
const UUID_MARK = 0x55; // "U" in the flag byte before an id column's value: a UUID's 16 bytes follow

interface Layout {
  kind: PackedColumn["kind"];
  nullable: boolean;
  hex: boolean;
  id: boolean;
  ref: boolean;
  /** A text column whose flag byte may mark a BLOB (compressed, id or ref). */
  maybeBlob: boolean;
  /** Takes a `CompressedText`. */
  compressed: boolean;
  offset: number;
  width: number;
}

export class PackedRows {
  readonly #layout: Layout[];
  readonly #width: number;
  readonly #exprs: string[];

  constructor(columns: readonly PackedColumn[]) {
    let offset = 0;
    this.#layout = columns.map((column) => {
      const nullable = column.kind !== "integer" && column.nullable === true;
      // A text column's flag byte (after its end) marks a null or, in a compressed, id or ref
      // column, a BLOB. An ascii id column's first byte marks a UUID stored as its 16 bytes, written in JS
      // (stored-id.ts); a text id column's UUID is those 16 bytes in ?3, flagged as a BLOB.
      const ref = column.kind === "text" && column.ref === true;
      // One flag byte says BLOB, so it must mean one thing: compressed text, an id or a reference.
      if (column.kind === "text" && [column.compressed, column.id, column.ref].filter((f) => f === true).length > 1)
        throw new TypeError("a text column is at most one of compressed, id and ref");
      const compressed = column.kind === "text" && column.compressed === true;
      const maybeBlob = compressed || (column.kind === "text" && column.id === true) || ref;
      const id = column.kind !== "integer" && column.id === true;
      const width =
        column.kind === "ascii" ? column.width + (id ? 1 : 0) : column.kind === "integer" ? INTEGER_WIDTH : END_WIDTH + (nullable || maybeBlob ? 1 : 0);
      const l = {
        kind: column.kind,
        nullable,
        hex: column.kind === "ascii" && column.hex === true,
        id,
        ref,
        maybeBlob,
        compressed,
        offset,
        width,
      };
      offset += width;
      return l;
    });
    this.#width = offset;
    const w = this.#width;
    // ?1 row numbers, ?2 fixed records, ?3 text. Record n starts at byte n * w (substr counts from 1).
    const at = (o: number, len: number, row = "n") => `substr(?2, ${row} * ${w} + ${o + 1}, ${len})`;
    const texts = this.#layout.filter((l) => l.kind === "text");
    this.#exprs = this.#layout.map((l) => {
      if (l.kind === "integer") return `CAST(${at(l.offset, l.width)} AS INTEGER)`;
      if (l.kind === "ascii") {
        const from = l.offset + (l.id ? 1 : 0);
        const text = `rtrim(CAST(${at(from, l.width - (l.id ? 1 : 0))} AS TEXT), ' ')`;
        const v = l.nullable ? `NULLIF(${text}, '')` : text;
        if (l.id) return `CASE WHEN ${at(l.offset, 1)} = x'${UUID_MARK.toString(16)}' THEN ${at(from, 16)} ELSE ${v} END`;
        return l.hex ? `unhex(${v})` : v;
      }
      // Text values lie back to back in ?3, row after row: each starts where the one before it
      // ended (the previous text column's, or the previous row's last).
      const i = texts.indexOf(l);
      const end = `CAST(${at(l.offset, END_WIDTH)} AS INTEGER)`;
      const start =
        i > 0
          ? `CAST(${at(texts[i - 1]!.offset, END_WIDTH)} AS INTEGER)`
          : `CASE WHEN n = 0 THEN 0 ELSE CAST(${at(texts[texts.length - 1]!.offset, END_WIDTH, "(n - 1)")} AS INTEGER) END`;
      const bytes = `substr(?3, ${start} + 1, ${end} - ${start})`;
      const flag = at(l.offset + END_WIDTH, 1);
      const v = l.maybeBlob ? `CASE WHEN ${flag} = x'${BLOB_MARK.toString(16)}' THEN ${bytes} ELSE CAST(${bytes} AS TEXT) END` : `CAST(${bytes} AS TEXT)`;
      return l.nullable ? `CASE WHEN ${flag} = x'${NULL_MARK.toString(16)}' THEN NULL ELSE ${v} END` : v;
    });
  }

  /**
   * `INSERT INTO table (columns)` followed by a SELECT of `leading` (expressions over the
   * statement's own parameters, numbered from ?4) and then the packed columns in order, and
   * `tail`. (`WHERE true` lets an upsert clause follow: SQLite would otherwise read `ON CONFLICT`
   * as a join constraint.)
   */
  sql(insert: string, opts: { leading?: readonly string[]; tail?: string } = {}): string {
    const select = [...(opts.leading ?? []), ...this.#exprs].join(", ");
    // The row numbers n come from json_each over `[0,0,…]` (its key): ~0.05 µs a row against
    // ~0.15 µs for a recursive CTE counting up.
    return `${insert} SELECT ${select} FROM (SELECT key AS n FROM json_each(?1)) WHERE true ${opts.tail ?? ""}`.trimEnd();
  }

  pack(rows: readonly (readonly PackedValue[])[]): Packed {
    const layout = this.#layout;
    const columns = layout.length;
    let capacity = 1; // one byte more: the driver binds an empty Buffer as NULL
    for (const row of rows) {
      if (row.length !== columns) throw new TypeError(`a row has ${row.length} values for ${columns} columns`);
      for (let c = 0; c < columns; c++) {
        const v = row[c];
        // UTF-8 takes at most three bytes per UTF-16 unit.
        if (layout[c]!.kind === "text") {
          capacity += typeof v === "string" ? v.length * 3 : v instanceof Uint8Array ? v.byteLength : v instanceof CompressedText ? v.bytes.byteLength : 0;
        }
      }
    }
    // Spaces first: every field is then written without its padding.
    const fixed = Buffer.alloc(rows.length * this.#width, SPACE);
    const text = Buffer.allocUnsafe(capacity);
    let end = 0;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      const base = r * this.#width;
      for (let c = 0; c < columns; c++) {
        const { kind, nullable, hex, id, ref, compressed, offset, width } = layout[c]!;
        const value = row[c];
        const at = base + offset;
        if (kind === "integer") {
          if (typeof value !== "number" || !Number.isSafeInteger(value)) throw new TypeError(`column ${c}: ${String(value)} is not a safe integer`);
          writeInteger(fixed, at + width, value);
        } else if (value === null) {
          if (!nullable) throw new TypeError(`column ${c}: null in a column that is not nullable`);
          if (kind === "text") {
            writeInteger(fixed, at + END_WIDTH, end);
            fixed[at + END_WIDTH] = NULL_MARK;
          }
        } else if (value instanceof CompressedText) {
          if (!compressed) throw new TypeError(`column ${c}: compressed text in a column that does not take it`);
          text.set(value.bytes, end);
          end += value.bytes.byteLength;
          if (end >= 10 ** END_WIDTH) throw new RangeError("packed text over 10^10 bytes");
          writeInteger(fixed, at + END_WIDTH, end);
          fixed[at + END_WIDTH] = BLOB_MARK;
        } else if (kind === "text" && value instanceof Uint8Array) {
          text.set(value, end);
          end += value.byteLength;
          if (end >= 10 ** END_WIDTH) throw new RangeError("packed text over 10^10 bytes");
          writeInteger(fixed, at + END_WIDTH, end);
        } else if (typeof value !== "string") {
          throw new TypeError(`column ${c}: expected a string, got ${typeof value}`);
        } else if (kind === "ascii") {
          // Non-empty, printable, no trailing space (rtrim would take it): what reads back as written.
          const room = id ? width - 1 : width;
          if (value.length > room || !PRINTABLE.test(value)) throw new RangeError(`column ${c}: "${value}" does not fit ${room} printable ASCII characters`);
          if (hex && (value.length % 2 !== 0 || !LOWER_HEX.test(value))) throw new RangeError(`column ${c}: "${value}" is not lowercase hex`);
          if (!id) fixed.write(value, at, width, "latin1");
          else if (uuidInto(value, fixed, at + 1)) fixed[at] = UUID_MARK;
          else {
            fixed.fill(SPACE, at + 1, at + 17);
            fixed.write(value, at + 1, room, "latin1");
          }
        } else if (kind === "text" && (id || ref) && idBytesInto(ref, value, text, end) > 0) {
          end += ref ? 17 : 16;
          if (end >= 10 ** END_WIDTH) throw new RangeError("packed text over 10^10 bytes");
          writeInteger(fixed, at + END_WIDTH, end);
          fixed[at + END_WIDTH] = BLOB_MARK;
        } else {
          end += text.write(value, end, "utf8");
          if (end >= 10 ** END_WIDTH) throw new RangeError("packed text over 10^10 bytes");
          writeInteger(fixed, at + END_WIDTH, end);
        }
      }
    }
    return { count: rows.length, args: [rowNumbers(rows.length), fixed, text.subarray(0, Math.max(end, 1))] };
  }
}

const LOWER_HEX = /^[0-9a-f]*$/;

/** Writes an id's (16) or a reference's (17) bytes at `at` as stored-id.ts stores them, and answers how many: 0 for text. */
function idBytesInto(ref: boolean, value: string, out: Buffer, at: number): number {
  return ref ? refInto(value, out, at) : uuidInto(value, out, at) ? 16 : 0;
}

const zeros = new Map<number, string>();

/** A JSON array of `n` zeros, whose keys are the row numbers. */
function rowNumbers(n: number): string {
  let s = zeros.get(n);
  if (s === undefined) {
    s = n === 0 ? "[]" : `[${"0,".repeat(n - 1)}0]`;
    if (zeros.size < 64) zeros.set(n, s);
  }
  return s;
}

const PRINTABLE = /^[\x20-\x7e]*[\x21-\x7e]$/;

/** Writes `n` right-aligned to end just before `stop` (CAST … AS INTEGER reads past the leading spaces). */
function writeInteger(buf: Buffer, stop: number, n: number): void {
  let p = stop - 1;
  let x = n < 0 ? -n : n;
  do {
    const q = Math.floor(x / 10);
    buf[p--] = 48 + (x - q * 10);
    x = q;
  } while (x > 0);
  if (n < 0) buf[p] = 0x2d;
}
