import { describe, expect, it } from "vitest";
import { layoutDag, type DagSizes } from "./dag-layout.js";

const S: DagSizes = { nodeWidth: 100, nodeHeight: 40, colGap: 20, rowGap: 10, margin: 0 };
const byId = (l: ReturnType<typeof layoutDag>) => Object.fromEntries(l.nodes.map((n) => [n.id, n]));

describe("layoutDag", () => {
  it("draws one node per step and one edge per lineage link", () => {
    const l = layoutDag(
      [
        { id: "a", parents: [] },
        { id: "b", parents: ["a"] },
        { id: "c", parents: ["a", "b"] },
      ],
      S,
    );
    expect(l.nodes).toHaveLength(3);
    expect(l.edges.map((e) => `${e.from}>${e.to}`)).toEqual(["a>b", "a>c", "b>c"]);
  });

  it("puts each step one layer right of its deepest parent", () => {
    const n = byId(
      layoutDag(
        [
          { id: "a", parents: [] },
          { id: "b", parents: ["a"] },
          { id: "c", parents: ["a", "b"] },
          { id: "d", parents: [] },
        ],
        S,
      ),
    );
    expect([n.a!.layer, n.b!.layer, n.c!.layer, n.d!.layer]).toEqual([0, 1, 2, 0]);
    expect(n.c!.x).toBe(240);
  });

  it("stacks a fan-out vertically in start order and sizes the canvas", () => {
    const l = layoutDag(
      [
        { id: "root", parents: [] },
        { id: "x", parents: ["root"] },
        { id: "y", parents: ["root"] },
        { id: "z", parents: ["root"] },
      ],
      S,
    );
    const n = byId(l);
    expect([n.x!.y, n.y!.y, n.z!.y]).toEqual([0, 50, 100]);
    expect(l.width).toBe(220);
    expect(l.height).toBe(140);
  });

  it("orders a layer by its parents' positions to avoid crossings", () => {
    // p1 above p2; c2 (child of p2) started first but should sit below c1 (child of p1).
    const n = byId(
      layoutDag(
        [
          { id: "p1", parents: [] },
          { id: "p2", parents: [] },
          { id: "c2", parents: ["p2"] },
          { id: "c1", parents: ["p1"] },
        ],
        S,
      ),
    );
    expect(n.c1!.order).toBe(0);
    expect(n.c2!.order).toBe(1);
  });

  it("anchors edges from the parent's right edge to the child's left edge, at mid-height", () => {
    const l = layoutDag(
      [
        { id: "a", parents: [] },
        { id: "b", parents: ["a"] },
      ],
      S,
    );
    expect(l.edges[0]).toEqual({ from: "a", to: "b", x1: 100, y1: 20, x2: 120, y2: 20 });
  });

  it("reports parents that are not steps of the run instead of drawing them", () => {
    const l = layoutDag([{ id: "a", parents: ["ghost"] }], S);
    expect(l.nodes).toHaveLength(1);
    expect(l.edges).toEqual([]);
    expect(l.missingParents).toEqual(["ghost"]);
  });

  it("survives cycles, self-loops and duplicate ids from a misbehaving client", () => {
    const l = layoutDag(
      [
        { id: "a", parents: ["b", "a"] },
        { id: "b", parents: ["a"] },
        { id: "a", parents: [] },
      ],
      S,
    );
    expect(l.nodes.map((n) => n.id).sort()).toEqual(["a", "b"]);
    expect(l.edges.every((e) => e.from !== e.to)).toBe(true);
  });

  it("lays out nothing for a run without steps", () => {
    expect(layoutDag([], S)).toMatchObject({ nodes: [], edges: [], width: 0, height: 0 });
  });
});
