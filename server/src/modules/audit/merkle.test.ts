import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { consistencyProof, EMPTY_ROOT, inclusionPath, leafHashOfBytes, MerkleFrontier, STORED_LEVEL, type TreeNode } from "./merkle.js";

/** RFC 6962 reference values: the CT vectors and larger trees (make-merkle-fixture.py). */
interface Vectors {
  leaves: string[];
  roots: Array<{ size: number; root: string }>;
  inclusion: Array<{ index: number; size: number; path: string[] }>;
  consistency: Array<{ size1: number; size2: number; proof: string[] }>;
}
const fixture = JSON.parse(readFileSync(new URL("../../../test-support/reference/merkle-rfc6962.json", import.meta.url), "utf8")) as {
  ct: Vectors & { emptyRoot: string };
  larger: Vectors;
};

const hex = (b: Buffer) => b.toString("hex");

for (const [name, v] of [
  ["Certificate Transparency's vectors", fixture.ct],
  ["larger trees", fixture.larger],
] as const) {
  describe(`RFC 6962 tree heads and proofs: ${name}`, () => {
    const leaves = v.leaves.map((l) => leafHashOfBytes(Buffer.from(l, "hex")));
    /** MTH of a slice, by the frontier: the incremental form must equal the recursive one. */
    const mth = async (start: number, end: number) => {
      const f = new MerkleFrontier();
      for (const leaf of leaves.slice(start, end)) f.push(leaf);
      return f.root();
    };

    it("grows to each reference tree head one leaf at a time", () => {
      const f = new MerkleFrontier();
      const want = new Map(v.roots.map((r) => [r.size, r.root]));
      for (const leaf of leaves) {
        f.push(leaf);
        if (want.has(f.size)) expect(hex(f.root()), `size ${f.size}`).toBe(want.get(f.size));
      }
      expect(hex(new MerkleFrontier().root())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    });

    it("writes every reference audit path", async () => {
      for (const c of v.inclusion) expect((await inclusionPath(c.index, c.size, mth)).map(hex), `leaf ${c.index} of ${c.size}`).toEqual(c.path);
    });

    it("writes every reference consistency proof", async () => {
      for (const c of v.consistency) expect((await consistencyProof(c.size1, c.size2, mth)).map(hex), `${c.size1} → ${c.size2}`).toEqual(c.proof);
    });
  });
}

describe("MerkleFrontier", () => {
  it("round-trips through its stored text, and refuses a stack that does not fit its size", () => {
    const f = new MerkleFrontier();
    for (let i = 0; i < 77; i++) f.push(leafHashOfBytes(Buffer.from([i])));
    const back = MerkleFrontier.fromText(77, f.toText());
    expect(hex(back.root())).toBe(hex(f.root()));
    expect(() => MerkleFrontier.fromText(79, f.toText())).toThrow(/79 leaves/);
    expect(hex(EMPTY_ROOT)).toBe(fixture.ct.emptyRoot);
  });

  it(`reports the complete subtrees of level ${STORED_LEVEL} and up, each the MTH of its range`, () => {
    const n = 2 ** (STORED_LEVEL + 1) + 2 ** STORED_LEVEL;
    const leaves = Array.from({ length: n }, (_, i) => leafHashOfBytes(Buffer.from(String(i))));
    const nodes: TreeNode[] = [];
    const f = new MerkleFrontier();
    for (const leaf of leaves) f.push(leaf, (node) => nodes.push(node));
    expect(nodes.map((x) => [x.level, x.index])).toEqual([
      [STORED_LEVEL, 0],
      [STORED_LEVEL, 1],
      [STORED_LEVEL + 1, 0],
      [STORED_LEVEL, 2],
    ]);
    const range = (start: number, size: number) => {
      const g = new MerkleFrontier();
      for (const leaf of leaves.slice(start, start + size)) g.push(leaf);
      return hex(g.root());
    };
    for (const x of nodes) expect(hex(x.hash)).toBe(range(x.index * 2 ** x.level, 2 ** x.level));
  });
});
