import { describe, expect, it } from "vitest";
import { agreement } from "./agreement.js";
import { close, fixture } from "../../../../test-support/reference/load.js";

interface Case {
  name: string;
  judge: string[];
  truth: string[];
  labels: string[];
  matrix: number[][];
  accuracy: number;
  kappa: number | null;
}

describe("agreement against the NumPy reference (confusion matrix, accuracy, Cohen's kappa)", () => {
  for (const c of fixture<Case>("agreement.json")) {
    it(c.name, () => {
      const r = agreement(
        c.judge.map((judge, i) => ({ judge, truth: c.truth[i]! })),
        c.labels,
      );
      expect(r.matrix).toEqual(c.matrix);
      expect(close(r.accuracy!, c.accuracy)).toBe(true);
      if (c.kappa === null) expect(r.kappa).toBeNull();
      else expect(close(r.kappa!, c.kappa)).toBe(true);
    });
  }

  it("scores a judge that always says the majority label at kappa 0", () => {
    const pairs = [...Array(90).fill({ judge: "ok", truth: "ok" }), ...Array(10).fill({ judge: "ok", truth: "bad" })];
    const r = agreement(pairs, ["ok", "bad"]);
    expect(r.accuracy).toBe(0.9);
    expect(r.kappa).toBe(0);
  });
});
