import { describe, expect, it } from "vitest";
import { driftOf, judgeDrift, measureDrift, type DriftCutoffs } from "./drift.js";
import { countByEdges, psi, quantileEdges } from "./psi.js";
import { emptyRow, foldStep, HOUR_MS, mergeRow, type RollupRow } from "./rollup.js";

const CUTOFFS: DriftCutoffs = { psiWatch: 0.1, psiAlert: 0.25, pAlert: 0.01 };
const T0 = Date.UTC(2026, 2, 2);

/** mulberry32: seeded, so every simulation here gives the same answer on every machine. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const normal = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

let ids = 0;
/** One hour's rollup row of a step, folded from values the way the rollup job folds events. */
function hourRow(hour: number, values: ReadonlyArray<{ amount?: number; output?: unknown; confidence?: number }>): RollupRow {
  const key = { projectId: "p", workflow: "claims", version: "1", step: "extract", hour: T0 + hour * HOUR_MS };
  const row = emptyRow(key);
  const wf = emptyRow({ ...key, step: "" });
  for (const v of values) {
    foldStep(row, wf, {
      stepId: `s-${ids++}`, failed: false, source: "inferred", confidence: v.confidence, cumulative: undefined, gate: "pass",
      spotCheck: false, durationMs: 5, output: v.output ?? null, features: v.amount === undefined ? undefined : { amount: v.amount },
    });
  }
  return row;
}

describe("drift samples stay uniform over bursty traffic", () => {
  it("measures the PSI all values give, in 20 of 20 replicates, when one hour holds 80% of the window", () => {
    for (let rep = 0; rep < 20; rep++) {
      const r = rng(1000 + rep);
      // Baseline: a steady 24 hours. Current: 23 quiet hours like the baseline and one burst whose
      // traffic is shifted, holding about 80% of the window (the case measured in production).
      const base: number[][] = Array.from({ length: 24 }, () => Array.from({ length: 120 }, () => normal(r)));
      const quiet: number[][] = Array.from({ length: 23 }, () => Array.from({ length: 120 }, () => normal(r)));
      const burst = Array.from({ length: 11_000 }, () => 0.45 + normal(r));
      const baseline = base.map((vs, h) => hourRow(h, vs.map((amount) => ({ amount }))));
      const current = [...quiet, burst].map((vs, h) => hourRow(24 + h, vs.map((amount) => ({ amount }))));
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

  it("merges hours into the same window sample in any grouping", () => {
    const r = rng(7);
    const hours = Array.from({ length: 6 }, (_, h) => hourRow(h, Array.from({ length: 900 }, () => ({ amount: normal(r) }))));
    const one = hours.reduce((acc, row) => mergeRow(acc, structuredClone(row)), emptyRow(hours[0]!.key));
    const a = measureDrift(hours.slice(0, 3), hours.slice(3)).find((x) => x.series === "f:amount")!;
    expect(a.baselineN + a.currentN).toBe(2 * 2_000);
    expect(one.samples["f:amount"]!.v.length).toBe(2_000);
    expect(one.samples["f:amount"]!.n).toBe(5_400);
  });
});

describe("drift verdicts come from effect sizes, with p-values guarding small samples", () => {
  it("raises no alert in ≥ 99% of 200 evaluations of 5 series without drift, at 30 to 300 values a side", () => {
    const r = rng(42);
    let alerts = 0;
    let anyWatch = 0;
    for (let e = 0; e < 200; e++) {
      const reports = [];
      for (let s = 0; s < 5; s++) {
        const n = 30 + Math.floor(r() * 270);
        const draw = () => ({ amount: Math.exp(normal(r)), output: ["water", "fire", "theft", "other"][Math.floor(r() ** 1.5 * 4)]!, confidence: Math.min(1, Math.max(0, 0.8 + 0.1 * normal(r))) });
        reports.push(measureDrift([hourRow(0, Array.from({ length: n }, draw))], [hourRow(1, Array.from({ length: n }, draw))]));
      }
      const judged = judgeDrift(reports, CUTOFFS);
      if (judged.some((x) => x.level === "alert")) alerts++;
      if (judged.some((x) => x.level !== "ok")) anyWatch++;
    }
    expect(alerts / 200).toBeLessThanOrEqual(0.01);
    expect(anyWatch / 200).toBeLessThanOrEqual(0.01);
  });

  it("does not alert on a one-point category shift at 50,000 values a window (PSI ≈ 0.001)", () => {
    const row = (hour: number, counts: Record<string, number>) => {
      const x = emptyRow({ projectId: "p", workflow: "claims", version: "1", step: "classify", hour: T0 + hour * HOUR_MS });
      x.categories.output = counts;
      x.confidence[16] = 50_000;
      return x;
    };
    const report = driftOf([row(0, { water: 25_000, fire: 15_000, theft: 10_000 })], [row(1, { water: 24_500, fire: 15_500, theft: 10_000 })], CUTOFFS);
    const t = report.tests.find((x) => x.series === "output")!;
    expect(t.pvalue!).toBeLessThan(0.01); // what used to raise the alert
    expect(t.psi!).toBeLessThan(0.002);
    expect(t.level).toBe("ok");
    expect(report.level).toBe("ok");
  });

  it("alerts on a real shift of the same series", () => {
    const r = rng(3);
    const cats = ["water", "fire", "theft"];
    const draw = (w: number[]) => () => ({ output: cats[[0, 1, 2].find((i) => r() < w.slice(0, i + 1).reduce((a, b) => a + b, 0)) ?? 2]! });
    const report = driftOf([hourRow(0, Array.from({ length: 1500 }, draw([0.5, 0.3, 0.2])))], [hourRow(1, Array.from({ length: 1500 }, draw([0.2, 0.3, 0.5])))], CUTOFFS);
    expect(report.tests.find((x) => x.series === "output")!.level).toBe("alert");
  });
});

describe("id-like strings are not categories", () => {
  it("skips PX-nnnnnn ids drawn alike in both windows, with the reason, and compares their length and pattern", () => {
    const r = rng(11);
    const id = () => ({ output: `PX-${String(Math.floor(r() * 1e6)).padStart(6, "0")}` });
    const report = driftOf([hourRow(0, Array.from({ length: 2000 }, id))], [hourRow(1, Array.from({ length: 2000 }, id))], CUTOFFS);
    const t = report.tests.find((x) => x.series === "output")!;
    expect(t.level).toBe("skipped");
    expect(t.reason).toMatch(/id-like: \d+% of its values are distinct/);
    expect(report.tests.filter((x) => x.derivedFrom === "output").map((x) => [x.series, x.level])).toEqual([
      ["len:output", "ok"],
      ["shape:output", "ok"],
    ]);
    expect(report.level).toBe("ok");
  });

  it("still sees ids change shape", () => {
    const r = rng(12);
    const before = () => ({ output: `PX-${Math.floor(r() * 1e6)}` });
    const after = () => ({ output: `px_${Math.floor(r() * 1e9)}` });
    const report = driftOf([hourRow(0, Array.from({ length: 800 }, before))], [hourRow(1, Array.from({ length: 800 }, after))], CUTOFFS);
    expect(report.tests.find((x) => x.series === "shape:output")!.level).toBe("alert");
  });
});
