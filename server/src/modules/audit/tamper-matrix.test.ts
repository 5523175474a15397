import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { canonicalJson, entryHash, GENESIS_HASH, sha256Hex } from "./chain.js";
import { runCheckpointJob } from "./checkpoint-job.js";
import { createCheckpoint } from "./checkpoints.js";
import { configuredAnchors, readExternalCheckpoints } from "./anchors.js";
import type { VerifyReport } from "./report.js";
import { ENTRY_COLUMNS, entryFromRow, readAuditHead } from "./store.js";
import { PROJECT_KEY } from "../../platform/db/project-key.js";
import { SYSTEM_CHAIN } from "./system-anchor.js";
import { verifyStore } from "./verify-store.js";
import { runRetentionJob } from "../retention/retention-job.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { completedRun, postEvents } from "../../../test-support/events-fixtures.js";
import { call, escalatedRun, postBatches } from "../../../test-support/review-fixtures.js";
import { fromStoredText } from "../../platform/db/stored-text.js";
import { idFromStored, refFromStored, storedId, storedRef } from "../../platform/db/stored-id.js";

/**
 * The tamper matrix, as someone with write access to the database file would do it, against a
 * store built the way the server builds one: ingested runs, a reviewer's decision, retention
 * (a `final` purge and a TTL deletion), checkpoints every 20 entries copied to a file on other
 * storage, and system anchors. Each case names the first bad entry it expects, exactly; what
 * cannot be caught, and why, is in docs/audit.md.
 */

const HOUR = 3_600_000;
/** When the store was built (the fixture runs ended on 2025-01-15, long before). */
let BUILT = 0;

let ctx: TestContext;
const dirs: string[] = [];
afterEach(() => {
  ctx?.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Built {
  projectId: string;
  other: string;
  key: string;
  file: string;
  admin: { cookie: string };
  /** The entry seq of the reviewer's decision, and of an event whose body is still whole. */
  decision: number;
  event: number;
  lastCheckpoint: number;
}

async function build(opts: { file?: boolean } = {}): Promise<Built> {
  const outside = mkdtempSync(join(tmpdir(), "seamtrace-anchor-"));
  dirs.push(outside);
  const file = join(outside, "checkpoints.jsonl");
  ctx = await createTestContext({ SEAMTRACE_AUDIT_CHECKPOINT_EVERY: "20", ...(opts.file === false ? {} : { SEAMTRACE_AUDIT_CHECKPOINT_FILE: file }) });
  BUILT = Date.now();
  ctx.deps.now = () => BUILT;
  const { projectId, key } = await ctx.newProject("acme");
  const other = (await ctx.newProject("globex")).projectId;
  const admin = await ctx.newUser(projectId, "admin");
  const reviewer = await ctx.newUser(projectId, "reviewer");
  const run = escalatedRun();
  await postBatches(ctx, key, run.batches);
  expect((await call(ctx, "POST", `/v1/escalations/${run.escalationId}/claim`, reviewer)).status).toBe(200);
  expect(
    (await call(ctx, "POST", `/v1/escalations/${run.escalationId}/decision`, reviewer, { decision: "accept", reason: "within the policy limit" })).status,
  ).toBe(200);
  const jobs = { store: ctx.store, now: () => BUILT, config: ctx.config, signer: ctx.deps.auditSigner };
  await runCheckpointJob(jobs, { minEntries: 1 });
  // One run deleted by a TTL (workflow "claims"), one reduced to its final outputs ("triage").
  const deleted = completedRun();
  const reduced = completedRun().events.map((e) => ({ ...e, workflow: "triage" }));
  await postEvents(ctx, key, { events: [...deleted.events, ...reduced] });
  await ctx.deps.projector.sync();
  expect((await call(ctx, "PUT", "/v1/retention/claims", admin, { mode: "full", ttlDays: 1 })).status).toBe(200);
  expect((await call(ctx, "PUT", "/v1/retention/triage", admin, { mode: "final" })).status).toBe(200);
  expect(await runRetentionJob({ store: ctx.store, config: ctx.config, now: () => BUILT })).toMatchObject({ deleted: { runs: 1 }, final: { runs: 1 } });
  await runCheckpointJob(jobs, { minEntries: 1 });
  // And a run whole.
  await postEvents(ctx, key, { events: completedRun().events });
  await ctx.deps.projector.sync();
  await runCheckpointJob(jobs, { minEntries: 20 });
  await runCheckpointJob(jobs, { minEntries: 1 });
  const seqOf = async (where: string) => {
    const rs = await ctx.store.client.execute({
      sql: `SELECT max(seq) FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND ${where}`,
      args: [projectId],
    });
    return Number(rs.rows[0]![0]);
  };
  return {
    projectId,
    other,
    key,
    file,
    admin,
    decision: await seqOf("action = 'escalation.decided'"),
    event: await seqOf("action = 'step.completed'"),
    lastCheckpoint: (await readAuditHead(ctx.store.client, projectId))!.seq,
  };
}

/** What someone with the database file does first. */
async function dropTriggers(): Promise<void> {
  await ctx.store.client.executeMultiple(`
    DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;
    DROP TRIGGER IF EXISTS audit_checkpoints_no_update; DROP TRIGGER IF EXISTS audit_checkpoints_no_delete;`);
}

const sql = (text: string, ...args: Array<string | number | Uint8Array | null>) => ctx.store.client.execute({ sql: text, args });

/** The dashboard's verification: POST /v1/audit/verifications, waited for. */
async function viaApi(b: Built): Promise<{ status: string; report: VerifyReport }> {
  const res = await ctx.app.request("/v1/audit/verifications", { method: "POST", headers: { cookie: b.admin.cookie, prefer: "wait=30" } });
  const v = (await res.json()) as { status: string; report: VerifyReport; error: string | null };
  expect(v.error).toBeNull();
  return v;
}

/** `seamtrace audit verify`: the whole store, with the configured copies outside it. */
async function wholeStore() {
  const sources = configuredAnchors(ctx.config.audit);
  const external = sources.length > 0 ? await readExternalCheckpoints(sources, ctx.deps.auditSigner.publicKey, null) : null;
  return verifyStore(ctx.store.db, ctx.deps.auditSigner.publicKey, { external, now: ctx.deps.now(), unanchoredAfterMs: ctx.config.audit.unanchoredAfterMs });
}

/** The hash the store holds for entry `seq` of the project's chain, as hex (null when there is none). */
async function storedHash(projectId: string, seq: number): Promise<string | null> {
  const rs = await sql(`SELECT lower(hex(hash)) FROM audit_log WHERE project_key = ${PROJECT_KEY} AND seq = ?`, projectId, seq);
  return rs.rows[0] ? String(rs.rows[0][0]) : null;
}

/** Rewrites every hash from `from` on, and the tree the server kept, as someone without the key would. */
async function recomputeFrom(projectId: string, from: number, alsoTree: boolean): Promise<void> {
  let prev = (await storedHash(projectId, from - 1)) ?? GENESIS_HASH;
  const rs = await sql(`SELECT ${ENTRY_COLUMNS} FROM audit_log a WHERE a.project_key = ${PROJECT_KEY} AND a.seq >= ? ORDER BY a.seq`, projectId, from);
  for (const r of rs.rows) {
    prev = entryHash(prev, entryFromRow(projectId, r));
    await sql(`UPDATE audit_log SET hash = unhex(?) WHERE project_key = ${PROJECT_KEY} AND seq = ?`, prev, projectId, Number(r[0]));
  }
  if (alsoTree) await sql("DELETE FROM audit_trees WHERE project_id = ?", projectId);
}

/** The condition on `table` for one project, bound as its id: the audit log and its payloads name it by its key (project-key.ts). */
function keyedByProject(table: string): string {
  return table === "audit_log" || table === "audit_payloads" ? "project_key = (SELECT project_key FROM project_keys WHERE project_id = ?)" : "project_id = ?";
}

describe("the tamper matrix", { timeout: 240_000 }, () => {
  it("verifies the untouched store everywhere: API, whole store, every payload, purges told from deletions", async () => {
    const b = await build();
    const v = await viaApi(b);
    expect(v.status).toBe("passed");
    expect(v.report).toMatchObject({ ok: true, firstBad: null, unanchored: null, lastGoodCheckpoint: b.lastCheckpoint });
    expect(v.report.payloads.checked).toBeGreaterThan(10);
    expect(v.report.payloads.reduced).toBeGreaterThan(0);
    expect(v.report.payloads.purged).toBeGreaterThan(0);
    expect(v.report.payloads.unverifiable).toBe(0);
    expect(v.report.anchors.external?.checkpoints).toBe(v.report.checkpoints);
    expect(v.report.checkpoints).toBeGreaterThanOrEqual(3);
    expect(v.report.anchors.system?.covers).toBe(b.lastCheckpoint);
    const all = await wholeStore();
    expect(all.map((r) => [r.project, r.ok, r.unanchored])).toEqual([
      ["(system)", true, null],
      ["acme", true, null],
      ["globex", true, null],
    ]);
  });

  const edits: Array<[string, string]> = [
    ["actor", "actor = 'user:mallory'"],
    ["action", "action = 'escalation.claimed'"],
    ["payload hash", `payload_hash = unhex('${"a".repeat(64)}')`],
  ];
  for (const [field, set] of edits) {
    it(`names an edited entry (${field}) exactly`, async () => {
      const b = await build();
      await dropTriggers();
      await sql(
        `UPDATE audit_log SET ${set} WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?`,
        b.projectId,
        b.decision,
      );
      expect((await viaApi(b)).report.firstBad).toMatchObject({ seq: b.decision, reason: expect.stringMatching(/does not match its hash/) });
    });
  }

  it("names an entry whose id or reference was rewritten in a form the store never writes, and still lists the run", async () => {
    const b = await build();
    await dropTriggers();
    const at = "WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?";
    const stored = (await sql(`SELECT run_id, subject FROM audit_log ${at}`, b.projectId, b.event)).rows[0]!;
    const runId = idFromStored(stored[0]);
    const subject = refFromStored(stored[1]);
    expect(subject).toMatch(/^event:/);
    // Bytes that are no id, the run id as text (the store keeps a UUID as its bytes, and lookups
    // by run bind those), and the subject as text: each reads as something else, so the entry no
    // longer hashes as it did.
    const edits: Array<[string, string | Uint8Array, string | Uint8Array]> = [
      ["run_id", Uint8Array.from([1, 2]), storedId(runId)],
      ["run_id", runId, storedId(runId)],
      ["subject", subject, storedRef(subject)],
    ];
    for (const [column, edited, original] of edits) {
      await sql(`UPDATE audit_log SET ${column} = ? ${at}`, edited, b.projectId, b.event);
      expect((await viaApi(b)).report.firstBad, `${column} = ${String(edited)}`).toMatchObject({
        seq: b.event,
        reason: expect.stringMatching(/does not match its hash/),
      });
      const listed = await ctx.app.request(`/v1/audit?runId=${runId}`, { headers: { cookie: b.admin.cookie } });
      expect(listed.status).toBe(200);
      await sql(`UPDATE audit_log SET ${column} = ? ${at}`, original, b.projectId, b.event);
    }
    expect((await viaApi(b)).report).toMatchObject({ ok: true, firstBad: null });
  });

  it("names a deleted entry, and the first of two swapped ones", async () => {
    const b = await build();
    await dropTriggers();
    await sql(
      "UPDATE audit_log SET seq = -1 WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
      b.projectId,
      b.decision,
    );
    await sql(
      "UPDATE audit_log SET seq = ? WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
      b.decision,
      b.projectId,
      b.decision + 1,
    );
    await sql(
      "UPDATE audit_log SET seq = ? WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = -1",
      b.decision + 1,
      b.projectId,
    );
    expect((await viaApi(b)).report.firstBad?.seq).toBe(b.decision);
    await sql("DELETE FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?", b.projectId, b.decision + 1);
    expect((await viaApi(b)).report.firstBad).toMatchObject({ seq: b.decision, reason: expect.stringMatching(/does not match its hash/) });
  });

  it("names a forged entry inserted with a chained hash, not the entry it displaced", async () => {
    const b = await build();
    await dropTriggers();
    const at = b.decision;
    for (const table of ["audit_log", "audit_payloads"]) {
      await sql(
        `UPDATE ${table} SET seq = -seq - 1 WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq >= ?`,
        b.projectId,
        at,
      );
      await sql(`UPDATE ${table} SET seq = -seq WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq < 0`, b.projectId);
    }
    const body = canonicalJson({ decision: "reject", reason: "forged" });
    const forged = {
      projectId: b.projectId,
      seq: at,
      time: BUILT,
      actor: "user:mallory",
      action: "escalation.decided",
      subject: "escalation:forged",
      runId: null,
      payloadHash: sha256Hex(body),
    };
    const prev = (await storedHash(b.projectId, at - 1))!;
    await sql(
      "INSERT INTO audit_log (project_key, seq, time, actor, action, subject, run_id, payload_hash, hash) VALUES ((SELECT project_key FROM project_keys WHERE project_id = ?), ?, ?, ?, ?, ?, NULL, unhex(?), unhex(?))",
      b.projectId,
      at,
      forged.time,
      forged.actor,
      forged.action,
      forged.subject,
      forged.payloadHash,
      entryHash(prev, forged),
    );
    await sql(
      "INSERT INTO audit_payloads (project_key, seq, body) VALUES ((SELECT project_key FROM project_keys WHERE project_id = ?), ?, ?)",
      b.projectId,
      at,
      body,
    );
    expect((await viaApi(b)).report.firstBad).toMatchObject({ seq: at, reason: expect.stringMatching(/inserted/) });
  });

  it("names an edited payload, an edited event body and a deleted payload exactly; purged and reduced ones verify", async () => {
    const b = await build();
    const decision = await sql(
      "SELECT body FROM audit_payloads WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
      b.projectId,
      b.decision,
    );
    const forged = canonicalJson({ ...(JSON.parse(String(decision.rows[0]![0])) as object), decision: "reject", reason: "forged" });
    await sql(
      "UPDATE audit_payloads SET body = ? WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
      forged,
      b.projectId,
      b.decision,
    );
    expect((await viaApi(b)).report.firstBad).toMatchObject({ seq: b.decision, reason: expect.stringMatching(/payload of entry \d+ does not match/) });
    // The export says so too, instead of serving the forged decision as the record.
    const exported = await ctx.app.request(`/v1/audit/export?action=escalation.decided&from=${new Date(BUILT - HOUR).toISOString()}`, {
      headers: { cookie: b.admin.cookie },
    });
    expect(JSON.parse((await exported.text()).trim())).toMatchObject({ seq: b.decision, payloadIntact: false });
    await sql(
      "UPDATE audit_payloads SET body = ? WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
      String(decision.rows[0]![0]),
      b.projectId,
      b.decision,
    );

    const subject = refFromStored(
      (
        await sql(
          "SELECT subject FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
          b.projectId,
          b.event,
        )
      ).rows[0]![0],
    );
    // Edited as someone with the file would: read, change a value, write it back (as text).
    const eventId = subject.slice("event:".length);
    const body = fromStoredText(
      (
        await sql(
          "SELECT body FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND id = ?",
          b.projectId,
          storedId(eventId),
        )
      ).rows[0]![0],
    );
    await sql(
      "UPDATE events SET body = ? WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND id = ?",
      JSON.stringify({ ...JSON.parse(body), confidence: 0.99 }),
      b.projectId,
      storedId(eventId),
    );
    expect((await viaApi(b)).report.firstBad).toMatchObject({ seq: b.event, reason: expect.stringMatching(/payload of entry \d+ does not match/) });
    // Its receipt time moved as well, the entry no longer finds its event (an entry is matched to
    // the event stored with it): still reported, as a payload gone with no purge to account for it.
    await sql(
      "UPDATE events SET received_at = received_at + 1 WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND id = ?",
      b.projectId,
      storedId(eventId),
    );
    expect((await viaApi(b)).report.firstBad).toMatchObject({ seq: b.event, reason: expect.stringMatching(/missing, and no retention purge/) });
    await sql(
      "DELETE FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND id = ?",
      b.projectId,
      storedId(subject.slice("event:".length)),
    );
    expect((await viaApi(b)).report.firstBad).toMatchObject({ seq: b.event, reason: expect.stringMatching(/missing, and no retention purge/) });
  });

  it("catches a payload deleted behind a forged purge entry, naming the payload's entry", async () => {
    const b = await build();
    await dropTriggers();
    // The decision's run: delete its payload, and claim a TTL purge of the run removed it, with
    // a purge entry inserted after it (chained, renumbering what follows).
    const runId = idFromStored(
      (
        await sql(
          "SELECT run_id FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
          b.projectId,
          b.decision,
        )
      ).rows[0]![0],
    );
    await sql(
      "DELETE FROM audit_payloads WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
      b.projectId,
      b.decision,
    );
    const at = b.decision + 1;
    for (const table of ["audit_log", "audit_payloads"]) {
      await sql(
        `UPDATE ${table} SET seq = -seq - 1 WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq >= ?`,
        b.projectId,
        at,
      );
      await sql(`UPDATE ${table} SET seq = -seq WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq < 0`, b.projectId);
    }
    const body = canonicalJson({ mode: "ttl", steps: 0, events: 0 });
    const purge = {
      projectId: b.projectId,
      seq: at,
      time: BUILT,
      actor: "system:retention",
      action: "retention.purged",
      subject: `run:${runId}`,
      runId,
      payloadHash: sha256Hex(body),
    };
    const prev = (await storedHash(b.projectId, at - 1))!;
    await sql(
      "INSERT INTO audit_log (project_key, seq, time, actor, action, subject, run_id, payload_hash, hash) VALUES ((SELECT project_key FROM project_keys WHERE project_id = ?), ?, ?, ?, ?, ?, ?, unhex(?), unhex(?))",
      b.projectId,
      at,
      purge.time,
      purge.actor,
      purge.action,
      storedRef(purge.subject),
      storedId(runId),
      purge.payloadHash,
      entryHash(prev, purge),
    );
    await sql(
      "INSERT INTO audit_payloads (project_key, seq, body) VALUES ((SELECT project_key FROM project_keys WHERE project_id = ?), ?, ?)",
      b.projectId,
      at,
      body,
    );
    expect((await viaApi(b)).report.firstBad).toMatchObject({
      seq: b.decision,
      reason: expect.stringMatching(/taken as removed by retention on the word of entry/),
    });
  });

  it("catches a tail cut with its checkpoints: through the file outside, the system anchor, or the tree the server kept", async () => {
    const b = await build();
    await dropTriggers();
    const cut = b.lastCheckpoint - 5;
    await sql("DELETE FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq > ?", b.projectId, cut);
    await sql("DELETE FROM audit_payloads WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq > ?", b.projectId, cut);
    await sql("DELETE FROM audit_checkpoints WHERE project_id = ? AND seq > ?", b.projectId, cut);
    // The checkpoint file outside the database names the last checkpoint.
    expect((await viaApi(b)).report.firstBad).toMatchObject({ seq: cut + 1, reason: expect.stringMatching(/truncated/) });
    // Without it, the system anchor lists the chain's head.
    writeFileSync(b.file, "");
    expect((await viaApi(b)).report.firstBad).toMatchObject({
      seq: cut + 1,
      reason: expect.stringMatching(/system anchor .* lists \d+ entries \(truncated tail\)/),
    });
    // Without the latest anchors either, the tree the server kept as it appended still says how far it went.
    await sql("DELETE FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?)", SYSTEM_CHAIN);
    await sql("DELETE FROM audit_checkpoints WHERE project_id = ?", SYSTEM_CHAIN);
    expect((await viaApi(b)).report.firstBad).toMatchObject({ seq: cut + 1, reason: expect.stringMatching(/the server appended \d+ \(truncated tail\)/) });
  });

  it("catches a chain recomputed without the key, however many of the database's checkpoints go with it", async () => {
    const b = await build();
    await dropTriggers();
    const checkpoints = (await sql("SELECT seq FROM audit_checkpoints WHERE project_id = ? ORDER BY seq", b.projectId)).rows.map((r) => Number(r[0]));
    const before = checkpoints.filter((s) => s < b.decision).at(-1) ?? 0;
    const after = checkpoints.find((s) => s >= b.decision)!;
    await sql(
      "UPDATE audit_log SET actor = 'user:mallory' WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
      b.projectId,
      b.decision,
    );
    await recomputeFrom(b.projectId, b.decision, true);
    // The entry changed cannot be told from the consistent rewrite after it: the report names
    // the first entry past the last checkpoint that holds, up to the one that does not.
    expect((await viaApi(b)).report.firstBad).toMatchObject({ seq: before + 1, to: after, reason: expect.stringMatching(/rewritten/) });
    // The database's checkpoints deleted too: the copy outside still holds them.
    await sql("DELETE FROM audit_checkpoints WHERE project_id = ? AND seq > ?", b.projectId, before);
    expect((await viaApi(b)).report.firstBad).toMatchObject({
      seq: before + 1,
      to: after,
      reason: expect.stringMatching(/copy outside the database .* \(chain rewritten\)/),
    });
    // No copy outside: the system anchor's listed head differs.
    writeFileSync(b.file, "");
    expect((await viaApi(b)).report.firstBad).toMatchObject({ seq: before + 1, reason: expect.stringMatching(/system anchor .* \(chain rewritten\)/) });
    // Nothing signed left to disagree: reported as unanchored once older than the grace.
    await sql("DELETE FROM audit_checkpoints WHERE project_id = ? OR project_id = ?", b.projectId, SYSTEM_CHAIN);
    await sql("DELETE FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?)", SYSTEM_CHAIN);
    ctx.deps.now = () => BUILT + 2 * HOUR;
    const v = await viaApi(b);
    expect(v.status).toBe("unanchored");
    expect(v.report.unanchored).toMatchObject({ from: 1, to: b.lastCheckpoint, entries: b.lastCheckpoint });
  });

  it("refuses to sign, and names, entries appended to the database after the head", async () => {
    const b = await build();
    const head = (await readAuditHead(ctx.store.client, b.projectId))!;
    const forged = {
      projectId: b.projectId,
      seq: head.seq + 1,
      time: BUILT,
      actor: "user:mallory",
      action: "escalation.decided",
      subject: "escalation:forged",
      runId: null,
      payloadHash: sha256Hex("{}"),
    };
    await sql(
      "INSERT INTO audit_log (project_key, seq, time, actor, action, subject, run_id, payload_hash, hash) VALUES ((SELECT project_key FROM project_keys WHERE project_id = ?), ?, ?, ?, ?, ?, NULL, unhex(?), unhex(?))",
      b.projectId,
      forged.seq,
      forged.time,
      forged.actor,
      forged.action,
      forged.subject,
      forged.payloadHash,
      entryHash(head.hash, forged),
    );
    await sql(
      "INSERT INTO audit_payloads (project_key, seq, body) VALUES ((SELECT project_key FROM project_keys WHERE project_id = ?), ?, '{}')",
      b.projectId,
      forged.seq,
    );
    expect((await viaApi(b)).report.firstBad).toMatchObject({ seq: head.seq + 1, reason: expect.stringMatching(/not appended by the server/) });
    await expect(createCheckpoint(ctx.store.client, b.projectId, ctx.deps.auditSigner, BUILT)).rejects.toThrow(/not appended by the server/);
  });

  it("catches a deleted project, with or without the checkpoint file", async () => {
    for (const withFile of [true, false]) {
      const b = await build({ file: withFile });
      await dropTriggers();
      for (const table of ["audit_log", "audit_payloads", "audit_checkpoints", "audit_trees", "audit_tree_nodes", "api_keys", "users", "sessions"]) {
        await sql(`DELETE FROM ${table} WHERE ${keyedByProject(table)}`, b.other);
      }
      await sql("DELETE FROM projects WHERE id = ?", b.other);
      const all = await wholeStore();
      const gone = all.find((r) => r.projectId === b.other);
      expect(gone, `with the file: ${withFile}`).toMatchObject({
        project: `(deleted) ${b.other}`,
        ok: false,
        firstBad: { seq: 1, reason: expect.stringMatching(/missing/) },
      });
      if (withFile) ctx.close();
    }
  });

  it("catches a chain emptied under a project that is still there, in the dashboard's verification too", async () => {
    const b = await build({ file: false });
    await dropTriggers();
    for (const table of ["audit_log", "audit_payloads", "audit_checkpoints", "audit_trees", "audit_tree_nodes"]) {
      await sql(`DELETE FROM ${table} WHERE ${keyedByProject(table)}`, b.projectId);
    }
    // Not "ok, 0 entries": the system anchor lists the chain's head.
    expect((await viaApi(b)).report).toMatchObject({
      ok: false,
      entries: 0,
      firstBad: { seq: 1, reason: expect.stringMatching(/system anchor .* \(truncated tail\)/) },
    });
    expect((await wholeStore()).find((r) => r.project === "acme")).toMatchObject({ ok: false, firstBad: { seq: 1 } });
  });
});

describe("the checkpoint file", () => {
  it("holds every checkpoint with its tree head, the system chain's among them", async () => {
    const b = await build();
    const lines = readFileSync(b.file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { projectId: string; rootHash?: string });
    expect(new Set(lines.map((l) => l.projectId))).toEqual(new Set([SYSTEM_CHAIN, b.projectId, b.other]));
    expect(lines.every((l) => /^[0-9a-f]{64}$/.test(l.rootHash ?? ""))).toBe(true);
  });
});
