import type { Client, Transaction } from "@libsql/client";
import { entryHash, GENESIS_HASH, sha256Hex, type CheckpointSigner, type SignedCheckpoint } from "./chain.js";
import { appendAudit, ENTRY_COLUMNS, entryFromRow, insertCheckpoint, lastCheckpoint, readAuditHead } from "./store.js";
import { treeForHead } from "./tree-store.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { PROJECT_KEY, projectKeySql } from "../../platform/db/project-key.js";

/**
 * The system chain: an audit chain of its own whose entries list every project's chain head,
 * each signed by a checkpoint the moment it is written. A project's own chain cannot vouch for
 * its existence (deleted with its checkpoints and its project row, it leaves nothing behind), so
 * its head is anchored here too: a deleted, cut or rewritten chain disagrees with the latest
 * anchor, with or without a copy of the checkpoints outside the database.
 *
 * An anchor never forgets: a project listed before stays listed, at no fewer entries than before,
 * whatever the database says now (a project that vanished, a chain that shrank, a head that no
 * longer matches); so an anchor written after a deletion still records what was deleted.
 */
export const SYSTEM_CHAIN = "_system";

/** The system chain does not hold, so no anchor is written over it. */
export class AnchorRefused extends Error {
  override readonly name = "AnchorRefused";
}
export const ANCHOR_ACTION = "audit.anchored";

/** A chain's head as an anchor lists it. */
export interface ListedHead {
  seq: number;
  hash: string;
}

/** The anchor payload: `[projectId, seq, hash]` per chain, sorted by project id. */
interface AnchorPayload {
  projects: Array<[string, number, string]>;
}

export interface SystemAnchor {
  checkpoint: SignedCheckpoint;
  listing: Map<string, ListedHead>;
}

/** The latest anchor from the store, checked against its signed checkpoint; a reason string when it does not hold. */
export async function readSystemAnchor(db: Client | Transaction): Promise<SystemAnchor | string | null> {
  const c = await lastCheckpoint(db, SYSTEM_CHAIN);
  if (!c) return null;
  const rs = await db.execute({
    sql: `SELECT ${ENTRY_COLUMNS}, p.body,
            (SELECT lower(hex(hash)) FROM audit_log WHERE project_key = a.project_key AND seq = a.seq - 1)
          FROM audit_log a LEFT JOIN audit_payloads p ON p.project_key = a.project_key AND p.seq = a.seq
          WHERE a.project_key = ${PROJECT_KEY} AND a.seq = ?`,
    args: [SYSTEM_CHAIN, c.seq],
  });
  const r = rs.rows[0];
  if (!r) return `the system anchor at entry ${c.seq} is missing from the system chain`;
  const entry = entryFromRow(SYSTEM_CHAIN, r);
  const prev = c.seq === 1 ? GENESIS_HASH : r[9] == null ? null : String(r[9]);
  // The signed head is the hash of this entry chained to its predecessor: preimage resistance
  // makes the entry (and so its payload hash) the one that was signed, whatever the rest says.
  if (prev === null || entryHash(prev, entry) !== c.headHash || entry.hash !== c.headHash)
    return `the system anchor at entry ${c.seq} differs from what its checkpoint signed`;
  if (entry.action !== ANCHOR_ACTION) return `entry ${c.seq} of the system chain is not an anchor`;
  const body = r[8] == null ? null : String(r[8]);
  if (body === null || sha256Hex(body) !== entry.payloadHash) return `the listing of the system anchor at entry ${c.seq} is missing or edited`;
  const listing = new Map<string, ListedHead>();
  for (const [projectId, seq, hash] of (JSON.parse(body) as AnchorPayload).projects) listing.set(projectId, { seq, hash });
  return { checkpoint: c, listing };
}

/** Every project's chain head now, from the projects table and the chains (one indexed read each). */
async function currentHeads(tx: Transaction): Promise<Map<string, ListedHead | null>> {
  const rs = await tx.execute(`
    SELECT p.id, a.seq, lower(hex(a.hash)) FROM projects p
    LEFT JOIN audit_log a ON a.project_key = ${projectKeySql("p.id")} AND a.seq = (SELECT max(seq) FROM audit_log WHERE project_key = ${projectKeySql("p.id")})`);
  return new Map(rs.rows.map((r) => [String(r[0]), r[1] == null ? null : { seq: Number(r[1]), hash: String(r[2]) }]));
}

async function hashAt(tx: Transaction, projectId: string, seq: number): Promise<string | null> {
  const rs = await tx.execute({ sql: `SELECT lower(hex(hash)) FROM audit_log WHERE project_key = ${PROJECT_KEY} AND seq = ?`, args: [projectId, seq] });
  return rs.rows[0] ? String(rs.rows[0][0]) : null;
}

export interface AnchorResult {
  /** The anchor written, or null when nothing changed since the last one. */
  checkpoint: SignedCheckpoint | null;
  /** Chains the previous anchor listed that the database no longer matches (kept as listed). */
  disagreeing: string[];
}

/**
 * Appends an anchor listing every project's head to the system chain and signs it, in one write
 * transaction, when any head moved or a project appeared since the last anchor. Throws when the
 * last anchor does not hold: the verification reports it, and nothing is written over it.
 */
export async function writeSystemAnchor(client: Client, signer: CheckpointSigner, now: number): Promise<AnchorResult> {
  return withWriteLock<AnchorResult>(client, async (tx) => {
    const previous = await readSystemAnchor(tx);
    // An anchor written over one that does not hold would launder whatever was done to it.
    if (typeof previous === "string") throw new AnchorRefused(`not anchoring the projects: ${previous}`);
    const listed = previous?.listing ?? new Map<string, ListedHead>();
    const heads = await currentHeads(tx);
    const next = new Map(listed);
    const disagreeing: string[] = [];
    for (const [projectId, head] of heads) {
      const before = listed.get(projectId);
      if (!head) {
        if (!before) next.set(projectId, { seq: 0, hash: GENESIS_HASH });
        else if (before.seq > 0) disagreeing.push(projectId);
        continue;
      }
      if (before && before.seq > 0 && (head.seq < before.seq || (await hashAt(tx, projectId, before.seq)) !== before.hash)) {
        disagreeing.push(projectId);
        continue;
      }
      next.set(projectId, head);
    }
    for (const projectId of listed.keys()) if (!heads.has(projectId)) disagreeing.push(projectId);
    const unchanged = next.size === listed.size && [...next].every(([id, h]) => listed.get(id)?.seq === h.seq && listed.get(id)?.hash === h.hash);
    if (unchanged && previous !== null) return { commit: false, value: { checkpoint: null, disagreeing } };
    const payload: AnchorPayload = { projects: [...next].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, h]) => [id, h.seq, h.hash]) };
    await appendAudit(tx, SYSTEM_CHAIN, [{ time: now, actor: "system:checkpoint", action: ANCHOR_ACTION, subject: `projects:${next.size}`, payload }]);
    const head = (await readAuditHead(tx, SYSTEM_CHAIN))!;
    const tree = await treeForHead(tx, SYSTEM_CHAIN, head);
    if (typeof tree === "string") throw new AnchorRefused(`not anchoring the projects: the system chain: ${tree}`);
    const last = await lastCheckpoint(tx, SYSTEM_CHAIN);
    const c = signer.sign({
      projectId: SYSTEM_CHAIN,
      seq: head.seq,
      headHash: head.hash,
      rootHash: tree.frontier.root().toString("hex"),
      time: now,
      prevSignature: last?.signature ?? "",
    });
    await insertCheckpoint(tx, c);
    return { commit: true, value: { checkpoint: c, disagreeing } };
  });
}
