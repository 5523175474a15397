import type { Client } from "@libsql/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CheckpointSigner, entryHash, GENESIS_HASH, payloadHash } from "./chain.js";
import { createTestContext, eventLoopTurnsDuring, type TestContext } from "../../../test-support/testing.js";
import { appendAudit, readAuditHead, type AuditRecord } from "./store.js";
import { verifyAudit } from "./verify.js";
import { createCheckpoint } from "./checkpoints.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { startVerification } from "./verifications-store.js";

const ENTRIES = 10_000;
const CHECKPOINT_EVERY = 1_000;
const TARGET = 4_321;

let ctx: TestContext;
let client: Client;
let projectId: string;
let signer: CheckpointSigner;

/** An entry whose payload the store keeps (audit_payloads), so payloads are checked too. */
function record(i: number): AuditRecord {
  return {
    time: 1_750_000_000_000 + i,
    actor: i % 3 === 0 ? "user:u1" : "sdk:k1",
    action: i % 2 === 0 ? "label.created" : "escalation.decided",
    subject: `step:e${i}`,
    runId: i % 5 === 0 ? null : `run-${Math.floor(i / 4)}`,
    payload: { i },
  };
}

async function buildChain(): Promise<void> {
  for (let start = 1; start <= ENTRIES; start += CHECKPOINT_EVERY) {
    const records = Array.from({ length: CHECKPOINT_EVERY }, (_, k) => record(start + k));
    await withWriteLock(client, async (tx) => ({ commit: true, value: await appendAudit(tx, projectId, records) }));
    await createCheckpoint(client, projectId, signer, 1_750_000_000_000 + start);
  }
}

/** What someone with write access to the database file does first. */
async function dropTriggers(): Promise<void> {
  await client.executeMultiple(`
    DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;
    DROP TRIGGER audit_checkpoints_no_update; DROP TRIGGER audit_checkpoints_no_delete;`);
}

async function verify() {
  return verifyAudit(ctx.store.db, projectId, signer.publicKey);
}

/** Rewrites every hash from `from` on, as someone with the database but not the key would. */
async function recomputeFrom(from: number): Promise<void> {
  const prevRow = await client.execute({
    sql: "SELECT lower(hex(hash)) FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
    args: [projectId, from - 1],
  });
  let prev = prevRow.rows[0] ? String(prevRow.rows[0][0]) : GENESIS_HASH;
  const rs = await client.execute({
    sql: "SELECT seq, time, actor, action, subject, run_id, lower(hex(payload_hash)) FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq >= ? ORDER BY seq",
    args: [projectId, from],
  });
  const updates = rs.rows.map((r) => {
    prev = entryHash(prev, {
      projectId,
      seq: Number(r[0]),
      time: Number(r[1]),
      actor: String(r[2]),
      action: String(r[3]),
      subject: String(r[4]),
      runId: r[5] == null ? null : String(r[5]),
      payloadHash: String(r[6]),
    });
    return {
      sql: "UPDATE audit_log SET hash = unhex(?) WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
      args: [prev, projectId, Number(r[0])],
    };
  });
  await client.batch(updates, "write");
}

beforeEach(async () => {
  ctx = await createTestContext();
  client = ctx.store.client;
  // A bare project row: createProject would start the chain with its own entry.
  projectId = "tamper-suite";
  await client.execute({ sql: "INSERT INTO projects (id, name, created_at) VALUES (?, ?, 0)", args: [projectId, projectId] });
  signer = new CheckpointSigner(ctx.config.secret);
  await buildChain();
});
afterEach(() => ctx.close());

describe("audit chain over 10,000 entries", () => {
  it("verifies when untouched, and reports the head and every checkpoint", async () => {
    const report = await verify();
    expect(report).toMatchObject({ ok: true, entries: ENTRIES, checkpoints: ENTRIES / CHECKPOINT_EVERY, lastGoodCheckpoint: ENTRIES, firstBad: null });
    expect(report.head?.seq).toBe(ENTRIES);
  });

  it("lets the event loop run between pages, so a verify never freezes the server", async () => {
    // The embedded driver settles every query at once: without a yield per page, nothing else
    // (ingest, health checks) would run until the whole chain was read. 10,000 entries are 25
    // pages of 400.
    const { value: report, turns } = await eventLoopTurnsDuring(verify);
    expect(report.ok).toBe(true);
    expect(turns).toBeGreaterThanOrEqual(24);
  });

  it("refuses UPDATE and DELETE through the database's own triggers", async () => {
    await expect(
      client.execute({
        sql: "UPDATE audit_log SET actor = 'x' WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = 1",
        args: [projectId],
      }),
    ).rejects.toThrow(/append-only/);
    await expect(
      client.execute({
        sql: "DELETE FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = 1",
        args: [projectId],
      }),
    ).rejects.toThrow(/append-only/);
    await expect(client.execute({ sql: "DELETE FROM audit_checkpoints WHERE project_id = ?", args: [projectId] })).rejects.toThrow(/append-only/);
    await expect(client.execute({ sql: "UPDATE audit_checkpoints SET seq = 1 WHERE project_id = ?", args: [projectId] })).rejects.toThrow(/append-only/);
    expect((await verify()).ok).toBe(true);
  });

  const edits: Array<[string, string]> = [
    ["time", "time = time + 1"],
    ["actor", "actor = 'user:intruder'"],
    ["action", "action = 'policy.updated'"],
    ["subject", "subject = 'event:forged'"],
    ["run_id", "run_id = 'run-other'"],
    ["payload_hash", `payload_hash = unhex('${"a".repeat(64)}')`],
    ["hash", `hash = unhex('${"b".repeat(64)}')`],
  ];
  for (const [field, set] of edits) {
    it(`names entry ${TARGET} when its ${field} is edited`, async () => {
      await dropTriggers();
      await client.execute({
        sql: `UPDATE audit_log SET ${set} WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?`,
        args: [projectId, TARGET],
      });
      const report = await verify();
      expect(report.ok).toBe(false);
      expect(report.firstBad?.seq).toBe(TARGET);
    });
  }

  it("names the entry whose seq was moved away, and one moved to another project", async () => {
    await dropTriggers();
    await client.execute({
      sql: "UPDATE audit_log SET seq = 999999 WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
      args: [projectId, TARGET],
    });
    expect((await verify()).firstBad?.seq).toBe(TARGET);
    await client.execute({
      sql: "UPDATE audit_log SET seq = ?, project_key = 999 WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = 999999",
      args: [TARGET, projectId],
    });
    expect((await verify()).firstBad).toMatchObject({ seq: TARGET, reason: expect.stringMatching(/missing/) });
  });

  it("names a deleted entry", async () => {
    await dropTriggers();
    await client.execute({
      sql: "DELETE FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
      args: [projectId, TARGET],
    });
    const report = await verify();
    expect(report.firstBad).toMatchObject({ seq: TARGET, reason: expect.stringMatching(/missing/) });
  });

  it("names a forged insertion, whether or not the forger chained its hash", async () => {
    await dropTriggers();
    // Make room at TARGET: every later entry moves up one (via negative seqs to dodge the key).
    await client.execute({
      sql: "UPDATE audit_log SET seq = -seq - 1 WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq >= ?",
      args: [projectId, TARGET],
    });
    await client.execute({
      sql: "UPDATE audit_log SET seq = -seq WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq < 0",
      args: [projectId],
    });
    const forged = {
      projectId,
      seq: TARGET,
      time: 1_750_000_000_000 + TARGET,
      actor: "user:intruder",
      action: "escalation.decided",
      subject: "escalation:x",
      runId: null,
      payloadHash: payloadHash({ forged: true }),
    };
    await client.execute({
      sql: "INSERT INTO audit_log (project_key, seq, time, actor, action, subject, run_id, payload_hash, hash) VALUES ((SELECT project_key FROM project_keys WHERE project_id = ?), ?, ?, ?, ?, ?, ?, unhex(?), unhex(?))",
      args: [projectId, TARGET, forged.time, forged.actor, forged.action, forged.subject, null, forged.payloadHash, "c".repeat(64)],
    });
    expect((await verify()).firstBad?.seq).toBe(TARGET);

    // A careful forger chains the inserted entry to its predecessor: it verifies, and the entry
    // it displaced (now one number later, under a hash made for its old number) is the first bad.
    const prev = await client.execute({
      sql: "SELECT lower(hex(hash)) FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
      args: [projectId, TARGET - 1],
    });
    await client.execute({
      sql: "UPDATE audit_log SET hash = unhex(?) WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
      args: [entryHash(String(prev.rows[0]![0]), forged), projectId, TARGET],
    });
    await client.execute({
      sql: "UPDATE audit_payloads SET seq = -seq - 1 WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq >= ?",
      args: [projectId, TARGET],
    });
    await client.execute({
      sql: "UPDATE audit_payloads SET seq = -seq WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq < 0",
      args: [projectId],
    });
    await client.execute({
      sql: "INSERT INTO audit_payloads (project_key, seq, body) VALUES ((SELECT project_key FROM project_keys WHERE project_id = ?), ?, ?)",
      args: [projectId, TARGET, '{"forged":true}'],
    });
    const report = await verify();
    // The forged entry itself, not the entry it displaced.
    expect(report.firstBad).toMatchObject({ seq: TARGET, reason: expect.stringMatching(/inserted/) });
  });

  it("names the first of two swapped neighbours", async () => {
    await dropTriggers();
    await client.execute({
      sql: "UPDATE audit_log SET seq = -1 WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
      args: [projectId, TARGET],
    });
    await client.execute({
      sql: "UPDATE audit_log SET seq = ? WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
      args: [TARGET, projectId, TARGET + 1],
    });
    await client.execute({
      sql: "UPDATE audit_log SET seq = ? WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = -1",
      args: [TARGET + 1, projectId],
    });
    expect((await verify()).firstBad?.seq).toBe(TARGET);
  });

  it("catches a truncated tail through the last checkpoint", async () => {
    await dropTriggers();
    await client.execute({
      sql: "DELETE FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq > ?",
      args: [projectId, 9_500],
    });
    // The head is consistent on its own: only the checkpoint at 10,000 shows entries are gone.
    const report = await verify();
    expect(report.firstBad).toMatchObject({ seq: 9_501, reason: expect.stringMatching(/truncated/) });
  });

  it("catches a truncated tail in a background verification too: it covers up to the last checkpoint, not only the head", async () => {
    await dropTriggers();
    await client.execute({
      sql: "DELETE FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq > ?",
      args: [projectId, 9_500],
    });
    const { row } = await startVerification(client, { projectId, actor: "user:me", now: Date.now(), staleMs: 30_000 });
    expect(row.upTo).toBe(ENTRIES);
    const report = await verifyAudit(ctx.store.db, projectId, signer.publicKey, { upTo: row.upTo });
    expect(report.firstBad).toMatchObject({ seq: 9_501, reason: expect.stringMatching(/truncated/) });
  });

  it("reports its progress a page at a time and checks nothing past upTo", async () => {
    const seen: number[] = [];
    const report = await verifyAudit(ctx.store.db, projectId, signer.publicKey, { upTo: 4_000, onProgress: (n) => void seen.push(n) });
    expect(report).toMatchObject({ ok: true, entries: 4_000, checkpoints: 4, head: { seq: 4_000 } });
    expect(seen.at(-1)).toBe(4_000);
    expect(seen.length).toBeGreaterThan(5);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it("stops between pages when its signal is aborted", async () => {
    const abort = new AbortController();
    const run = verifyAudit(ctx.store.db, projectId, signer.publicKey, {
      signal: abort.signal,
      onProgress: (n) => void (n >= 2_000 && abort.abort(new Error("enough"))),
    });
    await expect(run).rejects.toThrow("enough");
  });

  it("catches a chain recomputed without the signing key through the checkpoint signature", async () => {
    await dropTriggers();
    await client.execute({
      sql: "UPDATE audit_log SET actor = 'user:intruder' WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
      args: [projectId, TARGET],
    });
    await recomputeFrom(TARGET);
    // Every hash agrees with the entries now; the checkpoint signed at 5,000 does not.
    let report = await verify();
    expect(report.firstBad).toMatchObject({ seq: 4_001, reason: expect.stringMatching(/rewritten/) });
    expect(report.lastGoodCheckpoint).toBe(4_000);

    // Moving the checkpoints' heads along breaks their signatures instead.
    const heads = await client.execute({
      sql: "SELECT seq, lower(hex(hash)) FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq % ? = 0",
      args: [projectId, CHECKPOINT_EVERY],
    });
    for (const h of heads.rows) {
      await client.execute({ sql: "UPDATE audit_checkpoints SET head_hash = ? WHERE project_id = ? AND seq = ?", args: [h[1]!, projectId, h[0]!] });
    }
    report = await verify();
    expect(report.firstBad).toMatchObject({ seq: 4_001, reason: expect.stringMatching(/signature/) });

    // And signing them again with a key of one's own does not help.
    const impostor = new CheckpointSigner("not the server's secret, but long enough");
    await client.execute({ sql: "DELETE FROM audit_checkpoints WHERE project_id = ? AND seq > 4000", args: [projectId] });
    const last = await client.execute({ sql: "SELECT signature FROM audit_checkpoints WHERE project_id = ? AND seq = 4000", args: [projectId] });
    let prevSignature = String(last.rows[0]![0]);
    for (const h of heads.rows.filter((r) => Number(r[0]) > 4_000)) {
      const c = impostor.sign({ projectId, seq: Number(h[0]), headHash: String(h[1]), time: 1, prevSignature });
      await client.execute({
        sql: "INSERT INTO audit_checkpoints (project_id, seq, head_hash, time, prev_signature, key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?)",
        args: [projectId, c.seq, c.headHash, c.time, c.prevSignature, signer.keyId, c.signature],
      });
      prevSignature = c.signature;
    }
    report = await verify();
    expect(report.firstBad).toMatchObject({ seq: 4_001, reason: expect.stringMatching(/signature/) });
  });

  it("catches a removed checkpoint through the checkpoints' own chain", async () => {
    await dropTriggers();
    await client.execute({ sql: "DELETE FROM audit_checkpoints WHERE project_id = ? AND seq = 3000", args: [projectId] });
    expect((await verify()).firstBad).toMatchObject({ seq: 2_001, reason: expect.stringMatching(/previous checkpoint/) });
  });

  it("keeps extending the same chain after a checkpoint, and a new head verifies", async () => {
    await withWriteLock(client, async (tx) => ({ commit: true, value: await appendAudit(tx, projectId, [{ ...record(0), payload: { late: true } }]) }));
    expect((await readAuditHead(client, projectId))?.seq).toBe(ENTRIES + 1);
    expect(await verify()).toMatchObject({ ok: true, entries: ENTRIES + 1 });
    expect(await createCheckpoint(client, projectId, signer, 2)).toMatchObject({ seq: ENTRIES + 1 });
    expect(await createCheckpoint(client, projectId, signer, 3)).toBeNull();
  });
});
