import type { Client, InValue, Transaction } from "@libsql/client";
import { leafHash, MerkleFrontier, nodeHash, splitPoint, STORED_LEVEL, type SubtreeHash, type TreeNode } from "./merkle.js";
import { chunks, multiRow } from "../../platform/db/sql.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { yieldToEventLoop } from "../../platform/yield.js";
import { PROJECT_KEY } from "../../platform/db/project-key.js";

/** SQL of each chain's Merkle tree (audit_trees, audit_tree_nodes; schema.ts says why they exist). */

type Reader = Transaction | Client;

export interface TreeState {
  size: number;
  headHash: string;
  frontier: MerkleFrontier;
}

export async function readTree(tx: Reader, projectId: string): Promise<TreeState | null> {
  const rs = await tx.execute({ sql: "SELECT size, head_hash, frontier FROM audit_trees WHERE project_id = ?", args: [projectId] });
  const r = rs.rows[0];
  return r ? { size: Number(r[0]), headHash: String(r[1]), frontier: MerkleFrontier.fromText(Number(r[0]), String(r[2])) } : null;
}

async function writeTree(tx: Transaction, projectId: string, frontier: MerkleFrontier, headHash: string): Promise<void> {
  await tx.execute({
    sql: `INSERT INTO audit_trees (project_id, size, head_hash, frontier) VALUES (?, ?, ?, ?)
          ON CONFLICT (project_id) DO UPDATE SET size = excluded.size, head_hash = excluded.head_hash, frontier = excluded.frontier`,
    args: [projectId, frontier.size, headHash, frontier.toText()],
  });
}

async function writeNodes(tx: Transaction, projectId: string, nodes: readonly TreeNode[]): Promise<void> {
  for (const part of chunks(
    nodes.map((n) => [projectId, n.level, n.index, n.hash.toString("hex")] as InValue[]),
    100,
  )) {
    await tx.execute(multiRow("INSERT INTO audit_tree_nodes (project_id, level, idx, hash) VALUES ", part, " ON CONFLICT DO NOTHING"));
  }
}

/**
 * Extends the chain's tree with entries just appended in `tx` (appendAudit), when the stored
 * tree is the chain as it was before them; otherwise leaves it behind for `ensureTree` (a store
 * from before trees were kept, or a tree that no longer matches its chain). ~1 µs an entry.
 */
export async function extendTree(tx: Transaction, projectId: string, before: { seq: number; hash: string } | null, hashes: readonly string[]): Promise<void> {
  const tree = await readTree(tx, projectId);
  let frontier: MerkleFrontier;
  if (tree === null && before === null) frontier = new MerkleFrontier();
  else if (tree !== null && before !== null && tree.size === before.seq && tree.headHash === before.hash) frontier = tree.frontier;
  else return;
  const nodes: TreeNode[] = [];
  for (const h of hashes) frontier.push(leafHash(h), (n) => nodes.push(n));
  await writeTree(tx, projectId, frontier, hashes[hashes.length - 1]!);
  await writeNodes(tx, projectId, nodes);
}

/** Entry hashes (seq, hash) after `after` up to `upTo`, a page at a time. */
async function* leafHashes(db: Reader, projectId: string, after: number, upTo: number, pageSize = 5_000): AsyncGenerator<{ seq: number; hash: string }> {
  let from = after;
  for (;;) {
    const rs = await db.execute({
      sql: `SELECT seq, lower(hex(hash)) FROM audit_log WHERE project_key = ${PROJECT_KEY} AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
      args: [projectId, from, upTo, pageSize],
    });
    for (const r of rs.rows) yield { seq: Number(r[0]), hash: String(r[1]) };
    if (rs.rows.length < pageSize) return;
    from = Number(rs.rows[rs.rows.length - 1]![0]);
    await yieldToEventLoop();
  }
}

/** Grows `frontier` with the entries after it up to `upTo`; false if the entries have a gap. */
async function grow(db: Reader, projectId: string, frontier: MerkleFrontier, upTo: number, onNode: (n: TreeNode) => void): Promise<string | null> {
  let head: string | null = null;
  for await (const e of leafHashes(db, projectId, frontier.size, upTo)) {
    if (e.seq !== frontier.size + 1) return null;
    frontier.push(leafHash(e.hash), onNode);
    head = e.hash;
  }
  return head;
}

/**
 * Builds the tree of a chain that has none: a store from before trees were kept. Linear in the
 * chain, so it runs outside the write lock (paid once), writing the nodes it closes, and only the
 * entries appended meanwhile are read under the lock. A chain that has a tree is left alone:
 * appendAudit keeps it level with the chain, and a tree that is not is evidence (`treeProblem`).
 */
export async function ensureTree(client: Client, projectId: string): Promise<void> {
  if ((await readTree(client, projectId)) !== null) return;
  const rs = await client.execute({ sql: `SELECT max(seq) FROM audit_log WHERE project_key = ${PROJECT_KEY}`, args: [projectId] });
  const upTo = Number(rs.rows[0]?.[0] ?? 0);
  if (upTo === 0) return;
  const frontier = new MerkleFrontier();
  const nodes: TreeNode[] = [];
  if ((await grow(client, projectId, frontier, upTo, (n) => nodes.push(n))) === null) return;
  await withWriteLock(client, async (tx) => {
    if ((await readTree(tx, projectId)) !== null) return { commit: false, value: undefined };
    const head = await tx.execute({
      sql: `SELECT seq, lower(hex(hash)) FROM audit_log WHERE project_key = ${PROJECT_KEY} ORDER BY seq DESC LIMIT 1`,
      args: [projectId],
    });
    const last = await grow(tx, projectId, frontier, Number(head.rows[0]![0]), (n) => nodes.push(n));
    if (frontier.size !== Number(head.rows[0]![0])) return { commit: false, value: undefined };
    await writeTree(tx, projectId, frontier, last ?? String(head.rows[0]![1]));
    await writeNodes(tx, projectId, nodes);
    return { commit: true, value: undefined };
  });
}

/**
 * Why the tree the server kept does not match the chain in the store, or null when it does. The
 * tree grows in the transaction that appends entries, so it records the chain as written: a
 * chain longer than its tree had entries added some other way, a shorter one lost entries, and
 * a head that differs was rewritten. Someone who can edit the database can edit the tree too, if
 * they know how it is made: this is a tripwire, the signatures are the proof.
 */
export async function treeProblem(db: Reader, projectId: string, head: { seq: number; hash: string } | null): Promise<{ seq: number; reason: string } | null> {
  const tree = await readTree(db, projectId);
  if (!tree) return null;
  const size = head?.seq ?? 0;
  if (tree.size > size) return { seq: size + 1, reason: `entries ${size + 1}–${tree.size} are missing: the server appended ${tree.size} (truncated tail)` };
  if (tree.size === 0) return size > 0 ? { seq: 1, reason: `entries 1–${size} were not appended by the server` } : null;
  const at = await db.execute({ sql: `SELECT lower(hex(hash)) FROM audit_log WHERE project_key = ${PROJECT_KEY} AND seq = ?`, args: [projectId, tree.size] });
  if (!at.rows[0] || String(at.rows[0][0]) !== tree.headHash)
    return { seq: tree.size, reason: `entry ${tree.size} is not the entry the server appended as number ${tree.size}` };
  if (tree.size < size)
    return { seq: tree.size + 1, reason: `entries ${tree.size + 1}–${size} were not appended by the server (added to the database directly)` };
  return null;
}

/** The chain's tree, when it is level with `head` (under the write lock, for a checkpoint to sign); else why not. */
export async function treeForHead(tx: Transaction, projectId: string, head: { seq: number; hash: string }): Promise<TreeState | string> {
  const tree = await readTree(tx, projectId);
  if (tree && tree.size === head.seq && tree.headHash === head.hash) return tree;
  return (await treeProblem(tx, projectId, head))?.reason ?? "the chain has no tree yet";
}

/**
 * MTH of leaves [start, end) of a chain's tree, from stored nodes where a range is one, else
 * from the entry hashes (at most 2^STORED_LEVEL per range read). For proofs: a proof built from
 * a tampered node or entry does not verify against the signed root.
 */
export function subtreeHashes(db: Reader, projectId: string): SubtreeHash {
  const mth = async (start: number, end: number): Promise<Buffer> => {
    const n = end - start;
    if (n <= 2 ** STORED_LEVEL) {
      const f = new MerkleFrontier();
      for await (const e of leafHashes(db, projectId, start, end)) {
        if (e.seq !== start + f.size + 1) throw new Error(`entry ${start + f.size + 1} is missing`);
        f.push(leafHash(e.hash));
      }
      if (f.size !== n) throw new Error(`entries ${start + f.size + 1}–${end} are missing`);
      return f.root();
    }
    const level = Math.log2(n);
    if (Number.isInteger(level) && start % n === 0) {
      const rs = await db.execute({
        sql: "SELECT hash FROM audit_tree_nodes WHERE project_id = ? AND level = ? AND idx = ?",
        args: [projectId, level, start / n],
      });
      if (rs.rows[0]) return Buffer.from(String(rs.rows[0][0]), "hex");
    }
    const k = splitPoint(n);
    return nodeHash(await mth(start, start + k), await mth(start + k, end));
  };
  return mth;
}
