import type { GoldenResultDetail } from "./types.js";

export interface MatrixCell {
  accuracy: number | null;
  reached: number;
  correct: number;
  /** The result named this step among its regressions against the baseline. */
  regressed: boolean;
  /** Accuracy change from the previous (older) result's same step; null without one. */
  delta: number | null;
}

export interface AccuracyMatrix {
  /** Columns, oldest first, so the matrix reads left to right in time. */
  results: GoldenResultDetail[];
  /** Rows: every step any result measured, in the newest result's order, then the rest. */
  steps: string[];
  cells: MatrixCell[][];
  /** Per column: end-to-end accuracy and whether it regressed. */
  endToEnd: Array<{ accuracy: number | null; regressed: boolean }>;
}

/**
 * Per-step accuracy across golden results (steps × results), with the regressions each result
 * reported marked. Pure, so the page only draws it.
 */
export function accuracyMatrix(newestFirst: readonly GoldenResultDetail[]): AccuracyMatrix {
  const results = [...newestFirst].reverse();
  const steps: string[] = [];
  for (const r of [...newestFirst]) for (const s of r.summary.steps) if (!steps.includes(s.step)) steps.push(s.step);
  const cells = steps.map((step) =>
    results.map((r, i) => {
      const s = r.summary.steps.find((x) => x.step === step);
      const prev = i > 0 ? results[i - 1]!.summary.steps.find((x) => x.step === step) : undefined;
      const accuracy = s?.accuracy ?? null;
      return {
        accuracy,
        reached: s?.reached ?? 0,
        correct: s?.correct ?? 0,
        regressed: r.regressions.some((g) => g.what === step),
        delta: accuracy !== null && prev?.accuracy !== null && prev?.accuracy !== undefined ? accuracy - prev.accuracy : null,
      };
    }),
  );
  const endToEnd = results.map((r) => ({ accuracy: r.summary.endToEndAccuracy, regressed: r.regressions.some((g) => g.what === "end-to-end") }));
  return { results, steps, cells, endToEnd };
}
