import type { Source } from "./types.js";

/** The part of a step handle that lineage needs: its confidence, source and parents. */
export interface LineageNode {
  readonly stepId: string;
  /** Undefined for an unscored step, which counts as 1. */
  readonly confidence: number | undefined;
  readonly cumulative: number;
  readonly source: Source;
  readonly parents: readonly LineageNode[];
}

/**
 * Cumulative confidence: the product of a step's own confidence and the own
 * confidence of every distinct ancestor. A shared ancestor in a diamond counts once, and a
 * human-verified output re-bases the chain: it counts as 1 and hides its own ancestors, so a
 * run resumed from a review does not trip the same cumulative gate again. An unscored step
 * (`own` undefined) is neutral: it counts as 1, and its ancestors still count.
 * @example
 * cumulativeConfidence(0.9, "inferred", [extract]) // 0.9 × extract.cumulative
 */
export function cumulativeConfidence(own: number | undefined, source: Source, parents: readonly LineageNode[]): number {
  if (source === "human") return 1;
  own ??= 1;
  if (parents.length === 0) return own;
  // One parent cannot share ancestors with itself: its cumulative already is the product over
  // its distinct ancestors. This keeps a long chain O(1) per step instead of O(depth).
  if (parents.length === 1) return own * parents[0]!.cumulative;
  let product = own;
  const seen = new Set<string>();
  const stack: LineageNode[] = [...parents];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node.stepId)) continue;
    seen.add(node.stepId);
    if (node.source === "human") continue; // counts as 1; its ancestors no longer count
    product *= node.confidence ?? 1;
    for (const p of node.parents) if (!seen.has(p.stepId)) stack.push(p);
  }
  return product;
}

/** An output is stale when it was observed longer ago than its maximum age allows. */
export function isStale(observedAtMs: number | undefined, maxAgeMs: number | undefined, nowMs: number): boolean {
  if (observedAtMs === undefined || maxAgeMs === undefined) return false;
  return nowMs - observedAtMs > maxAgeMs;
}

/** Accepts the forms people pass for a time: Date, epoch milliseconds, or an ISO string. */
export function toEpochMs(value: Date | number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
