import type { Client } from "@libsql/client";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { enqueueWebhookStatement } from "../webhooks/store.js";
import type { CheckpointSigner, SignedCheckpoint } from "./chain.js";
import { insertCheckpoint, lastCheckpoint, readAuditHead } from "./store.js";
import { ensureTree, treeForHead } from "./tree-store.js";

/** A checkpoint that must not be signed: the chain does not match the tree the server kept while appending it. */
export class UnsignableChain extends Error {
  override readonly name = "UnsignableChain";
}

/**
 * Signs the project's current head and the Merkle tree head over its entries, chained to the
 * previous checkpoint. Nothing to do (null) when the head has not moved since the last one.
 * Refuses (UnsignableChain) a chain that differs from the tree appendAudit kept as it wrote it:
 * entries added to the database directly, or a tail cut off, would otherwise be signed as genuine.
 */
export async function createCheckpoint(client: Client, projectId: string, signer: CheckpointSigner, now: number): Promise<SignedCheckpoint | null> {
  // A store from before trees were kept builds one first, outside the write lock (once).
  await ensureTree(client, projectId);
  return withWriteLock(client, async (tx) => {
    const head = await readAuditHead(tx, projectId);
    const last = await lastCheckpoint(tx, projectId);
    if (!head || (last && last.seq >= head.seq)) return { commit: false, value: null };
    const tree = await treeForHead(tx, projectId, head);
    if (typeof tree === "string") throw new UnsignableChain(`not signing a checkpoint for ${projectId}: ${tree}`);
    const c = signer.sign({
      projectId,
      seq: head.seq,
      headHash: head.hash,
      rootHash: tree.frontier.root().toString("hex"),
      time: now,
      prevSignature: last?.signature ?? "",
    });
    await insertCheckpoint(tx, c);
    // Copied outside the database through the webhook outbox, in the same transaction.
    await tx.execute(enqueueWebhookStatement(projectId, "audit.checkpoint", { ...c, time: new Date(c.time).toISOString() }, now));
    return { commit: true, value: c };
  });
}
