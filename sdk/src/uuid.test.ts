import { describe, expect, it } from "vitest";
import { isUuid, uuidv7, uuidv7Time } from "./uuid.js";

describe("uuidv7", () => {
  it("sets version 7 and the RFC 9562 variant", () => {
    for (let i = 0; i < 1000; i++) {
      const id = uuidv7();
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe("7");
      expect("89ab").toContain(id[19]);
    }
  });

  it("embeds the current time in milliseconds", () => {
    const before = Date.now();
    const id = uuidv7();
    const after = Date.now();
    expect(uuidv7Time(id)).toBeGreaterThanOrEqual(before);
    expect(uuidv7Time(id)).toBeLessThanOrEqual(after + 1);
  });

  it("is strictly increasing and unique across many ids made in the same milliseconds", () => {
    const ids = Array.from({ length: 50_000 }, () => uuidv7());
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
