import { emptyRow, foldStep, HOUR_MS, type RollupRow } from "../src/modules/analytics/maths/rollup.js";

/** Rollup rows folded from simulated values, for the drift tests beside maths/drift.ts. */

export const T0 = Date.UTC(2026, 2, 2);

/** mulberry32: seeded, so every simulation gives the same answer on every machine. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller). */
export const normal = (r: () => number): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

let ids = 0;
/** One hour's rollup row of a step, folded from values the way the rollup job folds events. */
export function hourRow(hour: number, values: ReadonlyArray<{ amount?: number; output?: unknown; confidence?: number }>): RollupRow {
  const key = { projectId: "p", workflow: "claims", version: "1", step: "extract", hour: T0 + hour * HOUR_MS };
  const row = emptyRow(key);
  const wf = emptyRow({ ...key, step: "" });
  for (const v of values) {
    foldStep(row, wf, {
      stepId: `s-${ids++}`,
      failed: false,
      source: "inferred",
      confidence: v.confidence,
      cumulative: undefined,
      gate: "pass",
      spotCheck: false,
      durationMs: 5,
      output: v.output ?? null,
      features: v.amount === undefined ? undefined : { amount: v.amount },
    });
  }
  return row;
}
