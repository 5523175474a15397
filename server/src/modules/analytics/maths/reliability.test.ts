import { describe, expect, it } from "vitest";
import { close, fixture } from "../../../../test-support/reference/load.js";
import { addToBin, binItems, binOf, emptyBin, mergeBins, reliability } from "./reliability.js";

interface Case {
  name: string;
  confidence: number[];
  correct: boolean[];
  weight: number[];
  bins: number;
  expected: {
    bins: Array<{ bin: number; count: number; weight: number; meanConfidence: number; accuracy: number; effectiveN: number; wilson: [number, number] }>;
    ece: number;
    mce: number;
    brier: number;
    accuracy: number;
  };
}

const items = (c: Case) => c.confidence.map((confidence, i) => ({ confidence, correct: c.correct[i]!, weight: c.weight[i]! }));

describe("reliability against NumPy reference (weighted bins, ECE, MCE, Brier, Wilson)", () => {
  for (const c of fixture<Case>("reliability.json")) {
    it(c.name, () => {
      // Every bin counts towards the MCE here, as in the reference.
      const r = reliability(binItems(items(c), c.bins), undefined, 0);
      expect(r.bins.map((b) => b.bin)).toEqual(c.expected.bins.map((b) => b.bin));
      r.bins.forEach((b, i) => {
        const e = c.expected.bins[i]!;
        expect(b.count).toBe(e.count);
        expect(close(b.weight, e.weight)).toBe(true);
        expect(close(b.meanConfidence, e.meanConfidence)).toBe(true);
        expect(close(b.accuracy, e.accuracy)).toBe(true);
        expect(close(b.effectiveN, e.effectiveN)).toBe(true);
        expect(close(b.wilson[0], Math.max(0, e.wilson[0]))).toBe(true);
        expect(close(b.wilson[1], Math.min(1, e.wilson[1]))).toBe(true);
      });
      expect(close(r.ece!, c.expected.ece)).toBe(true);
      expect(close(r.mce!, c.expected.mce)).toBe(true);
      expect(close(r.brier!, c.expected.brier)).toBe(true);
      expect(close(r.accuracy!, c.expected.accuracy)).toBe(true);
    });
  }

  it("gives the same scores from bins merged in any grouping (what the rollups rely on)", () => {
    const [c] = fixture<Case>("reliability.json").filter((x) => x.name.includes("spot-check"));
    const all = items(c!);
    const whole = reliability(binItems(all, c!.bins));
    const halves = [binItems(all.slice(0, 300), c!.bins), binItems(all.slice(300), c!.bins)];
    const merged = halves[0]!.map((b, i) => mergeBins({ ...b }, halves[1]![i]!));
    const r = reliability(merged);
    expect(r.ece).toBeCloseTo(whole.ece!, 12);
    expect(r.brier).toBeCloseTo(whole.brier!, 12);
  });

  it("takes a superseded label back out exactly", () => {
    const bin = emptyBin();
    addToBin(bin, 0.8, true, 20);
    addToBin(bin, 0.9, false, 1);
    addToBin(bin, 0.8, true, 20, -1);
    const r = reliability([bin]);
    expect(r.count).toBe(1);
    expect(r.accuracy).toBe(0);
    expect(r.brier).toBeCloseTo(0.81, 12);
  });

  it("takes the MCE only over bins with at least 10 effective labels", () => {
    const bins = binItems(
      [
        ...Array.from({ length: 40 }, (_, i) => ({ confidence: 0.85, correct: i < 32 })),
        { confidence: 0.15, correct: true },
        { confidence: 0.12, correct: true },
      ],
      20,
    );
    const r = reliability(bins);
    // A lone right label at 0.12 makes a gap of 0.88; the 40 labels at 0.85 hold a gap of 0.05.
    expect(r.mce).toBeCloseTo(0.05, 12);
    expect(reliability(bins, undefined, 0).mce).toBeCloseTo(0.88, 12);
    expect(reliability(binItems([{ confidence: 0.5, correct: true }], 20)).mce).toBeNull();
  });

  it("answers nulls, not NaN, without labels", () => {
    expect(reliability(binItems([], 20))).toMatchObject({ count: 0, ece: null, mce: null, brier: null, accuracy: null });
  });

  it("puts confidence 1 in the last bin and 0 in the first", () => {
    expect(binOf(1, 20)).toBe(19);
    expect(binOf(0, 20)).toBe(0);
    expect(binOf(0.35, 20)).toBe(7);
  });
});
