import { describe, expect, it } from "vitest";
import { addLatency, latencyQuantile, mergeLatency, type LatencyHistogram } from "./latency.js";

function exactQuantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil(q * s.length)) - 1]!;
}

describe("latency histogram", () => {
  // A deterministic spread of latencies from 1 ms to ~30 s (log-uniform).
  const xs = Array.from({ length: 5000 }, (_, i) => Math.exp((((i * 7919) % 5000) / 5000) * Math.log(30_000)));

  it("reports every quantile within 4.5% of the exact nearest-rank value", () => {
    const h: LatencyHistogram = {};
    for (const x of xs) addLatency(h, x);
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      const exact = exactQuantile(xs, q);
      expect(Math.abs(latencyQuantile(h, q)! - exact) / exact).toBeLessThan(0.045);
    }
  });

  it("merges exactly: halves merged answer as the whole", () => {
    const whole: LatencyHistogram = {};
    const a: LatencyHistogram = {};
    const b: LatencyHistogram = {};
    xs.forEach((x, i) => {
      addLatency(whole, x);
      addLatency(i % 2 ? a : b, x);
    });
    expect(mergeLatency(a, b)).toEqual(whole);
  });

  it("is null when empty and puts sub-millisecond latencies in bucket 0", () => {
    expect(latencyQuantile({}, 0.5)).toBeNull();
    const h: LatencyHistogram = {};
    addLatency(h, 0);
    expect(latencyQuantile(h, 0.5)).toBe(0.5);
  });
});
