import { createClient, type Client } from "@libsql/client";
import { uuidv7 } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  idFromStored,
  idFromStoredOrNull,
  idFromToken,
  idTextSql,
  idTokenSql,
  refFromStored,
  refIdSql,
  refOfKindSql,
  storedId,
  storedIdSql,
  storedRef,
  storedRefSql,
} from "./stored-id.js";

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
  });

  it("reads a value it never stores (someone's edit) as how SQL spells it, never as an id", () => {
    // Bytes of another length, and a canonical UUID as text (storedId makes it bytes): neither
    // may read as an id, or an audit entry edited that way would still hash as before.
    expect(idFromStored(Uint8Array.from([1, 2]))).toBe("x'0102'");
    expect(idFromStored(new Uint8Array(17).buffer)).toBe(`x'${"00".repeat(17)}'`);
    expect(idFromStored(uuid)).toBe(`'${uuid}'`);
    expect(idFromStored(storedId(uuid))).toBe(uuid);
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

  it("turns a stored id back into its text in SQL, as idFromStored does in JS", async () => {
    for (const id of [uuid, uuidv7(), ...others.filter((o) => !o.includes("\u0000"))]) {
      const rs = await client.execute({ sql: `SELECT ${idTextSql("?1")}`, args: [storedId(id)] });
      expect(String(rs.rows[0]![0]), id).toBe(id);
    }
    // Values the rule never writes read as idFromStored reads them, never as an id.
    for (const value of [Uint8Array.from([1, 2]), new Uint8Array(17), uuid, uuid.toUpperCase()]) {
      const rs = await client.execute({ sql: `SELECT ${idTextSql("?1")}`, args: [value] });
      expect(String(rs.rows[0]![0])).toBe(idFromStored(value));
    }
  });
});

describe("stored references (audit actors and subjects)", () => {
  const kinds = ["event", "step", "run", "sdk", "user", "key", "escalation", "webhook", "project", "workflow"];
  // Everything that is not `<kind>:<canonical UUID>` for a listed kind stays text.
  const texts = [
    "system:retention",
    "policy:wf/step",
    "review_group:water",
    "judge:gpt",
    `thing:${uuid}`,
    `Event:${uuid}`,
    `event:${uuid.toUpperCase()}`,
    `event:${uuid}x`,
    `event:${uuid}\u0000`,
    `event ${uuid}`,
    `:${uuid}`,
    uuid,
    `event:${uuid.slice(1)}`,
    ...others.map((o) => `sdk:${o}`),
  ];

  it("stores a kind's reference to a canonical UUID as the kind's byte and the 16 bytes, and reads it back", () => {
    for (const [i, kind] of kinds.entries()) {
      const id = uuidv7();
      const stored = storedRef(`${kind}:${id}`);
      expect(stored).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(stored as Uint8Array).toString("hex")).toBe((i + 1).toString(16).padStart(2, "0") + id.replaceAll("-", ""));
      expect(refFromStored(stored)).toBe(`${kind}:${id}`);
      expect(refFromStored(new Uint8Array(stored as Uint8Array).buffer)).toBe(`${kind}:${id}`);
    }
    for (const text of texts) {
      expect(storedRef(text), text).toBe(text);
      expect(refFromStored(text)).toBe(text);
    }
  });

  it("reads a value it never stores (someone's edit) as how SQL spells it, never as a reference", () => {
    for (const bytes of [new Uint8Array(16), Uint8Array.from([0, ...new Uint8Array(16)]), Uint8Array.from([99, ...new Uint8Array(16)]), new Uint8Array(0)]) {
      expect(refFromStored(bytes)).toMatch(/^x'[0-9a-f]*'$/);
    }
    expect(refFromStored(`event:${uuid}`)).toBe(`'event:${uuid}'`);
    expect(refFromStored(storedRef(`event:${uuid}`))).toBe(`event:${uuid}`);
  });

  it("gives the same stored value in SQL as in JS, and SQL tells the kind and the id either way", async () => {
    for (const ref of [...kinds.map((k) => `${k}:${uuidv7()}`), ...texts, "event:e1"]) {
      const rs = await client.execute({
        sql: `SELECT ${storedRefSql("?1")} = ?2, typeof(${storedRefSql("?1")}), ${refOfKindSql("?2", "event")}, ${refIdSql("?2", "event")}`,
        args: [ref, storedRef(ref)],
      });
      const r = rs.rows[0]!;
      expect(Number(r[0]), ref).toBe(1);
      expect(r[1], ref).toBe(storedRef(ref) instanceof Uint8Array ? "blob" : "text");
      const isEvent = ref.startsWith("event:");
      expect(Number(r[2]), ref).toBe(isEvent ? 1 : 0);
      if (ref.startsWith("event:") && !ref.includes("\u0000")) expect(idFromStored(r[3]), ref).toBe(ref.slice("event:".length));
    }
  });
});
