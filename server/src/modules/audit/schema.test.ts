import { describe, expect, it } from "vitest";
import { auditLog } from "./schema.js";

describe("audit_log's hash columns through drizzle", () => {
  it("store a SHA-256's 32 bytes, read back as the lowercase hex the chain hashes, and refuse anything else", () => {
    const hex = "0123456789abcdef".repeat(4);
    const stored = auditLog.hash.mapToDriverValue(hex) as Uint8Array;
    expect(stored.byteLength).toBe(32);
    expect(auditLog.hash.mapFromDriverValue(stored)).toBe(hex);
    for (const bad of ["zz".repeat(32), hex.toUpperCase(), hex.slice(2), `${hex}00`]) {
      expect(() => auditLog.payloadHash.mapToDriverValue(bad), bad).toThrow(/lowercase hex/);
    }
  });
});
