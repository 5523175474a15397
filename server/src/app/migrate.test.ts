import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate } from "drizzle-orm/libsql/migrator";
import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../platform/db/client.js";
import { migrateStore, migrationsFolder, StoreFromNewerReleaseError } from "./migrate.js";
import { STEP_EVENT_JOIN, stepPayload } from "../modules/runs/step-payload.js";
import { canonicalJson, CheckpointSigner, entryHash, GENESIS_HASH, sha256Hex } from "../modules/audit/chain.js";
import { appendAudit, readAuditHead } from "../modules/audit/store.js";
import { verifyAudit } from "../modules/audit/verify.js";
import { beginWrite } from "../platform/db/write-transaction.js";
import { idFromStored, idFromStoredOrNull, idTextSql, refFromStored, storedId, storedIdSql, storedRefSql } from "../platform/db/stored-id.js";
import { ensureProjectKey, PROJECT_KEY, projectIdSql } from "../platform/db/project-key.js";
import { SYSTEM_CHAIN } from "../modules/audit/system-anchor.js";
import { uuidv7 } from "@seamtrace/sdk";

interface Journal {
  entries: Array<{ idx: number; tag: string }>;
}

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A copy of the migrations folder that stops before `tag`: the store as an older release left it. */
function migrationsBefore(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-migrations-"));
  dirs.push(dir);
  cpSync(migrationsFolder, dir, { recursive: true });
  const path = join(dir, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(path, "utf8")) as Journal;
  const at = journal.entries.findIndex((e) => e.tag === tag);
  expect(at, `${tag} is in the journal`).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, at);
  writeFileSync(path, JSON.stringify(journal));
  return dir;
}

async function freshStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-db-"));
  dirs.push(dir);
  const store = await openStore({ url: `file:${join(dir, "store.db")}`, busyTimeoutMs: 5_000 });
  stores.push(store);
  return store;
}

/** Each chain (its hashes by project) reads its head, verifies with its payloads, and grows by an entry. */
async function expectChainsVerifyAndGrow(store: Store, chains: ReadonlyMap<string, readonly string[]>, runId: string | null): Promise<void> {
  const signer = new CheckpointSigner("a secret long enough for the test's signer");
  for (const [projectId, hashes] of chains) {
    expect(await readAuditHead(store.client, projectId)).toEqual({ seq: hashes.length, hash: hashes.at(-1) });
    const { tx, release } = await beginWrite(store.client);
    try {
      await appendAudit(tx, projectId, [{ time: 2_000, actor: "user:u", action: "policy.updated", subject: "policy:wf/next", runId, payload: { n: 7 } }]);
      await tx.commit();
    } finally {
      tx.close();
      release();
    }
    const report = await verifyAudit(store.db, projectId, signer.publicKey);
    expect(report, projectId).toMatchObject({ ok: true, entries: hashes.length + 1, firstBad: null });
    expect(report.payloads, projectId).toMatchObject({ checked: hashes.length + 1 });
  }
}

describe("migrating a store that holds data", () => {
  it("renames escalation.rate to escalation.rate.steps in rules, alerts and values, and keeps every row", async () => {
    const store = await freshStore();
    await migrate(store.db, { migrationsFolder: migrationsBefore("0019_stats_guarantees") });
    const c = store.client;
    await c.batch([
      `INSERT INTO alert_rules (id, project_id, name, metric, op, threshold, created_at, created_by)
         VALUES ('r1', 'p', 'escalations up', 'escalation.rate', 'gt', 0.3, 1, 'user:u'),
                ('r2', 'p', 'ece', 'calibration.ece', 'gt', 0.1, 1, 'user:u')`,
      `INSERT INTO alerts (id, project_id, rule_id, metric, workflow, version, step, status, value, fired_at, updated_at)
         VALUES ('a1', 'p', 'r1', 'escalation.rate', 'wf', 'v1', 'extract', 'firing', 0.41, 2, 2),
                ('a2', 'p', 'r2', 'calibration.ece', 'wf', 'v1', 'extract', 'resolved', 0.2, 2, 3)`,
      `INSERT INTO metrics (project_id, metric, workflow, version, step, at, value)
         VALUES ('p', 'escalation.rate', 'wf', 'v1', 'extract', 100, 0.265),
                ('p', 'escalation.rate', 'wf', 'v1', 'extract', 200, 0.3),
                ('p', 'calibration.ece', 'wf', 'v1', 'extract', 100, 0.05)`,
      `INSERT INTO policies (project_id, workflow, step, min_confidence, target_accuracy, revision, updated_at, updated_by)
         VALUES ('p', 'wf', 'extract', 0.7, 0.95, 3, 1, 'user:u')`,
    ]);

    await migrateStore(store);

    const metrics = async (table: string) =>
      (await c.execute(`SELECT metric, COUNT(*) AS n FROM ${table} GROUP BY metric ORDER BY metric`)).rows.map((r) => [r.metric, Number(r.n)]);
    expect(await metrics("alert_rules")).toEqual([
      ["calibration.ece", 1],
      ["escalation.rate.steps", 1],
    ]);
    expect(await metrics("alerts")).toEqual([
      ["calibration.ece", 1],
      ["escalation.rate.steps", 1],
    ]);
    expect(await metrics("metrics")).toEqual([
      ["calibration.ece", 1],
      ["escalation.rate.steps", 2],
    ]);
    const firing = (await c.execute("SELECT rule_id, status, value, message FROM alerts WHERE id = 'a1'")).rows[0];
    expect({ ...firing }).toEqual({ rule_id: "r1", status: "firing", value: 0.41, message: null });
    const policy = (await c.execute("SELECT min_confidence, target_accuracy, revision, delta, on_unmet, spot_check_near_rate FROM policies")).rows[0];
    expect({ ...policy }).toEqual({ min_confidence: 0.7, target_accuracy: 0.95, revision: 3, delta: null, on_unmet: null, spot_check_near_rate: null });
  });
});

describe("migrating the steps table to payloads read from the event log", () => {
  it("points each step at the report it was projected from, and keeps every payload readable", async () => {
    const store = await freshStore();
    await migrate(store.db, { migrationsFolder: migrationsBefore("0024_steps_event_seq") });
    const c = store.client;
    const body = (o: Record<string, unknown>) => JSON.stringify({ type: "step.completed", runId: "r", workflow: "wf", version: "1", ...o });
    // s1 was reported twice: the later report (seq 2) ended earlier, so the row kept the first.
    // s2 once, with a time offset. s3's events are gone: its row keeps no payload.
    const t = Date.parse("2025-01-15T09:30:00.100Z");
    const events: Array<[string, string, string]> = [
      [
        "e1",
        "2025-01-15T09:30:00.100Z",
        body({ stepId: "s1", time: "2025-01-15T09:30:00.100Z", source: "inferred", input: { n: 1 }, output: "kept", parents: [] }),
      ],
      ["e2", "2025-01-15T09:30:00.050Z", body({ stepId: "s1", time: "2025-01-15T09:30:00.050Z", source: "inferred", output: "stale", parents: [] })],
      [
        "e3",
        "2025-01-15T11:30:00.200+02:00",
        body({ stepId: "s2", time: "2025-01-15T11:30:00.200+02:00", source: "direct", output: 2, parents: ["s1"], reasoning: "why" }),
      ],
    ];
    for (const [id, time, b] of events) {
      await c.execute({
        sql: "INSERT INTO events (project_id, id, type, run_id, time, received_at, key_id, body) VALUES ('p', ?, 'step.completed', 'r', ?, 0, 'k', ?)",
        args: [id, Date.parse(time), b],
      });
    }
    const step = (id: string, endedAt: number, source: string, output: string | null) =>
      c.execute({
        sql: `INSERT INTO steps (project_id, id, run_id, name, status, parents, output, source, stale, attempts, duration_ms, started_at, ended_at)
              VALUES ('p', ?, 'r', ?, 'completed', '[]', ?, ?, 0, 1, 1, 0, ?)`,
        args: [id, id, output, source, endedAt],
      });
    await step("s1", t, "inferred", '"kept"');
    await step("s2", t + 100, "direct", "2");
    await step("s3", t, "inferred", '"lost"');

    await migrateStore(store);

    const rs = await c.execute(`SELECT s.id, s.event_seq, ev.id AS event_id, ev.body FROM steps s ${STEP_EVENT_JOIN} ORDER BY s.id`);
    const rows = rs.rows.map((r) => ({ id: r.id, event: r.event_id, payload: stepPayload(r.body) }));
    expect(rows.map((r) => [r.id, r.event])).toEqual([
      ["s1", "e1"],
      ["s2", "e3"],
      ["s3", null],
    ]);
    expect(rows[0]!.payload).toMatchObject({ input: { n: 1 }, output: "kept" });
    expect(rows[1]!.payload).toMatchObject({ output: 2, parents: ["s1"], reasoning: "why" });
    expect(rows[2]!.payload.output).toBeNull();
    const columns = (await c.execute("SELECT name FROM pragma_table_info('steps')")).rows.map((r) => String(r.name));
    expect(columns).toContain("event_seq");
    expect(columns).not.toContain("output");
    expect((await c.execute("SELECT name FROM sqlite_schema WHERE name LIKE '__steps%'")).rows).toEqual([]);
  });
});

describe("migrating the audit log to binary hashes in a table without rowids", () => {
  it("keeps every entry and its chain, keeps an edited hash as evidence, and appends after it", async () => {
    const store = await freshStore();
    await migrate(store.db, { migrationsFolder: migrationsBefore("0028_audit_log_compact") });
    const c = store.client;
    // Entries as the previous release wrote them: hashes as 64 characters of hex.
    let prev = GENESIS_HASH;
    const hashes: string[] = [];
    for (let seq = 1; seq <= 5; seq++) {
      const body = canonicalJson({ n: seq });
      const entry = {
        projectId: "p",
        seq,
        time: 1_000 + seq,
        actor: "user:u",
        action: "policy.updated",
        subject: `policy:wf/s${seq}`,
        runId: seq % 2 ? "r" : null,
        payloadHash: sha256Hex(body),
      };
      prev = entryHash(prev, entry);
      hashes.push(prev);
      await c.execute({
        sql: "INSERT INTO audit_log (project_id, seq, time, actor, action, subject, run_id, payload_hash, hash) VALUES ('p', ?, ?, ?, ?, ?, ?, ?, ?)",
        args: [seq, entry.time, entry.actor, entry.action, entry.subject, entry.runId, entry.payloadHash, prev],
      });
      await c.execute({ sql: "INSERT INTO audit_payloads (project_id, seq, body) VALUES ('p', ?, ?)", args: [seq, body] });
    }
    // A second project whose stored hash someone edited to something that is not a hash.
    await c.execute(
      "INSERT INTO audit_log (project_id, seq, time, actor, action, subject, run_id, payload_hash, hash) VALUES ('q', 1, 1, 'user:u', 'login', 'user:u', NULL, 'EDITED', 'not a hash')",
    );

    // As 0028 to 0031 left it (0032 names projects by key); then the whole way, for the chain.
    await migrate(store.db, { migrationsFolder: migrationsBefore("0032_project_keys") });

    const table = (await c.execute("SELECT wr FROM pragma_table_list WHERE name = 'audit_log'")).rows[0]!;
    expect(Number(table[0]), "a table WITHOUT ROWID").toBe(1);
    const rows = await c.execute("SELECT typeof(hash), length(hash), lower(hex(hash)) FROM audit_log WHERE project_id = 'p' ORDER BY seq");
    expect(rows.rows.map((r) => [String(r[0]), Number(r[1]), String(r[2])])).toEqual(hashes.map((h) => ["blob", 32, h]));
    const edited = (await c.execute("SELECT CAST(payload_hash AS TEXT), CAST(hash AS TEXT) FROM audit_log WHERE project_id = 'q'")).rows[0]!;
    expect([String(edited[0]), String(edited[1])]).toEqual(["EDITED", "not a hash"]);
    // Still append-only.
    await expect(c.execute("UPDATE audit_log SET actor = 'x' WHERE project_id = 'p'")).rejects.toThrow(/append-only/);
    await expect(c.execute("DELETE FROM audit_log WHERE project_id = 'p'")).rejects.toThrow(/append-only/);

    // The chain verifies as it did, and grows from its head.
    await migrateStore(store);
    expect(await readAuditHead(c, "p")).toEqual({ seq: 5, hash: hashes[4] });
    const { tx, release } = await beginWrite(c);
    try {
      await appendAudit(tx, "p", [{ time: 2_000, actor: "user:u", action: "policy.updated", subject: "policy:wf/s6", payload: { n: 6 } }]);
      await tx.commit();
    } finally {
      tx.close();
      release();
    }
    const signer = new CheckpointSigner("a secret long enough for the test's signer");
    const report = await verifyAudit(store.db, "p", signer.publicKey);
    expect(report).toMatchObject({ ok: true, entries: 6, firstBad: null });
    expect((await verifyAudit(store.db, "q", signer.publicKey)).firstBad).toMatchObject({ seq: 1 });
  });
});

describe("migrating the event log to ids stored as bytes", () => {
  it("keeps every event, seq and body, stores UUIDs as their bytes and other ids as text, and never reuses a seq", async () => {
    const store = await freshStore();
    await migrate(store.db, { migrationsFolder: migrationsBefore("0029_events_compact") });
    const c = store.client;
    const project = uuidv7();
    const run = uuidv7();
    const rows: Array<[string, string, string | null, string]> = [
      [project, uuidv7(), run, '{"n":1}'],
      [project, uuidv7(), null, '{"n":2}'],
      // Ids that are not canonical UUIDs (a test's, or from before ids were checked) stay as they were.
      ["p", "e1", "r", '{"n":3}'],
      [project, uuidv7().toUpperCase(), run, '{"n":4}'],
      [project, uuidv7(), run, '{"n":5}'],
    ];
    for (const [p, id, r, body] of rows) {
      await c.execute({
        sql: "INSERT INTO events (project_id, id, type, run_id, time, received_at, key_id, body) VALUES (?, ?, 'step.completed', ?, 1, 2, 'k', ?)",
        args: [p, id, r, body],
      });
    }
    // Retention deleted the newest event: its seq must still never be handed out again.
    await c.execute("DELETE FROM events WHERE seq = 5");

    await migrate(store.db, { migrationsFolder: migrationsBefore("0032_project_keys") });

    const columns = (await c.execute("SELECT name FROM pragma_table_info('events')")).rows.map((r) => String(r.name));
    expect(columns).toEqual(["seq", "project_id", "id", "type", "run_id", "time", "received_at", "body"]);
    const after = await c.execute("SELECT seq, project_id, id, run_id, body, typeof(id) FROM events ORDER BY seq");
    expect(after.rows.map((r) => [Number(r[0]), idFromStored(r[1]), idFromStored(r[2]), idFromStoredOrNull(r[3]), String(r[4]), String(r[5])])).toEqual(
      rows.slice(0, 4).map(([p, id, r, body], i) => [i + 1, p, id, r, body, storedId(id) instanceof Uint8Array ? "blob" : "text"]),
    );
    // Found by the stored form of the id, as every reader looks it up.
    const found = await c.execute({ sql: "SELECT seq FROM events WHERE project_id = ? AND id = ?", args: [storedId(project), storedId(rows[1]![1])] });
    expect(found.rows.map((r) => Number(r[0]))).toEqual([2]);
    await expect(
      c.execute({
        sql: "INSERT INTO events (project_id, id, type, time, received_at, body) VALUES (?, ?, 'x', 1, 2, '{}')",
        args: [storedId(project), storedId(rows[0]![1])],
      }),
    ).rejects.toThrow(/UNIQUE/);
    const next = await c.execute({
      sql: "INSERT INTO events (project_id, id, type, time, received_at, body) VALUES (?, ?, 'x', 1, 2, '{}') RETURNING seq",
      args: [storedId(project), storedId(uuidv7())],
    });
    expect(Number(next.rows[0]![0])).toBe(6);
    expect((await c.execute("SELECT name FROM sqlite_schema WHERE name LIKE '__new%'")).rows).toEqual([]);
  });

  it("converts each id by the same rule as the code that binds and joins them", () => {
    const migration = readFileSync(join(migrationsFolder, "0029_events_compact.sql"), "utf8");
    for (const column of ["project_id", "id", "run_id"]) expect(migration).toContain(storedIdSql(`\`${column}\``));
  });
});

describe("migrating the audit log to ids stored as bytes", () => {
  it("keeps every entry, payload and chain, stores UUIDs as their bytes and other ids as text, and verifies and grows as before", async () => {
    const store = await freshStore();
    await migrate(store.db, { migrationsFolder: migrationsBefore("0030_audit_log_ids") });
    const c = store.client;
    const project = uuidv7();
    const run = uuidv7();
    const key = uuidv7();
    // The event an entry is about, as 0029 left the event log: ids as bytes, received when its
    // entry (seq 1, below) was written.
    const eventId = uuidv7();
    const eventBody = '{"n":0}';
    await c.execute({
      sql: "INSERT INTO events (project_id, id, type, run_id, time, received_at, body) VALUES (?, ?, 'step.completed', ?, 1, 1001, ?)",
      args: [storedId(project), storedId(eventId), storedId(run), eventBody],
    });
    // Entries as the previous release wrote them: ids as text, hashes as bytes.
    const chains = new Map<string, string[]>();
    for (const [projectId, runId] of [
      [project, run],
      ["p", "r"],
      [project, run.toUpperCase()],
    ] as const) {
      const hashes = chains.get(projectId) ?? [];
      chains.set(projectId, hashes);
      for (let n = 0; n < 3; n++) {
        const seq = hashes.length + 1;
        const isEvent = projectId === project && seq === 1;
        const body = isEvent ? eventBody : canonicalJson({ seq });
        const entry = {
          projectId,
          seq,
          time: 1_000 + seq,
          actor: isEvent ? `sdk:${key}` : n === 1 ? `user:${run}` : "user:u",
          action: isEvent ? "step.completed" : "policy.updated",
          subject: isEvent ? `event:${eventId}` : `policy:wf/s${seq}`,
          runId: n === 2 ? null : runId,
          payloadHash: sha256Hex(body),
        };
        const hash = entryHash(hashes.at(-1) ?? GENESIS_HASH, entry);
        hashes.push(hash);
        await c.execute({
          sql: "INSERT INTO audit_log (project_id, seq, time, actor, action, subject, run_id, payload_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, unhex(?), unhex(?))",
          args: [projectId, seq, entry.time, entry.actor, entry.action, entry.subject, entry.runId, entry.payloadHash, hash],
        });
        if (!isEvent) await c.execute({ sql: "INSERT INTO audit_payloads (project_id, seq, body) VALUES (?, ?, ?)", args: [projectId, seq, body] });
      }
    }

    await migrate(store.db, { migrationsFolder: migrationsBefore("0032_project_keys") });

    const kinds = await c.execute("SELECT typeof(project_id), typeof(run_id), count(*) FROM audit_log GROUP BY 1, 2 ORDER BY 1, 2");
    expect(kinds.rows.map((r) => [String(r[0]), String(r[1]), Number(r[2])])).toEqual([
      // The UUID project: three entries with a canonical run id, two with an upper-case one (kept as text), one without.
      ["blob", "blob", 2],
      ["blob", "null", 2],
      ["blob", "text", 2],
      ["text", "null", 1],
      ["text", "text", 2],
    ]);
    const payloadKinds = await c.execute("SELECT typeof(project_id), count(*) FROM audit_payloads GROUP BY 1 ORDER BY 1");
    expect(payloadKinds.rows.map((r) => [String(r[0]), Number(r[1])])).toEqual([
      ["blob", 5],
      ["text", 3],
    ]);
    const runIds = await c.execute({ sql: "SELECT run_id FROM audit_log WHERE project_id = ? ORDER BY seq", args: [storedId(project)] });
    expect(runIds.rows.map((r) => idFromStoredOrNull(r[0]))).toEqual([run, run, null, run.toUpperCase(), run.toUpperCase(), null]);
    // Actors and subjects that reference a UUID are bytes too (a kind byte and 16), the rest text.
    const refs = await c.execute({
      sql: "SELECT actor, subject, typeof(actor), typeof(subject) FROM audit_log WHERE project_id = ? ORDER BY seq",
      args: [storedId(project)],
    });
    expect(refs.rows.slice(0, 3).map((r) => [refFromStored(r[0]), refFromStored(r[1]), String(r[2]), String(r[3])])).toEqual([
      [`sdk:${key}`, `event:${eventId}`, "blob", "blob"],
      [`user:${run}`, "policy:wf/s2", "blob", "text"],
      ["user:u", "policy:wf/s3", "text", "text"],
    ]);
    await expect(c.execute({ sql: "DELETE FROM audit_log WHERE project_id = ?", args: [storedId(project)] })).rejects.toThrow(/append-only/);
    expect((await c.execute("SELECT name FROM sqlite_schema WHERE name LIKE '__new%'")).rows).toEqual([]);

    // Each chain verifies as it did (the event entry against the event's body, the rest against
    // their payloads), and grows from its head, once the store is migrated the whole way.
    await migrateStore(store);
    await expectChainsVerifyAndGrow(store, chains, run);
  });

  it("converts each id by the same rule as the code that binds and joins them", () => {
    const migration = readFileSync(join(migrationsFolder, "0030_audit_log_ids.sql"), "utf8");
    for (const column of ["project_id", "run_id"]) expect(migration).toContain(storedIdSql(`\`${column}\``));
    for (const column of ["actor", "subject"]) expect(migration).toContain(storedRefSql(`\`${column}\``));
  });
});

describe("migrating steps to ids stored as bytes", () => {
  it("keeps every row and value, stores UUIDs as their bytes and other ids as text, and keeps the keys", async () => {
    const store = await freshStore();
    await migrate(store.db, { migrationsFolder: migrationsBefore("0031_steps_ids") });
    const c = store.client;
    const project = uuidv7();
    const run = uuidv7();
    const rows: Array<[string, string, string, string | null]> = [
      [project, uuidv7(), run, null],
      [project, uuidv7(), run, uuidv7()],
      [project, uuidv7().toUpperCase(), run, null],
      ["p", "s1", "r", null],
    ];
    for (const [p, id, r, escalation] of rows) {
      await c.execute({
        sql: `INSERT INTO steps (project_id, id, run_id, name, status, confidence, source, stale, attempts, escalation_id, duration_ms, started_at, ended_at, event_seq)
              VALUES (?, ?, ?, 'extract', 'completed', 0.75, 'direct', 0, 1, ?, 5, 10, 20, 7)`,
        args: [p, id, r, escalation],
      });
    }

    await migrate(store.db, { migrationsFolder: migrationsBefore("0032_project_keys") });

    const after = await c.execute("SELECT project_id, id, run_id, escalation_id, confidence, event_seq, typeof(id) FROM steps ORDER BY rowid");
    expect(after.rows.map((r) => [idFromStored(r[0]), idFromStored(r[1]), idFromStored(r[2]), r[3], Number(r[4]), Number(r[5]), String(r[6])])).toEqual(
      rows.map(([p, id, r, escalation]) => [p, id, r, escalation, 0.75, 7, storedId(id) instanceof Uint8Array ? "blob" : "text"]),
    );
    // The run index and the key, by the stored form of the ids.
    const byRun = await c.execute({ sql: "SELECT count(*) FROM steps WHERE project_id = ? AND run_id = ?", args: [storedId(project), storedId(run)] });
    expect(Number(byRun.rows[0]![0])).toBe(3);
    const plan = await c.execute({
      sql: "EXPLAIN QUERY PLAN SELECT id FROM steps WHERE project_id = ? AND run_id = ?",
      args: [storedId(project), storedId(run)],
    });
    expect(plan.rows.map((r) => String(r.detail)).join("\n")).toContain("steps_run_idx");
    await expect(
      c.execute({
        sql: "INSERT INTO steps (project_id, id, run_id, name, status, source, stale, attempts, duration_ms, started_at, ended_at) VALUES (?, ?, ?, 'x', 'completed', 'direct', 0, 1, 1, 1, 1)",
        args: [storedId(project), storedId(rows[0]![1]), storedId(run)],
      }),
    ).rejects.toThrow(/UNIQUE/);
    expect((await c.execute("SELECT name FROM sqlite_schema WHERE name LIKE '__new%'")).rows).toEqual([]);
  });

  it("converts each id by the same rule as the code that binds and joins them", () => {
    const migration = readFileSync(join(migrationsFolder, "0031_steps_ids.sql"), "utf8");
    for (const column of ["project_id", "id", "run_id"]) expect(migration).toContain(storedIdSql(`\`${column}\``));
  });
});

describe("migrating the keyed tables to project keys", () => {
  it("gives every project a key, the system chain 0, keeps every row under its project, and refuses to change a key", async () => {
    const store = await freshStore();
    await migrate(store.db, { migrationsFolder: migrationsBefore("0032_project_keys") });
    const c = store.client;
    // Two projects, the later-named one created first; a third id ("p", no projects row) that
    // only the tables hold, as a test's or an early release's would.
    const first = uuidv7();
    const second = uuidv7();
    await c.execute({ sql: "INSERT INTO projects (id, name, created_at) VALUES (?, 'second', 2), (?, 'first', 1)", args: [second, first] });
    const run = uuidv7();
    const events: Array<[string, string]> = [
      [second, uuidv7()],
      [first, uuidv7()],
      ["p", "e1"],
      [second, uuidv7()],
      [first, uuidv7()],
    ];
    for (const [projectId, id] of events) {
      await c.execute({
        sql: "INSERT INTO events (project_id, id, type, run_id, time, received_at, body) VALUES (?, ?, 'step.completed', ?, 1, 2, '{}')",
        args: [storedId(projectId), storedId(id), storedId(run)],
      });
    }
    // Retention deleted the newest event: its seq must still never be handed out again.
    await c.execute("DELETE FROM events WHERE seq = 5");
    const stepIds = [uuidv7(), uuidv7()];
    for (const [projectId, id] of [
      [second, stepIds[0]!],
      ["p", stepIds[1]!],
    ]) {
      await c.execute({
        sql: `INSERT INTO steps (project_id, id, run_id, name, status, source, stale, attempts, duration_ms, started_at, ended_at, event_seq)
              VALUES (?, ?, ?, 'extract', 'completed', 'direct', 0, 1, 5, 10, 20, 1)`,
        args: [storedId(projectId!), storedId(id!), storedId(run)],
      });
    }
    // Chains as 0030 left them: the second project's and the system chain.
    const chains = new Map<string, string[]>();
    for (const projectId of [second, SYSTEM_CHAIN, second]) {
      const hashes = chains.get(projectId) ?? [];
      chains.set(projectId, hashes);
      const seq = hashes.length + 1;
      const body = canonicalJson({ seq });
      const entry = {
        projectId,
        seq,
        time: 1_000 + seq,
        actor: "user:u",
        action: "policy.updated",
        subject: `policy:wf/s${seq}`,
        runId: run,
        payloadHash: sha256Hex(body),
      };
      const hash = entryHash(hashes.at(-1) ?? GENESIS_HASH, entry);
      hashes.push(hash);
      await c.execute({
        sql: "INSERT INTO audit_log (project_id, seq, time, actor, action, subject, run_id, payload_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, unhex(?), unhex(?))",
        args: [storedId(projectId), seq, entry.time, entry.actor, entry.action, entry.subject, storedId(run), entry.payloadHash, hash],
      });
      await c.execute({ sql: "INSERT INTO audit_payloads (project_id, seq, body) VALUES (?, ?, ?)", args: [storedId(projectId), seq, body] });
    }
    // Someone's edit: an entry under the second project's id as text, which the store never
    // writes (it reads as `'<id>'`). It stays apart from the project's chain, as it read before.
    await c.execute({
      sql: "INSERT INTO audit_log (project_id, seq, time, actor, action, subject, run_id, payload_hash, hash) VALUES (?, 1, 1, 'user:u', 'x', 'x', NULL, zeroblob(32), zeroblob(32))",
      args: [second],
    });

    await migrateStore(store);

    const keys = await c.execute("SELECT project_key, project_id FROM project_keys ORDER BY project_key");
    expect(keys.rows.map((r) => [Number(r[0]), String(r[1])])).toEqual([
      [0, SYSTEM_CHAIN],
      [1, first],
      [2, second],
      [3, `'${second}'`],
      [4, "p"],
    ]);
    for (const table of ["events", "steps", "audit_log", "audit_payloads"]) {
      const columns = (await c.execute(`SELECT name FROM pragma_table_info('${table}')`)).rows.map((r) => String(r.name));
      expect(columns, table).toContain("project_key");
      expect(columns, table).not.toContain("project_id");
    }
    const after = await c.execute(`SELECT seq, ${projectIdSql("e.project_key")}, id, typeof(project_key) FROM events e ORDER BY seq`);
    expect(after.rows.map((r) => [Number(r[0]), String(r[1]), idFromStored(r[2]), String(r[3])])).toEqual(
      events.slice(0, 4).map(([projectId, id], i) => [i + 1, projectId, id, "integer"]),
    );
    const steps = await c.execute(`SELECT ${projectIdSql("s.project_key")}, id FROM steps s ORDER BY rowid`);
    expect(steps.rows.map((r) => [String(r[0]), idFromStored(r[1])])).toEqual([
      [second, stepIds[0]],
      ["p", stepIds[1]],
    ]);
    // Read through the run index by the key the statement looks up.
    const plan = await c.execute({
      sql: `EXPLAIN QUERY PLAN SELECT id FROM steps WHERE project_key = ${PROJECT_KEY} AND run_id = ?`,
      args: [second, storedId(run)],
    });
    expect(plan.rows.map((r) => String(r.detail)).join("\n")).toContain("steps_run_idx (project_key=? AND run_id=?)");
    // The sequence is carried over: no seq is handed out twice.
    const next = await c.execute({
      sql: "INSERT INTO events (project_key, id, type, time, received_at, body) VALUES (1, ?, 'x', 1, 2, '{}') RETURNING seq",
      args: [storedId(uuidv7())],
    });
    expect(Number(next.rows[0]![0])).toBe(6);
    // Keys are permanent; a new project takes the next one.
    await expect(c.execute("UPDATE project_keys SET project_key = 9 WHERE project_key = 1")).rejects.toThrow(/permanent/);
    await expect(c.execute("DELETE FROM project_keys WHERE project_key = 3")).rejects.toThrow(/permanent/);
    expect(await ensureProjectKey(c, first)).toBe(1);
    expect(await ensureProjectKey(c, "new")).toBe(5);
    await expect(c.execute("DELETE FROM audit_log WHERE project_key = 2")).rejects.toThrow(/append-only/);
    expect((await c.execute("SELECT name FROM sqlite_schema WHERE name LIKE '__new%'")).rows).toEqual([]);

    // Both chains verify as they did, payloads included, and grow from their heads.
    await expectChainsVerifyAndGrow(store, chains, null);
  });

  it("reads each stored id by the same rule as the code that reads them", () => {
    const migration = readFileSync(join(migrationsFolder, "0032_project_keys.sql"), "utf8");
    expect(migration).toContain(idTextSql("`project_id`"));
    for (const table of ["events", "audit_log", "audit_payloads", "steps"]) expect(migration).toContain(idTextSql(`\`${table}\`.\`project_id\``));
  });
});

describe("migrating runs to project keys", () => {
  it("keeps every run under its project's key, gives a project only runs name the next key, and reads through the same indexes", async () => {
    const store = await freshStore();
    await migrate(store.db, { migrationsFolder: migrationsBefore("0033_runs_project_keys") });
    const c = store.client;
    const project = uuidv7();
    await c.execute({ sql: "INSERT INTO projects (id, name, created_at) VALUES (?, 'acme', 1)", args: [project] });
    const known = await ensureProjectKey(c, project);
    const rows: Array<[string, string, string | null]> = [
      [project, uuidv7(), "k1"],
      [project, uuidv7(), null],
      ["q", "r1", "k1"],
    ];
    for (const [projectId, id, key] of rows) {
      await c.execute({
        sql: `INSERT INTO runs (project_id, id, workflow_id, workflow, version, key, status, started_at, ended_at, updated_at, payloads_purged_at)
              VALUES (?, ?, 'w', 'claims', '3', ?, 'completed', 10, 20, 30, NULL)`,
        args: [projectId, id, key],
      });
    }

    await migrateStore(store);

    const columns = (await c.execute("SELECT name FROM pragma_table_info('runs')")).rows.map((r) => String(r.name));
    expect(columns[0]).toBe("project_key");
    expect(columns).not.toContain("project_id");
    const after = await c.execute(`SELECT ${projectIdSql("r.project_key")}, id, key, typeof(project_key) FROM runs r ORDER BY rowid`);
    expect(after.rows.map((r) => [String(r[0]), String(r[1]), r[2], String(r[3])])).toEqual(rows.map(([p, id, key]) => [p, id, key, "integer"]));
    expect(await ensureProjectKey(c, project)).toBe(known);
    expect(await ensureProjectKey(c, "q")).toBe(known + 1);
    // Each index the reads use, by the key the statement looks up.
    for (const [sql, index] of [
      [`SELECT id FROM runs WHERE project_key = ${PROJECT_KEY} AND id = 'x'`, "sqlite_autoindex_runs_1"],
      [
        `SELECT id FROM runs WHERE project_key = ${PROJECT_KEY} AND started_at >= 0 AND started_at < 99 ORDER BY started_at DESC, id DESC`,
        "runs_project_started_idx",
      ],
      [`SELECT id FROM runs WHERE project_key = ${PROJECT_KEY} AND workflow_id = 'w' AND key = 'k1'`, "runs_key_idx"],
      [
        `SELECT id FROM runs WHERE project_key = ${PROJECT_KEY} AND workflow_id = 'w' AND ended_at < 99 AND payloads_purged_at IS NULL AND status IN ('completed', 'failed')`,
        "runs_unpurged_idx",
      ],
    ] as const) {
      const plan = await c.execute({ sql: `EXPLAIN QUERY PLAN ${sql}`, args: [project] });
      expect(plan.rows.map((r) => String(r.detail)).join("\n"), sql).toContain(`${index} (project_key=?`);
    }
    expect((await c.execute("SELECT name FROM sqlite_schema WHERE name LIKE '__new%'")).rows).toEqual([]);
  });
});

describe("a store a newer release migrated", () => {
  it("is refused at start, naming why, instead of being read and written in a format this release does not know", async () => {
    const store = await freshStore();
    await migrateStore(store);
    // Migrating again is a no-op.
    await migrateStore(store);
    const last = Number((await store.client.execute("SELECT max(created_at) FROM __drizzle_migrations")).rows[0]![0]);
    await store.client.execute({ sql: "INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('from-a-newer-release', ?)", args: [last + 86_400_000] });
    const err = await migrateStore(store).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreFromNewerReleaseError);
    expect(String((err as Error).message)).toMatch(/migrated by a newer Seamtrace .* run that release or a newer one/);
  });
});
