import { createClient, type Client } from "@libsql/client";
import { uuidv7 } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idFromStored, idFromStoredOrNull, idFromToken, idTokenSql, storedId, storedIdSql } from "./stored-id.js";

let client: Client;
beforeAll(() => {
  client = createClient({ url: ":memory:" });
});
afterAll(() => client.close());

const uuid = "018f0a2b-1c3d-7e4f-8a9b-0c1d2e3f4a5b";
// Everything that is not a canonical UUID stays text: each differs from one in one way.
const others = [
  "p",
  "",
  uuid.toUpperCase(),
  `{${uuid}}`,
  uuid.replaceAll("-", ""),
  `${uuid.slice(0, 8)}${uuid.slice(9, 13)}-${uuid.slice(13)}-`, // a dash moved
  `${uuid.slice(0, 35)}g`,
  `${uuid}0`,
  uuid.slice(1),
  "0123456789abcdef0123456789abcdef----", // 32 hex digits and 4 dashes, not where a UUID has them
  "é😀-ids-are-text",
  `${uuid}\u0000x`, // SQL's GLOB and unhex stop at a NUL: the byte length tells
  `${uuid.slice(0, 35)}\u0000`,
];

describe("stored ids", () => {
  it("stores a canonical UUID as its 16 bytes and reads it back", () => {
    const stored = storedId(uuid);
    expect(stored).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(stored as Uint8Array).toString("hex")).toBe(uuid.replaceAll("-", ""));
    expect(idFromStored(stored)).toBe(uuid);
    // The driver returns a BLOB as an ArrayBuffer.
    const copy = new Uint8Array(stored as Uint8Array).buffer;
    expect(idFromStored(copy)).toBe(uuid);
    for (let i = 0; i < 1_000; i++) {
      const id = uuidv7();
      expect(idFromStored(storedId(id))).toBe(id);
    }
  });

  it("keeps any other id as its text, so the mapping is one to one", () => {
    for (const id of others) {
      expect(storedId(id), id).toBe(id);
      expect(idFromStored(id)).toBe(id);
    }
    expect(idFromStoredOrNull(null)).toBeNull();
    expect(() => idFromStored(new Uint8Array(15))).toThrow(/15 bytes/);
  });

  it("gives the same stored value in SQL as in JS, and the same text back", async () => {
    for (const id of [uuid, uuidv7(), ...others]) {
      const rs = await client.execute({
        sql: `SELECT ${storedIdSql("?1")} = ?2, typeof(${storedIdSql("?1")}), ${idTokenSql(storedIdSql("?1"))}`,
        args: [id, storedId(id)],
      });
      const r = rs.rows[0]!;
      expect(Number(r[0]), id).toBe(1);
      expect(r[1], id).toBe(storedId(id) instanceof Uint8Array ? "blob" : "text");
      // The driver reads text back only up to a NUL, however it was written.
      if (!id.includes("\u0000")) expect(idFromToken(String(r[2])), id).toBe(id);
    }
  });
});
