import { describe, expect, it } from "vitest";
import { emptySample, hash32, mergeSample, offer, windowSample } from "./bottom-k.js";

describe("bottom-k samples", () => {
  it("keeps the k smallest hashes whatever the order items arrive in", () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `step-${i}`);
    const forward = emptySample();
    const backward = emptySample();
    ids.forEach((id, i) => offer(forward, hash32(id), i, 50));
    [...ids].reverse().forEach((id) => offer(backward, hash32(id), ids.indexOf(id), 50));
    expect(forward).toEqual(backward);
    expect(forward.v.length).toBe(50);
  });

  it("counts every item offered, and merging adds the counts as offering one by one would", () => {
    const a = emptySample();
    const b = emptySample();
    const whole = emptySample();
    for (let i = 0; i < 500; i++) {
      offer(i % 3 ? a : b, hash32(`s${i}`), i, 50);
      offer(whole, hash32(`s${i}`), i, 50);
    }
    mergeSample(a, b, 50);
    expect(a).toEqual(whole);
    expect(whole.n).toBe(500);
  });

  it("draws a window sample in proportion to each hour's volume", () => {
    const busy = emptySample();
    const quiet = emptySample();
    for (let i = 0; i < 5000; i++) offer(busy, hash32(`b${i}`), 1, 200);
    for (let i = 0; i < 500; i++) offer(quiet, hash32(`q${i}`), 0, 200);
    const values = windowSample(
      [
        { count: 5000, sample: busy },
        { count: 500, sample: quiet },
      ],
      220,
    );
    // 10:1 volume → 200:20 values, so the mean reflects the window, not the number of hours.
    expect(values.length).toBe(220);
    expect(values.filter((v) => v === 1).length).toBe(200);
  });

  it("spreads similar ids across the hash range", () => {
    const hashes = Array.from({ length: 10_000 }, (_, i) => hash32(`0192f0c1-7b3a-7000-8000-${String(i).padStart(12, "0")}`));
    const low = hashes.filter((h) => h < 2 ** 31).length;
    expect(low / hashes.length).toBeGreaterThan(0.48);
    expect(low / hashes.length).toBeLessThan(0.52);
  });
});
