import { sql } from "drizzle-orm";
import { projectKeyColumn } from "../../platform/db/project-key.js";
import { blob, customType, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * A SHA-256 stored as its 32 bytes (a BLOB), read and written as the lowercase hex the chain
 * hashes: half the bytes of the hex text, in every entry. SQL that reads one wraps it in
 * `lower(hex(…))`, SQL that writes one in `unhex(…)`.
 */
const sha256Column = customType<{ data: string; driverData: Uint8Array }>({
  dataType: () => "blob",
  toDriver: (hex) => {
    // Buffer.from(…, "hex") would store what it could make of anything else.
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new TypeError(`not a SHA-256 in lowercase hex: ${hex}`);
    return Buffer.from(hex, "hex");
  },
  fromDriver: (bytes) => Buffer.from(bytes).toString("hex"),
});

/**
 * The audit trail: one hash chain per project. Entries hold the SHA-256 of their
 * payload, not the payload, so retention can purge payloads (events, audit_payloads) without
 * breaking the chain. Triggers (migration 0004, recreated by 0028 and 0030) refuse UPDATE and DELETE on this table.
 *
 * hash = SHA-256(previous hash ‖ RFC 8785 canonical JSON of { projectId, seq, time, actor,
 * action, subject, runId, payloadHash }); the first entry's previous hash is 64 zeros.
 *
 * The project is named by its key in this store (platform/db/project-key.ts, since migration
 * 0032): bind its id through `projectKeySql`. Run ids are kept as platform/db/stored-id.ts says
 * (a UUID as its 16 bytes, since migration 0030): bind them with `storedId`, read them with
 * `idFromStored`. Actors and subjects
 * that reference a UUID (`sdk:<key>`, `event:<id>`…) likewise, as a kind byte and 16 bytes:
 * `storedRef`, `refFromStored`. The chain hashes the text they read back as.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    /** The project's key in this store (platform/db/project-key.ts, since migration 0032). */
    projectKey: projectKeyColumn("project_key").notNull(),
    /** 1, 2, 3… within the project, no gaps: a missing number is a deletion. */
    seq: integer("seq").notNull(),
    time: integer("time").notNull(),
    /** `sdk:<key id>`, `user:<user id>` or `system:<job>`. */
    actor: blob("actor").notNull(),
    action: text("action").notNull(),
    /** What the entry is about: `step:<id>`, `run:<id>`, `policy:<workflow>/<step>`, `key:<id>`… */
    subject: blob("subject").notNull(),
    /** Set when the fact belongs to a run, so a run's entries are one index range away. */
    runId: blob("run_id"),
    payloadHash: sha256Column("payload_hash").notNull(),
    hash: sha256Column("hash").notNull(),
  },
  (t) => [
    // Appends land at the right edge of the (project, seq) key; verification and export walk it.
    // The table is WITHOUT ROWID (migration 0028; drizzle-kit cannot say so): rows live in this
    // key's B-tree instead of the key being stored again in an index of its own.
    primaryKey({ columns: [t.projectKey, t.seq] }),
    // The run detail page and `GET /v1/audit?runId=` read one run's entries.
    index("audit_log_run_idx").on(t.projectKey, t.runId).where(sql`run_id IS NOT NULL`),
    // Time-window queries (audit search, export) without walking the whole chain; seq breaks
    // ties so a page in (time, seq) order reads straight off the index, with no sort.
    index("audit_log_time_seq_idx").on(t.projectKey, t.time, t.seq),
  ],
);

/**
 * Payloads of entries whose fact has no row of its own to hold it (logins, key changes, policy
 * changes, decisions, purges). Event entries hash the event's stored body instead. A payload's
 * text is the canonical JSON whose SHA-256 is the entry's payloadHash; retention may delete it.
 */
export const auditPayloads = sqliteTable(
  "audit_payloads",
  {
    /** As in audit_log (platform/db/project-key.ts), so the two join on it. */
    projectKey: projectKeyColumn("project_key").notNull(),
    seq: integer("seq").notNull(),
    body: text("body").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectKey, t.seq] })],
);

/**
 * Signed checkpoints: Ed25519 over the canonical JSON of { projectId, seq, headHash, rootHash,
 * time, prevSignature, keyId }, each chained to the previous one's signature. Someone with
 * database access but without the server secret can rewrite the chain, but not sign a
 * checkpoint for it. Append-only too (triggers in migration 0004).
 */
export const auditCheckpoints = sqliteTable(
  "audit_checkpoints",
  {
    projectId: text("project_id").notNull(),
    /** The entries it covers, 1…seq: also the size of the Merkle tree `rootHash` heads. */
    seq: integer("seq").notNull(),
    headHash: text("head_hash").notNull(),
    time: integer("time").notNull(),
    prevSignature: text("prev_signature").notNull(),
    keyId: text("key_id").notNull(),
    signature: text("signature").notNull(),
    /**
     * RFC 6962 tree head over entries 1…seq (merkle.ts), so one entry can be proven against the
     * checkpoint without the database. Null for checkpoints signed before trees were kept; their
     * signature covers no root.
     */
    rootHash: text("root_hash"),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.seq] })],
);

/**
 * Each chain's Merkle tree as appended: its size, the hash of its last entry, and the frontier
 * (the roots of its perfect subtrees, largest first, 64 hex characters each). appendAudit
 * extends it in the transaction that appends the entries, so a checkpoint signs the tree head of
 * the entries as they were written, without reading them back. A row whose size is not the
 * chain's (a store from before trees were kept) is rebuilt from the entries by the checkpoint job.
 */
export const auditTrees = sqliteTable("audit_trees", {
  projectId: text("project_id").primaryKey(),
  size: integer("size").notNull(),
  headHash: text("head_hash").notNull(),
  frontier: text("frontier").notNull(),
});

/**
 * Complete subtrees of 2^10 leaves and more (merkle.ts STORED_LEVEL), written as the tree closes
 * them: an inclusion or consistency proof then reads log2(n) of these plus at most a few thousand
 * leaf hashes, whatever the chain's length. Derived data: a proof built from a wrong node fails
 * its check against the signed root, and `audit verify` recomputes the tree from the entries.
 */
export const auditTreeNodes = sqliteTable(
  "audit_tree_nodes",
  {
    projectId: text("project_id").notNull(),
    level: integer("level").notNull(),
    /** The node covers leaves [idx·2^level, (idx+1)·2^level). */
    idx: integer("idx").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.level, t.idx] })],
);

/** Where each checkpoint has been copied outside the database (file, webhook), and when. */
export const auditCheckpointExports = sqliteTable(
  "audit_checkpoint_exports",
  {
    projectId: text("project_id").notNull(),
    seq: integer("seq").notNull(),
    target: text("target").notNull(),
    exportedAt: integer("exported_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.seq, t.target] })],
);

/**
 * Verifications of a project's chain (`POST /v1/audit/verifications`). Recomputing a chain is
 * linear in its length (minutes at ten million entries), so it runs in the background of the
 * instance that was asked, writing its progress here as it goes; any instance can answer how
 * far it got. One runs per project at a time. A row left `running` by a process that died stops
 * being refreshed (`updated_at`) and reads as abandoned.
 */
export const auditVerifications = sqliteTable(
  "audit_verifications",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    requestedBy: text("requested_by").notNull(),
    /** `running`, `passed`, `broken`, `failed` (an error stopped it) or `abandoned`. */
    status: text("status").notNull(),
    startedAt: integer("started_at").notNull(),
    /** Refreshed while it runs: a heartbeat as well as progress. */
    updatedAt: integer("updated_at").notNull(),
    finishedAt: integer("finished_at"),
    /** The last sequence number it covers: the chain's head (or last checkpoint) when it began. */
    upTo: integer("up_to").notNull(),
    /** Entries recomputed so far. */
    checked: integer("checked").notNull(),
    /** The verification report (report.ts VerifyReport) once it has finished. */
    report: text("report"),
    error: text("error"),
  },
  (t) => [
    index("audit_verifications_project_idx").on(t.projectId, t.startedAt),
    // At most one running per project: a second request joins it.
    uniqueIndex("audit_verifications_running_idx").on(t.projectId).where(sql`status = 'running'`),
  ],
);
