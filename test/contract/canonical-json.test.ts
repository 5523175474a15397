import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson as goldenCanonical } from "../../golden/src/canonical-json.js";
import { canonicalJson as auditCanonical } from "../../server/src/modules/audit/chain.js";

/**
 * One canonical JSON in the project: a golden set's version and an audit entry's payload hash
 * are taken over the same text for the same value. Golden refuses what JSON cannot carry where the
 * audit chain stores what the database keeps, so they are compared on values both accept.
 */
const json = fc
  .jsonValue({ maxDepth: 4 })
  .map((v) => JSON.parse(JSON.stringify(v)) as unknown)
  .filter((v) => !hasInexactInteger(v));

/** Golden refuses integers past 2^53 (they cannot be kept exact); the audit chain hashes them as read. */
function hasInexactInteger(v: unknown): boolean {
  if (typeof v === "number") return Number.isInteger(v) && !Number.isSafeInteger(v) && Math.abs(v) < 1e21;
  if (Array.isArray(v)) return v.some(hasInexactInteger);
  if (typeof v === "object" && v !== null) return Object.values(v).some(hasInexactInteger);
  return false;
}

describe("canonical JSON", () => {
  it("golden sets and the audit chain write the same text for every JSON value", () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(goldenCanonical(value)).toBe(auditCanonical(value));
      }),
      { numRuns: 2000 },
    );
  });

  it("agrees on the cases where hand-written writers usually differ", () => {
    const tricky: unknown[] = [
      { "10": 1, "2": 2, b: 3, a: 4, "": 5 },
      { "\u00e9": 1, e: 2, "\ud83d\ude00": 3, "\uffff": 4 },
      [1.0, 1e21, 1e-7, -0, 0.1 + 0.2, 5e-324, 1.7976931348623157e308],
      { __proto__: null, z: [null, true, false, ""] },
      JSON.parse('{"__proto__":{"x":1}}'),
      "\u2028\u2029\u0000\u001f\u007f",
    ];
    for (const value of tricky) expect(goldenCanonical(value)).toBe(auditCanonical(value));
  });
});
