import { describe, expect, it } from "vitest";
import { hourRow, normal, rng } from "../../../../test-support/drift-rows.js";
import { driftOf, judgeDrift, measureDrift, type DriftCutoffs } from "./drift.js";
import { countByEdges, psi, quantileEdges } from "./psi.js";

// Seeded simulations of drift verdicts (tens of seconds on a loaded machine): they run with the
// integration suites. At production volume: test/reliability/drift-volume.test.ts.
const CUTOFFS: DriftCutoffs = { psiWatch: 0.1, psiAlert: 0.25, pAlert: 0.01 };

describe("drift samples stay uniform over bursty traffic", () => {
  it("measures the PSI all values give, in 20 of 20 replicates, when one hour holds 80% of the window", () => {
    for (let rep = 0; rep < 20; rep++) {
      const r = rng(1000 + rep);
      // Baseline: a steady 24 hours. Current: 23 quiet hours like the baseline and one burst whose
      // traffic is shifted, holding about 80% of the window (the case measured in production).
      const base: number[][] = Array.from({ length: 24 }, () => Array.from({ length: 120 }, () => normal(r)));
      const quiet: number[][] = Array.from({ length: 23 }, () => Array.from({ length: 120 }, () => normal(r)));
      const burst = Array.from({ length: 11_000 }, () => 0.45 + normal(r));
      const baseline = base.map((vs, h) =>
        hourRow(
          h,
          vs.map((amount) => ({ amount })),
        ),
      );
      const current = [...quiet, burst].map((vs, h) =>
        hourRow(
          24 + h,
          vs.map((amount) => ({ amount })),
        ),
      );
      // The truth: PSI over every value, bins from the whole baseline's deciles.
      const allBase = base.flat();
      const allCur = [...quiet.flat(), ...burst];
      const edges = quantileEdges(allBase, 10);
      const truth = psi(countByEdges(allBase, edges), countByEdges(allCur, edges))!;
      const t = driftOf(baseline, current, CUTOFFS).tests.find((x) => x.series === "f:amount")!;
      expect(t.currentN).toBe(2_000);
      expect(Math.abs(t.psi! - truth), `replicate ${rep}: sample PSI ${t.psi} vs all values ${truth}`).toBeLessThan(0.06);
      expect(t.level).toBe("watch");
    }
  });
});

describe("drift verdicts without drift", () => {
  it("raises no alert in ≥ 99% of 200 evaluations of 5 series without drift, at 30 to 300 values a side", () => {
    const r = rng(42);
    let alerts = 0;
    let anyWatch = 0;
    for (let e = 0; e < 200; e++) {
      const reports = [];
      for (let s = 0; s < 5; s++) {
        const n = 30 + Math.floor(r() * 270);
        const draw = () => ({
          amount: Math.exp(normal(r)),
          output: ["water", "fire", "theft", "other"][Math.floor(r() ** 1.5 * 4)]!,
          confidence: Math.min(1, Math.max(0, 0.8 + 0.1 * normal(r))),
        });
        reports.push(measureDrift([hourRow(0, Array.from({ length: n }, draw))], [hourRow(1, Array.from({ length: n }, draw))]));
      }
      const judged = judgeDrift(reports, CUTOFFS);
      if (judged.some((x) => x.level === "alert")) alerts++;
      if (judged.some((x) => x.level !== "ok")) anyWatch++;
    }
    expect(alerts / 200).toBeLessThanOrEqual(0.01);
    expect(anyWatch / 200).toBeLessThanOrEqual(0.01);
  });
});
