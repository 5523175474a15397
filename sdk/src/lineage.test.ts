import { describe, expect, it } from "vitest";
import { cumulativeConfidence, isStale, type LineageNode } from "./lineage.js";
import type { Source } from "./types.js";

function node(stepId: string, confidence: number, parents: LineageNode[] = [], source: Source = "inferred"): LineageNode {
  return { stepId, confidence, source, parents, cumulative: cumulativeConfidence(confidence, source, parents) };
}

describe("cumulativeConfidence", () => {
  it("multiplies along a chain", () => {
    const a = node("a", 0.9);
    const b = node("b", 0.8, [a]);
    const c = node("c", 0.5, [b]);
    expect(a.cumulative).toBeCloseTo(0.9, 12);
    expect(b.cumulative).toBeCloseTo(0.72, 12);
    expect(c.cumulative).toBeCloseTo(0.36, 12);
  });

  it("counts a diamond's shared ancestor once", () => {
    const a = node("a", 0.9);
    const b = node("b", 0.8, [a]);
    const c = node("c", 0.7, [a]);
    const d = node("d", 0.6, [b, c]);
    // 0.6 * 0.8 * 0.7 * 0.9 — not 0.6 * (0.8*0.9) * (0.7*0.9), which counts `a` twice.
    expect(d.cumulative).toBeCloseTo(0.6 * 0.8 * 0.7 * 0.9, 12);
    expect(d.cumulative).not.toBeCloseTo(0.6 * b.cumulative * c.cumulative, 6);
  });

  it("counts shared ancestors once in deeper overlapping DAGs", () => {
    const a = node("a", 0.5);
    const b = node("b", 0.9, [a]);
    const c = node("c", 0.8, [a, b]);
    const d = node("d", 0.7, [b, c]);
    expect(d.cumulative).toBeCloseTo(0.7 * 0.8 * 0.9 * 0.5, 12);
  });

  it("re-bases at a human-verified output", () => {
    const a = node("a", 0.3);
    const h = node("h", 1, [a], "human");
    const b = node("b", 0.9, [h]);
    const c = node("c", 0.8, [h, a]); // `a` reached directly still counts
    expect(h.cumulative).toBe(1);
    expect(b.cumulative).toBeCloseTo(0.9, 12);
    expect(c.cumulative).toBeCloseTo(0.8 * 0.3, 12);
  });

  it("is the own confidence for a root step", () => {
    expect(node("r", 0.42).cumulative).toBe(0.42);
  });
});

describe("isStale", () => {
  const now = Date.parse("2026-01-01T00:00:10Z");
  it("is stale when older than maxAgeMs", () => {
    expect(isStale(Date.parse("2026-01-01T00:00:00Z"), 5_000, now)).toBe(true);
  });
  it("is fresh within maxAgeMs, at the boundary included", () => {
    expect(isStale(Date.parse("2026-01-01T00:00:05Z"), 5_000, now)).toBe(false);
    expect(isStale(Date.parse("2026-01-01T00:00:08Z"), 5_000, now)).toBe(false);
  });
  it("is never stale without both observedAt and maxAgeMs", () => {
    expect(isStale(undefined, 5_000, now)).toBe(false);
    expect(isStale(0, undefined, now)).toBe(false);
  });
});
