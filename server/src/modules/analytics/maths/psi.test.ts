import { describe, expect, it } from "vitest";
import { close, fixture } from "../../../../test-support/reference/load.js";
import { countByEdges, numericPsi, psi, quantileEdges } from "./psi.js";

interface Case {
  name: string;
  expected: number[];
  actual: number[];
  epsilon: number;
  psi: number;
}
interface NumericCase extends Case {
  baseline: number[];
  current: number[];
  bins: number;
  edges: number[];
}

describe("psi against scipy.special.rel_entr (symmetrised KL), proportions floored at epsilon", () => {
  for (const c of fixture<Case>("psi.json")) {
    it(c.name, () => {
      expect(close(psi(c.expected, c.actual, c.epsilon)!, c.psi), `${psi(c.expected, c.actual)} vs ${c.psi}`).toBe(true);
    });
  }

  it("is zero for the same proportions and null for an empty side", () => {
    expect(psi([1, 2, 3], [2, 4, 6])).toBeCloseTo(0, 15);
    expect(psi([0, 0], [1, 2])).toBeNull();
  });
});

describe("numericPsi: bins from the baseline's deciles (numpy.quantile, linear)", () => {
  for (const c of fixture<NumericCase>("numeric-psi.json")) {
    it(c.name, () => {
      const edges = quantileEdges(c.baseline, c.bins);
      expect(edges.length).toBe(c.edges.length);
      edges.forEach((e, i) => expect(close(e, c.edges[i]!)).toBe(true));
      expect(countByEdges(c.baseline, edges)).toEqual(c.expected);
      expect(countByEdges(c.current, edges)).toEqual(c.actual);
      expect(close(numericPsi(c.baseline, c.current, c.bins)!, c.psi)).toBe(true);
    });
  }
});
