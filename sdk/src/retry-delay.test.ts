import { describe, expect, it } from "vitest";
import { backoffDelay, isRetryableStatus, MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelay } from "./retry-delay.js";

const NOW = Date.parse("2025-03-01T12:00:00.000Z");

describe("parseRetryAfter", () => {
  it("reads delta-seconds", () => {
    expect(parseRetryAfter("120", NOW)).toBe(120_000);
    expect(parseRetryAfter(" 0 ", NOW)).toBe(0);
    expect(parseRetryAfter("1.5", NOW)).toBe(1500);
  });

  it("reads an HTTP date as the time left until it", () => {
    expect(parseRetryAfter("Sat, 01 Mar 2025 12:00:30 GMT", NOW)).toBe(30_000);
  });

  it("treats a date in the past as no wait", () => {
    expect(parseRetryAfter("Sat, 01 Mar 2025 11:00:00 GMT", NOW)).toBe(0);
  });

  it("ignores absent and malformed values", () => {
    for (const v of [null, undefined, "", "soon", "-5", "1e3", "12abc"]) expect(parseRetryAfter(v, NOW)).toBeUndefined();
  });
});

describe("backoff", () => {
  it("grows exponentially from the floor and stops at the cap", () => {
    const top = () => 0.999999;
    expect(backoffDelay(0, 500, 30_000, top)).toBeCloseTo(1000, 0);
    expect(backoffDelay(1, 500, 30_000, top)).toBeCloseTo(2000, 0);
    expect(backoffDelay(4, 500, 30_000, top)).toBeCloseTo(16_000, 0);
    expect(backoffDelay(10, 500, 30_000, top)).toBeCloseTo(30_000, 0);
    expect(backoffDelay(10_000, 500, 30_000, top)).toBeCloseTo(30_000, 0);
  });

  it("jitters over the whole range but never below the floor", () => {
    expect(backoffDelay(3, 500, 30_000, () => 0)).toBe(500);
    expect(backoffDelay(3, 500, 30_000, () => 0.5)).toBe(500 + 0.5 * (8000 - 500));
  });

  it("survives a broken random source", () => {
    for (const r of [NaN, -1, 2]) {
      const d = backoffDelay(2, 500, 30_000, () => r);
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });

  it("honours Retry-After above the backoff, up to ten minutes", () => {
    const opts = { minBackoffMs: 500, maxBackoffMs: 30_000, random: () => 0 };
    expect(retryDelay(0, undefined, opts)).toBe(500);
    expect(retryDelay(0, 45_000, opts)).toBe(45_000); // beyond maxBackoffMs: the server knows best
    expect(retryDelay(0, 100, opts)).toBe(500); // never shorter than the backoff
    expect(retryDelay(0, 86_400_000, opts)).toBe(MAX_RETRY_AFTER_MS);
  });
});

it("calls exactly 429, 502, 503 and 504 retryable", () => {
  const retryable = [];
  for (let s = 100; s < 600; s++) if (isRetryableStatus(s)) retryable.push(s);
  expect(retryable).toEqual([429, 502, 503, 504]);
});
