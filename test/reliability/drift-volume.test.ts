import { describe, expect, it } from "vitest";
import { offer } from "../../server/src/modules/analytics/maths/bottom-k.js";
import { judgeDrift, measureDrift, type DriftCutoffs } from "../../server/src/modules/analytics/maths/drift.js";
import { CONFIDENCE_BINS } from "../../server/src/modules/analytics/maths/reliability.js";
import { emptyRow, HOUR_MS, type RollupRow } from "../../server/src/modules/analytics/maths/rollup.js";
import { scale, writeSummary } from "../support/reliability.js";

/**
 * Drift's false-alarm rate at production volume: 5 series judged together (one Benjamini–Hochberg
 * correction, as the drift job does), each a window of 48,000 values against another drawn from
 * the same distribution. At this volume every p-value is sharp, so only the effect-size verdicts
 * keep ordinary noise from alerting. Seeded: the same count on every machine.
 */
const EVALUATIONS = scale(20, 200);
const SERIES = 5;
const HOURS = 4;
const PER_HOUR = 12_000;
const CUTOFFS: DriftCutoffs = { psiWatch: 0.1, psiAlert: 0.25, pAlert: 0.01 };
const CATEGORIES = ["water", "fire", "theft", "other"];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One hour of a step's rollup as the rollup job folds it, for the series drift reads: the
 * confidence histogram and output counts hold every value, and the confidence and amount samples
 * are bottom-k by the step's hash (one hash a step, shared by its series, as in rollup.ts).
 */
function hour(r: () => number, at: number): RollupRow {
  const row = emptyRow({ projectId: "p", workflow: "claims", version: "1", step: "extract", hour: at * HOUR_MS });
  const output: Record<string, number> = {};
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  row.samples.confidence = { h: [], v: [], n: 0 };
  row.samples["f:amount"] = { h: [], v: [], n: 0 };
  for (let i = 0; i < PER_HOUR; i++) {
    const hash = Math.floor(r() * 2 ** 32);
    const confidence = Math.min(1, Math.max(0, 0.8 + 0.1 * normal()));
    row.confidence[Math.min(CONFIDENCE_BINS - 1, Math.floor(confidence * CONFIDENCE_BINS))]! += 1;
    offer(row.samples.confidence, hash, confidence);
    offer(row.samples["f:amount"], hash, Math.exp(normal()));
    const c = CATEGORIES[Math.floor(r() ** 1.5 * CATEGORIES.length)]!;
    output[c] = (output[c] ?? 0) + 1;
  }
  row.categories.output = output;
  row.steps = PER_HOUR;
  return row;
}

describe("drift at volume, without drift", () => {
  it(`raises no alert in ≥ 99% of ${EVALUATIONS} evaluations of ${SERIES} series at ${HOURS * PER_HOUR} values a window`, () => {
    const r = rng(20261206);
    let alerts = 0;
    let watches = 0;
    let sharpP = 0;
    let maxPsi = 0;
    for (let e = 0; e < EVALUATIONS; e++) {
      const reports = Array.from({ length: SERIES }, () =>
        measureDrift(
          Array.from({ length: HOURS }, (_, h) => hour(r, h)),
          Array.from({ length: HOURS }, (_, h) => hour(r, HOURS + h)),
        ),
      );
      const judged = judgeDrift(reports, CUTOFFS);
      if (judged.some((x) => x.level === "alert")) alerts++;
      if (judged.some((x) => x.level !== "ok")) watches++;
      for (const t of judged.flatMap((x) => x.tests)) {
        if (t.pvalue !== null && t.pvalue < 0.01) sharpP++;
        if (t.psi !== null) maxPsi = Math.max(maxPsi, t.psi);
      }
    }
    writeSummary("drift-volume", {
      evaluations: EVALUATIONS,
      series: SERIES,
      valuesPerWindow: HOURS * PER_HOUR,
      alerts,
      watches,
      rawPBelow001: sharpP,
      maxPsi,
    });
    expect(alerts / EVALUATIONS).toBeLessThanOrEqual(0.01);
    expect(watches / EVALUATIONS).toBeLessThanOrEqual(0.01);
  });
});
