/**
 * Layout of a run's DAG: one node per step, layered by lineage (a step sits one layer right of
 * its deepest parent: longest-path layering), ordered within a layer by the barycentre of its
 * parents to keep edges from crossing, then by start order. Pure maths; Dag.svelte only draws.
 *
 * Why not d3-dag (Sugiyama): run DAGs are small and mostly chains or fans; this is ~80 lines,
 * deterministic, and keeps ~60 KB of solver out of the bundle.
 */
export interface DagInput {
  id: string;
  parents: readonly string[];
}

export interface DagNode {
  id: string;
  layer: number;
  order: number;
  x: number;
  y: number;
}

export interface DagEdge {
  from: string;
  to: string;
  /** Source and target anchor points (right edge of the parent, left edge of the child). */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface DagLayout {
  nodes: DagNode[];
  edges: DagEdge[];
  width: number;
  height: number;
  /** Parent ids that are not steps of this run (not reported, or cut by truncation): not drawn. */
  missingParents: string[];
}

export interface DagSizes {
  nodeWidth: number;
  nodeHeight: number;
  colGap: number;
  rowGap: number;
  margin: number;
}

export const DEFAULT_SIZES: DagSizes = { nodeWidth: 168, nodeHeight: 52, colGap: 56, rowGap: 18, margin: 8 };

export function layoutDag(steps: readonly DagInput[], sizes: DagSizes = DEFAULT_SIZES): DagLayout {
  const index = new Map<string, number>();
  steps.forEach((s, i) => {
    if (!index.has(s.id)) index.set(s.id, i);
  });
  const unique = steps.filter((s, i) => index.get(s.id) === i);
  const missing = new Set<string>();
  const parentsOf = new Map<string, string[]>();
  for (const s of unique) {
    const ps: string[] = [];
    for (const p of new Set(s.parents)) {
      if (p === s.id) continue;
      if (index.has(p)) ps.push(p);
      else missing.add(p);
    }
    parentsOf.set(s.id, ps);
  }

  // Longest-path layering, iteratively, with a guard: lineage should be acyclic, but the data
  // comes from clients, and a cycle must not hang the page.
  const layer = new Map<string, number>();
  const state = new Map<string, 1 | 2>();
  const visit = (id: string): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    if (state.get(id) === 1) return 0; // on a cycle: break it here
    state.set(id, 1);
    let l = 0;
    for (const p of parentsOf.get(id) ?? []) l = Math.max(l, visit(p) + 1);
    state.set(id, 2);
    layer.set(id, l);
    return l;
  };
  for (const s of unique) visit(s.id);

  const layers: string[][] = [];
  for (const s of unique) (layers[layer.get(s.id)!] ??= []).push(s.id);
  const order = new Map<string, number>();
  for (const ids of layers) {
    if (!ids) continue;
    const bary = (id: string) => {
      const ps = parentsOf.get(id)!;
      if (ps.length === 0) return Number.POSITIVE_INFINITY;
      return ps.reduce((sum, p) => sum + (order.get(p) ?? 0), 0) / ps.length;
    };
    const sorted = [...ids].sort((a, b) => {
      const d = bary(a) - bary(b);
      return Number.isFinite(d) && d !== 0 ? d : index.get(a)! - index.get(b)!;
    });
    sorted.forEach((id, i) => order.set(id, i));
  }

  const { nodeWidth: w, nodeHeight: h, colGap, rowGap, margin } = sizes;
  const rows = Math.max(0, ...layers.map((l) => l?.length ?? 0));
  const nodes: DagNode[] = unique.map((s) => {
    const l = layer.get(s.id)!;
    const o = order.get(s.id)!;
    return { id: s.id, layer: l, order: o, x: margin + l * (w + colGap), y: margin + o * (h + rowGap) };
  });
  const pos = new Map(nodes.map((n) => [n.id, n]));
  const edges: DagEdge[] = [];
  for (const s of unique) {
    for (const p of parentsOf.get(s.id)!) {
      const a = pos.get(p)!;
      const b = pos.get(s.id)!;
      edges.push({ from: p, to: s.id, x1: a.x + w, y1: a.y + h / 2, x2: b.x, y2: b.y + h / 2 });
    }
  }
  return {
    nodes,
    edges,
    width: layers.length === 0 ? 0 : margin * 2 + layers.length * w + (layers.length - 1) * colGap,
    height: rows === 0 ? 0 : margin * 2 + rows * h + (rows - 1) * rowGap,
    missingParents: [...missing],
  };
}
