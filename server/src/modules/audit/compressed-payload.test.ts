import type { StepEvent } from "@seamtrace/sdk";
import { deflateRawSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { completedRun, postEvents } from "../../../test-support/events-fixtures.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { verifyAudit } from "./verify.js";
import { idFromStored, storedId, storedRef } from "../../platform/db/stored-id.js";

let ctx: TestContext;
let key: string;
let projectId: string;

beforeEach(async () => {
  ctx = await createTestContext();
  ({ key, projectId } = await ctx.newProject());
});
afterEach(() => ctx.close());

const verified = () => verifyAudit(ctx.store.db, projectId, ctx.deps.auditSigner.publicKey);

/** A run whose extract step carries a body large enough to be stored compressed; its event id and audit entry. */
async function runWithLargeStep(): Promise<{ eventId: string; entry: number; event: StepEvent }> {
  const run = completedRun();
  const extract = run.events[1] as StepEvent;
  extract.input = { note: "water damage in the kitchen ".repeat(128) };
  expect((await postEvents(ctx, key, { events: run.events })).status).toBe(200);
  await ctx.deps.projector.sync();
  const stored = await ctx.store.client.execute({
    sql: "SELECT typeof(body) FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND id = ?",
    args: [projectId, storedId(extract.id)],
  });
  expect(stored.rows[0]![0]).toBe("blob");
  const rs = await ctx.store.client.execute({
    sql: "SELECT seq FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND subject = ?",
    args: [projectId, storedRef(`event:${extract.id}`)],
  });
  return { eventId: extract.id, entry: Number(rs.rows[0]![0]), event: extract };
}

async function replaceBody(eventId: string, bytes: Uint8Array): Promise<void> {
  await ctx.store.client.execute({
    sql: "UPDATE events SET body = ? WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND id = ?",
    args: [bytes, projectId, storedId(eventId)],
  });
}

describe("audit verification of compressed event bodies", () => {
  it("verifies a compressed body against the hash of its JSON text", async () => {
    await runWithLargeStep();
    const report = await verified();
    expect(report).toMatchObject({ ok: true, firstBad: null });
    expect(report.payloads.checked).toBeGreaterThan(0);
  });

  it("reports a compressed body edited and compressed again at its own entry", async () => {
    const { eventId, entry, event } = await runWithLargeStep();
    await replaceBody(eventId, deflateRawSync(JSON.stringify({ ...event, confidence: 0.99 })));
    expect((await verified()).firstBad).toMatchObject({ seq: entry, reason: expect.stringMatching(/payload of entry \d+ does not match/) });
    // The export marks it rather than serving it as the record.
    const exported = await ctx.app.request(`/v1/audit/export?runId=${event.runId}&from=${new Date(Date.now() - 3_600_000).toISOString()}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const rows = (await exported.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: number; payloadIntact: boolean | null });
    expect(rows.find((r) => r.seq === entry)).toMatchObject({ payloadIntact: false });
  });

  it("reports compressed bytes that no longer decompress as an edit, without failing the verification", async () => {
    const { eventId, entry } = await runWithLargeStep();
    await replaceBody(eventId, new Uint8Array([0xff, 0x00, 0x13, 0x37, 0xde, 0xad]));
    const report = await verified();
    expect(report.ok).toBe(false);
    expect(report.firstBad).toMatchObject({ seq: entry, reason: expect.stringMatching(/does not match/) });
    // The run detail still answers; the damaged step just shows no payloads.
    const detail = await ctx.app.request(
      `/v1/runs/${idFromStored((await ctx.store.client.execute({ sql: "SELECT run_id FROM events WHERE id = ?", args: [storedId(eventId)] })).rows[0]![0])}`,
      {
        headers: { authorization: `Bearer ${key}` },
      },
    );
    expect(detail.status).toBe(200);
  });
});
