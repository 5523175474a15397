import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { checkContract, describeContract, type StandardSchemaV1 } from "./contract.js";

/** A hand-written Standard Schema whose validation is asynchronous (a lookup, say). */
function asyncSchema(ok: (value: unknown) => boolean): StandardSchemaV1 {
  return {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: async (value) => (ok(value) ? { value } : { issues: [{ message: "not allowed", path: [{ key: "code" }] }] }),
    },
  };
}

describe("checkContract", () => {
  it("returns undefined for a conforming value, with zod and with valibot", () => {
    expect(checkContract(z.object({ amount: z.number() }), { amount: 1 })).toBeUndefined();
    expect(checkContract(v.object({ amount: v.number() }), { amount: 1 })).toBeUndefined();
  });

  it("maps zod issues to messages and paths", () => {
    const issues = checkContract(z.object({ items: z.array(z.object({ amount: z.number() })) }), { items: [{ amount: 1 }, { amount: "x" }] });
    expect(issues).toEqual([{ message: expect.stringContaining("expected number"), path: ["items", 1, "amount"] }]);
  });

  it("maps valibot issues, whose path segments are objects and which also carry a value", () => {
    const issues = checkContract(v.object({ items: v.array(v.object({ amount: v.number() })) }), { items: [{ amount: "x" }] });
    expect(issues).toEqual([{ message: expect.stringContaining("Expected number"), path: ["items", 0, "amount"] }]);
  });

  it("awaits an asynchronous validator", async () => {
    const schema = asyncSchema((x) => x === "ok");
    const bad = checkContract(schema, "nope");
    expect(bad).toBeInstanceOf(Promise);
    await expect(bad).resolves.toEqual([{ message: "not allowed", path: ["code"] }]);
    await expect(checkContract(schema, "ok")).resolves.toBeUndefined();
  });

  it("awaits zod's async refinements", async () => {
    const schema = z.object({ code: z.string().refine(async (c) => c.startsWith("P-"), "unknown policy") });
    await expect(checkContract(schema, { code: "X-1" })).resolves.toEqual([{ message: "unknown policy", path: ["code"] }]);
    await expect(checkContract(schema, { code: "P-1" })).resolves.toBeUndefined();
  });

  it("treats a validator that throws or rejects as a violation, not as a pass", async () => {
    const throwing: StandardSchemaV1 = {
      "~standard": {
        version: 1,
        vendor: "t",
        validate: () => {
          throw new Error("bug in schema");
        },
      },
    };
    const rejecting: StandardSchemaV1 = { "~standard": { version: 1, vendor: "t", validate: () => Promise.reject(new Error("lookup down")) } };
    expect(checkContract(throwing, 1)).toEqual([{ message: "validator threw: bug in schema" }]);
    await expect(checkContract(rejecting, 1)).resolves.toEqual([{ message: "validator threw: lookup down" }]);
  });

  it("treats an empty issues list as a failure, as the spec defines it", () => {
    const empty: StandardSchemaV1 = { "~standard": { version: 1, vendor: "t", validate: () => ({ issues: [] }) } };
    expect(checkContract(empty, 1)).toEqual([{ message: "invalid" }]);
  });

  it("keeps at most 50 issues so one bad value cannot bloat an event", () => {
    const issues = checkContract(
      z.array(z.number()),
      Array.from({ length: 500 }, () => "x"),
    ) as unknown[];
    expect(issues).toHaveLength(50);
  });
});

describe("describeContract", () => {
  it("describes a zod schema as draft 2020-12 JSON Schema with its vendor", () => {
    expect(describeContract(z.object({ amount: z.number() }), undefined)).toEqual({
      vendor: "zod",
      jsonSchema: expect.objectContaining({
        $schema: "https://json-schema.org/draft/2020-12/schema",
        type: "object",
        properties: { amount: { type: "number" } },
        required: ["amount"],
      }),
    });
  });

  it("has nothing to say for a validator without Standard JSON Schema, unless given one explicitly", () => {
    expect(describeContract(v.object({ amount: v.number() }), undefined)).toBeUndefined();
    const jsonSchema = { type: "object", properties: { amount: { type: "number" } } };
    expect(describeContract(v.object({ amount: v.number() }), { jsonSchema })).toEqual({ jsonSchema });
    expect(describeContract(undefined, { jsonSchema })).toEqual({ jsonSchema });
  });

  it("sends no contract, rather than throwing, for a schema JSON Schema cannot represent", () => {
    expect(() => z.object({ at: z.date() })["~standard"].jsonSchema.output({ target: "draft-2020-12" })).toThrow();
    expect(describeContract(z.object({ at: z.date() }), undefined)).toBeUndefined();
  });
});
