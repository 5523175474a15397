import { describe, expect, it } from "vitest";
import { ContractValidators } from "./contract-validator.js";

const key = ["p", "claims", "3", "reserve"] as const;
const schema = (s: unknown) => JSON.stringify(s);

describe("ContractValidators", () => {
  it("validates against JSON Schema draft 2020-12 and reports every error", () => {
    const v = new ContractValidators();
    const text = schema({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: { amount: { type: "number" }, tags: { type: "array", prefixItems: [{ type: "string" }], items: false } },
      required: ["amount"],
    });
    expect(v.check(key, text, { amount: 1, tags: ["a"] })).toEqual({ ok: true });
    const bad = v.check(key, text, { tags: [1, "extra"] });
    expect(bad.ok).toBe(false);
    // prefixItems/items:false are 2020-12 keywords: a draft-07 validator would not report them.
    expect(!bad.ok && "errors" in bad && bad.errors.map((e) => e.keyword).sort()).toEqual(["items", "required", "type"]);
  });

  it("recompiles when the stored schema changes, and keeps validators per step", () => {
    const v = new ContractValidators();
    expect(v.check(key, schema({ type: "number" }), "x").ok).toBe(false);
    expect(v.check(key, schema({ type: "string" }), "x").ok).toBe(true);
    expect(v.check(["p", "claims", "3", "other"], schema({ type: "number" }), "x").ok).toBe(false);
    expect(v.check(key, schema({ type: "string" }), "x").ok).toBe(true);
  });

  it("accepts draft-07 schemas, and two schemas with the same $id", () => {
    const v = new ContractValidators();
    const d7 = schema({ $schema: "http://json-schema.org/draft-07/schema#", $id: "https://schemas.example.test/x.json", type: "integer" });
    expect(v.check(key, d7, 2)).toEqual({ ok: true });
    expect(v.check(["p", "w", "1", "s"], schema({ $id: "https://schemas.example.test/x.json", type: "string" }), 2).ok).toBe(false);
  });

  it("checks the formats zod emits and ignores unknown ones", () => {
    const v = new ContractValidators();
    const text = schema({ type: "object", properties: { e: { type: "string", format: "email" }, x: { type: "string", format: "made-up" } } });
    expect(v.check(key, text, { e: "a@b.co", x: "anything" })).toEqual({ ok: true });
    expect(v.check(key, text, { e: "nope" }).ok).toBe(false);
  });

  it("reports a schema that does not compile as unusable instead of throwing", () => {
    const v = new ContractValidators();
    const res = v.check(key, schema({ $ref: "https://elsewhere.example/schema.json" }), 1);
    expect(res).toMatchObject({ ok: false, unusable: expect.any(String) });
    expect(v.check(key, "{not json", 1)).toMatchObject({ ok: false, unusable: expect.any(String) });
  });
});

describe("asynchronous schemas", () => {
  it("never counts an $async schema's promise as a pass", () => {
    const v = new ContractValidators();
    const check = v.check(["p", "w", "1", "s"], JSON.stringify({ $async: true, type: "string" }), 42);
    expect(check).toMatchObject({ ok: false, unusable: expect.stringContaining("asynchronous") });
  });
});
