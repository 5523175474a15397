import { uuidv7, type SeamtraceEvent } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckpointSigner, sha256Hex } from "../audit/chain.js";
import { runStarted, stepEvent } from "../../../test-support/events-fixtures.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { readEntries } from "../audit/store.js";
import { verifyAudit } from "../audit/verify.js";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { commitIngestBatches, type IngestBatch } from "./store.js";
import { storeUnavailable } from "../../platform/http/store-errors.js";
import { isTransientStoreError } from "../../platform/db/store-errors.js";
import { fromStoredText } from "../../platform/db/stored-text.js";
import { idFromStored, idFromStoredOrNull } from "../../platform/db/stored-id.js";
import { PROJECT_KEY } from "../../platform/db/project-key.js";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

async function eventRows(projectId: string) {
  const rs = await ctx.store.client.execute({
    sql: `SELECT id, type, run_id, time, received_at, body, project_key, typeof(id) FROM events WHERE project_key = ${PROJECT_KEY} ORDER BY seq`,
    args: [projectId],
  });
  return rs.rows.map((r) => ({
    id: idFromStored(r[0]),
    type: r[1],
    runId: idFromStoredOrNull(r[2]),
    time: r[3],
    receivedAt: r[4],
    body: fromStoredText(r[5]),
    // The project as its key in the store, UUIDs as their 16 bytes.
    stored: [r[6], r[7]],
  }));
}

async function entries(projectId: string) {
  const out = [];
  for await (const e of readEntries(ctx.store.db, projectId)) out.push(e);
  return out;
}

describe("commitIngestBatches", () => {
  it("stores each event's columns and body, with one audit entry hashing that body, and gate decisions as entries of their own", async () => {
    const { projectId, keyId } = await ctx.newProject();
    const start = runStarted();
    const escalated = stepEvent(start.runId, { gate: { outcome: "escalate", kinds: ["confidence"], minConfidence: 0.95 }, input: { note: 'é😀 "quoted"' } });
    const passed = stepEvent(start.runId, { gate: { outcome: "pass", kinds: [] } });
    const dropped: SeamtraceEvent = {
      id: uuidv7(),
      type: "sdk.dropped",
      time: "1969-12-31T23:59:59.999+00:00",
      reason: "buffer_full",
      count: 1,
      from: start.time,
      to: start.time,
    };
    const events = [start, escalated, passed, dropped];

    const [outcome] = await commitIngestBatches(ctx.store.client, [{ projectId, keyId, receivedAt: 1_750_000_000_123, events }]);
    expect(outcome).toEqual(["accepted", "accepted", "accepted", "accepted"]);

    // A small integer, one of this store's (project-key.ts), not the project's 16 bytes.
    const projectKey = Number(
      (await ctx.store.client.execute({ sql: "SELECT project_key FROM project_keys WHERE project_id = ?", args: [projectId] })).rows[0]![0],
    );
    expect(projectKey).toBeGreaterThan(0);
    expect(projectKey).toBeLessThan(128);
    const rows = await eventRows(projectId);
    expect(rows).toEqual(
      events.map((e) => ({
        id: e.id,
        type: e.type,
        runId: "runId" in e ? e.runId : null,
        time: Date.parse(e.time),
        receivedAt: 1_750_000_000_123,
        body: expect.any(String),
        stored: [projectKey, "blob"],
      })),
    );
    expect(rows.map((r) => JSON.parse(r.body) as unknown)).toEqual(events);
    expect(rows[3]!.time).toBe(-1);

    const trail = await entries(projectId);
    const eventEntries = trail.filter((e) => e.subject.startsWith("event:"));
    expect(eventEntries.map((e) => [e.action, e.subject, e.actor, e.runId, e.time, e.payloadHash])).toEqual(
      rows.map((r) => [r.type, `event:${String(r.id)}`, `sdk:${keyId}`, r.runId, 1_750_000_000_123, sha256Hex(r.body)]),
    );
    // The gate entry follows its step's entry and carries the same payload hash.
    const at = trail.findIndex((e) => e.subject === `event:${escalated.id}`);
    expect(trail[at + 1]).toMatchObject({ action: "gate.escalate", subject: `step:${escalated.stepId}`, payloadHash: trail[at]!.payloadHash });
    expect(trail.filter((e) => e.action.startsWith("gate."))).toHaveLength(1);
    // The project's first entry is its creation; the chain holds together.
    expect(trail.map((e) => e.seq)).toEqual(trail.map((_, i) => i + 1));
    const report = await verifyAudit(ctx.store.db, projectId, new CheckpointSigner(ctx.config.secret).publicKey);
    expect(report).toMatchObject({ ok: true, entries: trail.length });
  });

  it("stores an id once whether it repeats within a batch, across merged batches, or is already in the log, and audits only what it stored", async () => {
    const a = await ctx.newProject();
    const b = await ctx.newProject();
    const old = runStarted();
    await commitIngestBatches(ctx.store.client, [{ projectId: a.projectId, keyId: a.keyId, receivedAt: 1, events: [old] }]);
    const entriesBefore = (await entries(a.projectId)).length;

    const fresh = [runStarted(), runStarted(), runStarted()];
    const batches: IngestBatch[] = [
      { projectId: a.projectId, keyId: a.keyId, receivedAt: 2, events: [fresh[0]!, old, fresh[0]!, fresh[1]!] },
      { projectId: a.projectId, keyId: a.keyId, receivedAt: 3, events: [fresh[1]!, fresh[2]!] },
      // The same ids in another project are other events.
      { projectId: b.projectId, keyId: b.keyId, receivedAt: 4, events: [fresh[0]!, old] },
    ];
    const outcomes = await commitIngestBatches(ctx.store.client, batches);
    expect(outcomes).toEqual([
      ["accepted", "duplicate", "duplicate", "accepted"],
      ["duplicate", "accepted"],
      ["accepted", "accepted"],
    ]);
    expect((await eventRows(a.projectId)).map((r) => r.id)).toEqual([old.id, fresh[0]!.id, fresh[1]!.id, fresh[2]!.id]);
    expect((await eventRows(b.projectId)).map((r) => r.id)).toEqual([fresh[0]!.id, old.id]);
    const trail = await entries(a.projectId);
    expect(trail.slice(entriesBefore).map((e) => e.subject)).toEqual(fresh.map((e) => `event:${e.id}`));

    // All duplicates: nothing stored, nothing audited.
    expect(await commitIngestBatches(ctx.store.client, [{ projectId: a.projectId, keyId: a.keyId, receivedAt: 5, events: [old, fresh[2]!] }])).toEqual([
      ["duplicate", "duplicate"],
    ]);
    expect(await entries(a.projectId)).toHaveLength(trail.length);
  });
});

describe("commitIngestBatches: conflicts", () => {
  it("settles every repeat against what stands in the log, whether stored before, now, or by another batch of the group", async () => {
    const { projectId, keyId } = await ctx.newProject();
    const old = runStarted();
    await commitIngestBatches(ctx.store.client, [{ projectId, keyId, receivedAt: 1, events: [old] }]);
    const entriesBefore = (await entries(projectId)).length;
    const fresh = runStarted();
    const changedOld = { ...old, key: "rewritten" };
    const changedFresh = { ...fresh, input: "other" };
    const outcomes = await commitIngestBatches(ctx.store.client, [
      // The stored version of `old` stands against a first copy that differs and a repeat that matches the first copy.
      { projectId, keyId, receivedAt: 2, events: [changedOld, fresh, changedOld] },
      { projectId, keyId, receivedAt: 3, events: [changedFresh, old, fresh] },
    ]);
    expect(outcomes).toEqual([
      ["conflict", "accepted", "conflict"],
      ["conflict", "duplicate", "duplicate"],
    ]);
    expect((await eventRows(projectId)).map((r) => JSON.parse(r.body) as unknown)).toEqual([old, fresh]);
    expect((await entries(projectId)).length - entriesBefore).toBe(1);
  });
});

describe("isTransientStoreError", () => {
  it("sees a busy or full store behind drizzle's wrapper (DrizzleQueryError's cause), and nothing else", () => {
    const busy = Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
    const full = Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    expect(isTransientStoreError(new DrizzleQueryError("insert into alert_rules …", [], busy))).toBe(true);
    expect(isTransientStoreError(new DrizzleQueryError("insert into alert_rules …", [], full))).toBe(true);
    const constraint = Object.assign(new Error("UNIQUE constraint failed"), { code: "SQLITE_CONSTRAINT" });
    expect(isTransientStoreError(new DrizzleQueryError("insert …", [], constraint))).toBe(false);
    expect(isTransientStoreError(new Error("plain"))).toBe(false);
    expect(isTransientStoreError(null)).toBe(false);
  });
});

describe("storeUnavailable", () => {
  it("names a full disk storage_full with a longer Retry-After, and anything else transient unavailable", () => {
    const full = new DrizzleQueryError("insert …", [], Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" }));
    expect(storeUnavailable(full, "busy", 1)).toMatchObject({ status: 503, code: "storage_full", headers: { "Retry-After": "30" } });
    const busy = Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
    expect(storeUnavailable(busy, "busy", 1)).toMatchObject({ status: 503, code: "unavailable", message: "busy", headers: { "Retry-After": "1" } });
  });
});
