import { describe, expect, it } from "vitest";
import { displayPrefix, generateApiKey, hashApiKey, hashesEqual, isWellFormedApiKey } from "./api-key.js";

describe("api keys", () => {
  it("generates st_-prefixed keys whose checksum validates", () => {
    const keys = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const key = generateApiKey();
      expect(key).toMatch(/^st_[0-9A-Za-z]{38}$/);
      expect(isWellFormedApiKey(key)).toBe(true);
      keys.add(key);
    }
    expect(keys.size).toBe(200);
  });

  it("rejects a key with one character changed (checksum)", () => {
    const key = generateApiKey();
    const i = 10;
    const changed = key.slice(0, i) + (key[i] === "a" ? "b" : "a") + key.slice(i + 1);
    expect(isWellFormedApiKey(changed)).toBe(false);
    expect(isWellFormedApiKey(key.slice(0, -1))).toBe(false);
    expect(isWellFormedApiKey("sk_" + key.slice(3))).toBe(false);
  });

  it("hashes with the secret, so another secret gives another hash", () => {
    const key = generateApiKey();
    const a = hashApiKey("a".repeat(32), key);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey("b".repeat(32), key)).not.toBe(a);
    expect(hashesEqual(a, hashApiKey("a".repeat(32), key))).toBe(true);
    expect(hashesEqual(a, hashApiKey("a".repeat(32), generateApiKey()))).toBe(false);
  });

  it("displays only a short prefix", () => {
    expect(displayPrefix("st_ABCDEFGHIJ")).toBe("st_ABCDEF");
  });
});
