import { describe, expect, it } from "vitest";
import { hourRow, normal, rng, T0 } from "../../../../test-support/drift-rows.js";
import { driftOf, measureDrift, type DriftCutoffs } from "./drift.js";
import { emptyRow, HOUR_MS, mergeRow } from "./rollup.js";

const CUTOFFS: DriftCutoffs = { psiWatch: 0.1, psiAlert: 0.25, pAlert: 0.01 };

describe("drift samples merge exactly", () => {
  it("merges hours into the same window sample in any grouping", () => {
    const r = rng(7);
    const hours = Array.from({ length: 6 }, (_, h) =>
      hourRow(
        h,
        Array.from({ length: 900 }, () => ({ amount: normal(r) })),
      ),
    );
    const one = hours.reduce((acc, row) => mergeRow(acc, structuredClone(row)), emptyRow(hours[0]!.key));
    const a = measureDrift(hours.slice(0, 3), hours.slice(3)).find((x) => x.series === "f:amount")!;
    expect(a.baselineN + a.currentN).toBe(2 * 2_000);
    expect(one.samples["f:amount"]!.v.length).toBe(2_000);
    expect(one.samples["f:amount"]!.n).toBe(5_400);
  });
});

describe("drift verdicts come from effect sizes, with p-values guarding small samples", () => {
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
    const report = driftOf(
      [hourRow(0, Array.from({ length: 1500 }, draw([0.5, 0.3, 0.2])))],
      [hourRow(1, Array.from({ length: 1500 }, draw([0.2, 0.3, 0.5])))],
      CUTOFFS,
    );
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
