/**
 * Many rows handed to SQLite as two BLOBs and unpacked in SQL with substr(), for the inserts that
 * write a row per event (events, audit_log). CPU per row, 2,000 rows a transaction, inserting and
 * committing included (bench/packed-insert.ts, best of 5):
 *
 *                 multi-row VALUES (?, …)   json_each + value ->> i   packed
 *   events        9.2 µs                    9.4 µs                    6.3 µs
 *   audit_log     9.1 µs                    7.8 µs                    6.5 µs
 *
 * A multi-row INSERT passes every value through the driver as a parameter of its own; json_each
 * makes SQLite parse the row's JSON text again for every `->>` (and the event bodies must first
 * be escaped into the JSON). Packed, the statement has three parameters, and each value is a
 * substr() at a known byte offset.
 *
 * Layout: ?2 holds one fixed-width record per row; ?3 holds the UTF-8 of the variable-length
 * columns back to back, which a record points into by offset and length. BLOBs, not TEXT:
 * substr() of a BLOB counts bytes in O(1), of a TEXT it walks the UTF-8 characters from the start.
 */

/** ASCII without control characters, fixed width: ids, hashes, enum values. */
export interface AsciiColumn {
  kind: "ascii";
  width: number;
  nullable?: boolean;
}
/** A safe integer. */
export interface IntegerColumn {
  kind: "integer";
}
/** Any text, any length. */
export interface TextColumn {
  kind: "text";
  nullable?: boolean;
}
export type PackedColumn = AsciiColumn | IntegerColumn | TextColumn;
export type PackedValue = string | number | null;

/** Packed rows: `args` are ?1, ?2 and ?3 of the statement `PackedRows.sql` built. */
export interface Packed {
  count: number;
  args: [number, Buffer, Buffer];
}

const INTEGER_WIDTH = 17; // "-9007199254740991"
const NUMBER_WIDTH = 10; // offsets and lengths in `text`: up to 9,999,999,999 bytes
const SPACE = 0x20;
const NULL_MARK = 0x4e; // "N" in the offset field of a null text value

interface Layout {
  column: PackedColumn;
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
      const width = column.kind === "ascii" ? column.width : column.kind === "integer" ? INTEGER_WIDTH : 2 * NUMBER_WIDTH;
      const l = { column, offset, width };
      offset += width;
      return l;
    });
    this.#width = offset;
    const w = this.#width;
    // ?1 rows, ?2 fixed records, ?3 text. Record n starts at byte n * w (substr counts from 1).
    const at = (o: number, len: number) => `substr(?2, n * ${w} + ${o + 1}, ${len})`;
    this.#exprs = this.#layout.map(({ column, offset: o, width }) => {
      if (column.kind === "integer") return `CAST(${at(o, width)} AS INTEGER)`;
      if (column.kind === "ascii") {
        const v = `rtrim(CAST(${at(o, width)} AS TEXT), ' ')`;
        return column.nullable ? `NULLIF(${v}, '')` : v;
      }
      const start = `CAST(${at(o, NUMBER_WIDTH)} AS INTEGER)`;
      const length = `CAST(${at(o + NUMBER_WIDTH, NUMBER_WIDTH)} AS INTEGER)`;
      const v = `CAST(substr(?3, ${start} + 1, ${length}) AS TEXT)`;
      return column.nullable ? `CASE WHEN ${at(o, 1)} = x'${NULL_MARK.toString(16)}' THEN NULL ELSE ${v} END` : v;
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
    return (
      `WITH RECURSIVE packed(n) AS (SELECT 0 WHERE ?1 > 0 UNION ALL SELECT n + 1 FROM packed WHERE n + 1 < ?1) ` +
      `${insert} SELECT ${select} FROM packed WHERE true ${opts.tail ?? ""}`
    ).trimEnd();
  }

  pack(rows: readonly (readonly PackedValue[])[]): Packed {
    // Spaces first: every field is then written without its padding.
    const fixed = Buffer.alloc(rows.length * this.#width, SPACE);
    const texts: string[] = [];
    // Where each text value's offset and length go in `fixed`, once the text is encoded.
    const slots: number[] = [];
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      if (row.length !== this.#layout.length) throw new TypeError(`row ${r} has ${row.length} values for ${this.#layout.length} columns`);
      const base = r * this.#width;
      for (let c = 0; c < this.#layout.length; c++) {
        const { column, offset, width } = this.#layout[c]!;
        const value = row[c];
        const at = base + offset;
        if (column.kind === "integer") {
          if (typeof value !== "number" || !Number.isSafeInteger(value)) throw new TypeError(`column ${c}: ${String(value)} is not a safe integer`);
          writeNumber(fixed, at, width, value);
        } else if (value === null) {
          if (!column.nullable) throw new TypeError(`column ${c}: null in a column that is not nullable`);
          if (column.kind === "text") fixed[at] = NULL_MARK;
        } else if (typeof value !== "string") {
          throw new TypeError(`column ${c}: expected a string, got ${typeof value}`);
        } else if (column.kind === "ascii") {
          // Non-empty, printable, no trailing space (rtrim would take it): what reads back as written.
          if (value.length > width || !PRINTABLE.test(value)) throw new RangeError(`column ${c}: "${value}" does not fit ${width} printable ASCII characters`);
          fixed.write(value, at, width, "latin1");
        } else {
          texts.push(value);
          slots.push(at);
        }
      }
    }
    const joined = texts.join("");
    // Never empty: the driver binds an empty Buffer as NULL, and substr(NULL, …) is NULL, not ''.
    const text = joined.length > 0 ? Buffer.from(joined, "utf8") : Buffer.from(" ");
    // One encode for all values; when every character is ASCII, byte offsets are string offsets.
    const ascii = joined.length === 0 || text.length === joined.length;
    let offset = 0;
    for (let i = 0; i < texts.length; i++) {
      const length = ascii ? texts[i]!.length : Buffer.byteLength(texts[i]!, "utf8");
      writeNumber(fixed, slots[i]!, NUMBER_WIDTH, offset);
      writeNumber(fixed, slots[i]! + NUMBER_WIDTH, NUMBER_WIDTH, length);
      offset += length;
    }
    return { count: rows.length, args: [rows.length, fixed, text] };
  }
}

const PRINTABLE = /^[\x20-\x7e]*[\x21-\x7e]$/;

/** Right-aligned in its field: CAST(... AS INTEGER) reads past the leading spaces. */
function writeNumber(buf: Buffer, at: number, width: number, n: number): void {
  const s = String(n);
  if (s.length > width) throw new RangeError(`${s} is wider than ${width} characters`);
  buf.write(s, at + width - s.length, "latin1");
}
