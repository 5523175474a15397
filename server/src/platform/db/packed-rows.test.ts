import { createClient, type Client } from "@libsql/client";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PackedRows, type PackedValue } from "./packed-rows.js";
import { CompressedText, fromStoredText, toStoredText } from "./stored-text.js";
import { idFromStored, idFromStoredOrNull, refFromStored, storedId, storedRef } from "./stored-id.js";

// SQLite in memory: the unpacking is SQL, so only SQLite can say the values come back intact.
let client: Client;
beforeAll(async () => {
  client = createClient({ url: ":memory:" });
  await client.execute("CREATE TABLE t (own TEXT, a TEXT, b TEXT, i INTEGER, s TEXT, ns TEXT)");
});
afterAll(() => client.close());

const ROWS = new PackedRows([
  { kind: "ascii", width: 36 },
  { kind: "ascii", width: 16, nullable: true },
  { kind: "integer" },
  { kind: "text" },
  { kind: "text", nullable: true },
]);
const INSERT = ROWS.sql("INSERT INTO t (own, a, b, i, s, ns)", { leading: ["?4"] });

async function roundTrip(rows: PackedValue[][]): Promise<PackedValue[][]> {
  await client.execute("DELETE FROM t");
  const rs = await client.execute({ sql: INSERT, args: [...ROWS.pack(rows).args, "own"] });
  expect(rs.rowsAffected).toBe(rows.length);
  const back = await client.execute("SELECT own, a, b, i, s, ns FROM t ORDER BY rowid");
  expect(back.rows.every((r) => r[0] === "own")).toBe(true);
  return back.rows.map((r) => [r[1], r[2], r[3] === null ? null : Number(r[3]), r[4], r[5]] as PackedValue[]);
}

const printable = (max: number) =>
  fc.string({ unit: fc.constantFrom(..."abcXYZ019-_.:/ {}\"'\\~"), minLength: 1, maxLength: max }).filter((s) => !s.endsWith(" "));

describe("PackedRows", () => {
  it("hands back every value as packed, nulls included, whatever the text holds", async () => {
    const row = fc.tuple(
      printable(36),
      fc.option(printable(16), { nil: null }),
      fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
      // No NUL: the driver reads text back up to the first NUL however it was written (bound
      // parameters too), so a round trip could not tell.
      fc.string({ unit: "binary", maxLength: 40 }).filter((s) => !s.includes("\u0000")),
      fc.option(fc.string({ unit: "grapheme", maxLength: 20 }), { nil: null }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 30 }), async (rows) => {
        expect(await roundTrip(rows)).toEqual(rows);
      }),
      { numRuns: 150 },
    );
  });

  it("keeps empty texts apart from nulls, and safe-integer extremes and multi-byte text exact", async () => {
    const rows: PackedValue[][] = [
      ["0190f0f0-0000-7000-8000-000000000000", null, Number.MAX_SAFE_INTEGER, "", ""],
      ["x", "step.completed", Number.MIN_SAFE_INTEGER, "é😀\n\r\u2028", null],
      ["y", "a", 0, '{"a":"\\"quoted\\""}', "N"],
    ];
    expect(await roundTrip(rows)).toEqual(rows);
  });

  it("reads empty texts back as empty when no row has any other text", async () => {
    expect(await roundTrip([["a", null, 0, "", null]])).toEqual([["a", null, 0, "", null]]);
  });

  it("inserts nothing for no rows", async () => {
    expect(await roundTrip([])).toEqual([]);
  });

  it("refuses values that do not fit their column instead of storing something else", () => {
    const ok: PackedValue[] = ["id", null, 1, "t", null];
    const bad: Array<[number, PackedValue]> = [
      [0, "x".repeat(37)], // too wide
      [0, "é"], // not ASCII
      [0, "tab\there"], // a control character
      [0, "trailing "], // rtrim would drop the space
      [0, ""], // empty reads back as nothing
      [0, null], // not nullable
      [2, 1.5],
      [2, Number.MAX_SAFE_INTEGER + 1],
      [2, "1"],
      [3, null],
      [3, 1],
    ];
    for (const [column, value] of bad) {
      const row = [...ok];
      row[column] = value;
      expect(() => ROWS.pack([row]), `${column}: ${String(value)}`).toThrow();
    }
    expect(() => ROWS.pack([["id", null, 1]])).toThrow(/3 values for 5 columns/);
    expect(() => ROWS.pack([ok])).not.toThrow();
  });
});

describe("PackedRows, a compressed text column", () => {
  const BODIES = new PackedRows([{ kind: "integer" }, { kind: "text", compressed: true }]);

  it("stores compressed text as a BLOB and the rest as TEXT, each reading back as it was", async () => {
    const c = createClient({ url: ":memory:" });
    try {
      await c.execute("CREATE TABLE b (n INTEGER, body TEXT)");
      const small = '{"small":"ünïcode"}';
      const large = JSON.stringify({ text: "water damage ".repeat(400) });
      const values = [small, new TextEncoder().encode(small), toStoredText(large), toStoredText(small)];
      expect(values[2]).toBeInstanceOf(CompressedText);
      const packed = BODIES.pack(values.map((v, i) => [i, v]));
      await c.execute({ sql: BODIES.sql("INSERT INTO b (n, body)"), args: packed.args });
      const rs = await c.execute("SELECT typeof(body), body FROM b ORDER BY n");
      expect(rs.rows.map((r) => String(r[0]))).toEqual(["text", "text", "blob", "text"]);
      expect(rs.rows.map((r) => fromStoredText(r[1]))).toEqual([small, small, large, small]);
    } finally {
      c.close();
    }
  });

  it("refuses compressed text in a column not declared for it", () => {
    expect(() => ROWS.pack([["id", null, 1, toStoredText("x".repeat(5_000)), null]])).toThrow(/compressed text/);
  });
});

describe("PackedRows, a hex column", () => {
  const HASHES = new PackedRows([{ kind: "integer" }, { kind: "ascii", width: 64, hex: true }]);

  it("stores hex digits as the bytes they spell, and refuses what is not lowercase hex", async () => {
    const c = createClient({ url: ":memory:" });
    try {
      await c.execute("CREATE TABLE h (n INTEGER, hash BLOB)");
      const hashes = ["ab".repeat(32), "0123456789abcdef".repeat(4)];
      await c.execute({ sql: HASHES.sql("INSERT INTO h (n, hash)"), args: HASHES.pack(hashes.map((h, i) => [i, h])).args });
      const rs = await c.execute("SELECT typeof(hash), length(hash), lower(hex(hash)) FROM h ORDER BY n");
      expect(rs.rows.map((r) => [String(r[0]), Number(r[1]), String(r[2])])).toEqual(hashes.map((h) => ["blob", 32, h]));
    } finally {
      c.close();
    }
    expect(() => HASHES.pack([[0, "AB".repeat(32)]])).toThrow(/lowercase hex/);
    expect(() => HASHES.pack([[0, "abc"]])).toThrow(/lowercase hex/);
    expect(() => HASHES.pack([[0, "xy".repeat(32)]])).toThrow(/lowercase hex/);
  });
  it("stores an id column's canonical UUIDs as their 16 bytes and other ids as text, as stored-id.ts does", async () => {
    const ids = new PackedRows([
      { kind: "ascii", width: 36, id: true },
      { kind: "ascii", width: 36, id: true, nullable: true },
    ]);
    const c = createClient({ url: ":memory:" });
    try {
      await c.execute("CREATE TABLE ids (a, b)");
      const uuid = fc.uuid({ version: 7 });
      const other = fc.oneof(
        printable(36),
        uuid.map((u) => u.toUpperCase()),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.oneof(uuid, other), fc.option(fc.oneof(uuid, other), { nil: null })), { minLength: 1, maxLength: 20 }),
          async (rows) => {
            await c.execute("DELETE FROM ids");
            await c.execute({ sql: ids.sql("INSERT INTO ids (a, b)"), args: ids.pack(rows).args });
            const back = await c.execute("SELECT a, b, typeof(a) FROM ids ORDER BY rowid");
            expect(back.rows.map((r) => [idFromStored(r[0]), idFromStoredOrNull(r[1])])).toEqual(rows);
            for (const [i, r] of back.rows.entries()) {
              const stored = storedId(rows[i]![0]);
              expect(r[2]).toBe(typeof stored === "string" ? "text" : "blob");
              // The same value storedId binds, so lookups find it.
              const found = await c.execute({ sql: "SELECT count(*) FROM ids WHERE a = ?", args: [stored] });
              expect(Number(found.rows[0]![0])).toBeGreaterThan(0);
            }
          },
        ),
        { numRuns: 60 },
      );
    } finally {
      c.close();
    }
  });

  it("stores a text id column's canonical UUIDs as their 16 bytes and any other id, of any length, as text", async () => {
    const ids = new PackedRows([{ kind: "text", id: true }, { kind: "integer" }, { kind: "text", id: true, nullable: true }, { kind: "text" }]);
    const c = createClient({ url: ":memory:" });
    try {
      await c.execute("CREATE TABLE tids (a, i, b, s)");
      const uuid = fc.uuid({ version: 4 });
      const other = fc.oneof(
        fc.string({ unit: "grapheme", maxLength: 60 }).filter((s) => !s.includes("\u0000")),
        uuid.map((u) => u.toUpperCase()),
        uuid.map((u) => `${u}x`),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.oneof(uuid, other), fc.option(fc.oneof(uuid, other), { nil: null }), fc.string({ maxLength: 8 })), {
            minLength: 1,
            maxLength: 20,
          }),
          async (rows) => {
            await c.execute("DELETE FROM tids");
            const packed = ids.pack(rows.map(([a, b, s], i) => [a, i, b, s]));
            await c.execute({ sql: ids.sql("INSERT INTO tids (a, i, b, s)"), args: packed.args });
            const back = await c.execute("SELECT a, b, s, typeof(a), typeof(b) FROM tids ORDER BY i");
            expect(back.rows.map((r) => [idFromStored(r[0]), idFromStoredOrNull(r[1]), String(r[2])])).toEqual(rows);
            for (const [i, r] of back.rows.entries()) {
              const [a, b] = rows[i]!;
              expect(r[3]).toBe(typeof storedId(a) === "string" ? "text" : "blob");
              expect(r[4]).toBe(b === null ? "null" : typeof storedId(b) === "string" ? "text" : "blob");
            }
          },
        ),
        { numRuns: 80 },
      );
    } finally {
      c.close();
    }
    expect(() => new PackedRows([{ kind: "text", id: true }]).pack([[toStoredText("x".repeat(5_000))]])).toThrow(/compressed text/);
    expect(() => new PackedRows([{ kind: "text", id: true, compressed: true }])).toThrow(/at most one/);
  });

  it("stores a text ref column's references to a UUID as their 17 bytes and any other text as text", async () => {
    const refs = new PackedRows([{ kind: "text", ref: true }, { kind: "integer" }, { kind: "text", ref: true, nullable: true }]);
    const c = createClient({ url: ":memory:" });
    try {
      await c.execute("CREATE TABLE refs (a, i, b)");
      const ref = fc.tuple(fc.constantFrom("event", "sdk", "user", "step", "thing"), fc.uuid({ version: 7 })).map(([k, u]) => `${k}:${u}`);
      const other = fc.oneof(
        fc.string({ unit: "grapheme", maxLength: 50 }).filter((s) => !s.includes("\u0000")),
        ref.map((r) => r.toUpperCase()),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.oneof(ref, other), fc.option(fc.oneof(ref, other), { nil: null })), { minLength: 1, maxLength: 20 }),
          async (rows) => {
            await c.execute("DELETE FROM refs");
            await c.execute({ sql: refs.sql("INSERT INTO refs (a, i, b)"), args: refs.pack(rows.map(([a, b], i) => [a, i, b])).args });
            const back = await c.execute("SELECT a, b, typeof(a) FROM refs ORDER BY i");
            expect(back.rows.map((r) => [refFromStored(r[0]), r[1] === null ? null : refFromStored(r[1])])).toEqual(rows);
            for (const [i, r] of back.rows.entries()) {
              const stored = storedRef(rows[i]![0]);
              expect(r[2]).toBe(typeof stored === "string" ? "text" : "blob");
              const found = await c.execute({ sql: "SELECT count(*) FROM refs WHERE a = ?", args: [stored] });
              expect(Number(found.rows[0]![0])).toBeGreaterThan(0);
            }
          },
        ),
        { numRuns: 60 },
      );
    } finally {
      c.close();
    }
  });
});
