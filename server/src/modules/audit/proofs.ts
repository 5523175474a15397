import type { Client } from "@libsql/client";
import type { AuditCheckpoint, AuditConsistencyProof, AuditInclusionProof } from "@seamtrace/sdk/audit-proof";
import { GENESIS_HASH, sha256Hex, type SignedCheckpoint } from "./chain.js";
import { consistencyProof, inclusionPath } from "./merkle.js";
import { checkpointAt, checkpointCovering, ENTRY_COLUMNS, entryFromRow, EVENT_OF_ENTRY } from "./store.js";
import { subtreeHashes } from "./tree-store.js";
import { payloadText } from "./payload-check.js";
import { PROJECT_KEY } from "../../platform/db/project-key.js";

/** Why a proof cannot be written (exit 1 in the CLI): no such entry, no checkpoint covering it. */
export class ProofUnavailable extends Error {
  override readonly name = "ProofUnavailable";
}

function signedTreeHead(c: SignedCheckpoint, what: string): AuditCheckpoint {
  if (c.rootHash === undefined) throw new ProofUnavailable(`${what} (entry ${c.seq}) was signed before checkpoints carried a tree head`);
  return {
    projectId: c.projectId,
    seq: c.seq,
    headHash: c.headHash,
    rootHash: c.rootHash,
    time: c.time,
    prevSignature: c.prevSignature,
    keyId: c.keyId,
    signature: c.signature,
  };
}

/**
 * An inclusion proof of entry `seq`: the entry, the hash before it, its payload while the store
 * keeps it, and its audit path in the tree of the first checkpoint at or after it (or the one
 * named). Reads log2(n) stored nodes and at most a few thousand leaf hashes (tree-store.ts).
 * @seamtrace/sdk/audit-proof checks it with the public key alone.
 *
 * A payload that no longer hashes to its entry (reduced by retention's `final`, or edited) is
 * left out, as one retention removed is, and `onPayloadLeftOut` says so: carried, it would make
 * a proof that does not check, of an entry that is in the chain.
 */
export async function proveInclusion(
  client: Client,
  projectId: string,
  seq: number,
  opts: { checkpoint?: number; payload?: boolean; onPayloadLeftOut?: (message: string) => void } = {},
): Promise<AuditInclusionProof> {
  const rs = await client.execute({
    sql: `SELECT ${ENTRY_COLUMNS}, coalesce(p.body, e.body),
            (SELECT lower(hex(hash)) FROM audit_log WHERE project_key = a.project_key AND seq = a.seq - 1)
          FROM audit_log a
          LEFT JOIN audit_payloads p ON p.project_key = a.project_key AND p.seq = a.seq
          LEFT JOIN events e ON ${EVENT_OF_ENTRY}
          WHERE a.project_key = ${PROJECT_KEY} AND a.seq = ?`,
    args: [projectId, seq],
  });
  const r = rs.rows[0];
  if (!r) throw new ProofUnavailable(`there is no entry ${seq}`);
  const c = opts.checkpoint === undefined ? await checkpointCovering(client, projectId, seq) : await checkpointAt(client, projectId, opts.checkpoint);
  if (!c)
    throw new ProofUnavailable(
      opts.checkpoint === undefined ? `no checkpoint with a tree head covers entry ${seq} yet` : `there is no checkpoint at entry ${opts.checkpoint}`,
    );
  if (c.seq < seq) throw new ProofUnavailable(`the checkpoint at entry ${c.seq} does not cover entry ${seq}`);
  const checkpoint = signedTreeHead(c, "the checkpoint");
  const path = await inclusionPath(seq - 1, c.seq, subtreeHashes(client, projectId));
  const entry = entryFromRow(projectId, r);
  let payload = opts.payload === false ? null : payloadText(r[8]);
  if (payload !== null && sha256Hex(payload) !== entry.payloadHash) {
    payload = null;
    opts.onPayloadLeftOut?.(
      `the payload of entry ${seq} no longer matches its hash (reduced by retention, or edited: \`seamtrace audit verify\` says which), so the proof leaves it out`,
    );
  }
  return {
    kind: "seamtrace.audit.inclusion",
    entry,
    prevHash: seq === 1 ? GENESIS_HASH : String(r[9]),
    ...(opts.payload === false ? {} : { payload }),
    leafIndex: seq - 1,
    treeSize: c.seq,
    path: path.map((h) => h.toString("hex")),
    checkpoint,
  };
}

/** A consistency proof between the checkpoints at entries `from` and `to`: the later tree extends the earlier. */
export async function proveConsistency(client: Client, projectId: string, from: number, to: number): Promise<AuditConsistencyProof> {
  if (from > to) throw new ProofUnavailable(`the first checkpoint (${from}) must not come after the second (${to})`);
  const [a, b] = await Promise.all([checkpointAt(client, projectId, from), checkpointAt(client, projectId, to)]);
  if (!a || !b) throw new ProofUnavailable(`there is no checkpoint at entry ${!a ? from : to}`);
  const proof = from === to ? [] : await consistencyProof(from, to, subtreeHashes(client, projectId));
  return {
    kind: "seamtrace.audit.consistency",
    from: signedTreeHead(a, "the first checkpoint"),
    to: signedTreeHead(b, "the second checkpoint"),
    proof: proof.map((h) => h.toString("hex")),
  };
}
