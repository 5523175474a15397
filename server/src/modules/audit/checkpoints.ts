import type { Client } from "@libsql/client";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { enqueueWebhookStatement } from "../webhooks/store.js";
import type { CheckpointSigner, SignedCheckpoint } from "./chain.js";
import { lastCheckpoint, readAuditHead } from "./store.js";

/**
 * Signs the project's current head, chained to the previous checkpoint. Nothing to do (null)
 * when the head has not moved since the last one.
 */
export async function createCheckpoint(client: Client, projectId: string, signer: CheckpointSigner, now: number): Promise<SignedCheckpoint | null> {
  return withWriteLock(client, async (tx) => {
    const head = await readAuditHead(tx, projectId);
    const last = await lastCheckpoint(tx, projectId);
    if (!head || (last && last.seq >= head.seq)) return { commit: false, value: null };
    const c = signer.sign({ projectId, seq: head.seq, headHash: head.hash, time: now, prevSignature: last?.signature ?? "" });
    await tx.execute({
      sql: "INSERT INTO audit_checkpoints (project_id, seq, head_hash, time, prev_signature, key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?)",
      args: [c.projectId, c.seq, c.headHash, c.time, c.prevSignature, c.keyId, c.signature],
    });
    // Copied outside the database through the webhook outbox, in the same transaction.
    await tx.execute(enqueueWebhookStatement(projectId, "audit.checkpoint", { ...c, time: new Date(c.time).toISOString() }, now));
    return { commit: true, value: c };
  });
}
