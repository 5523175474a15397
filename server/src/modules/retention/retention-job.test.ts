import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { VerifyReport } from "../audit/report.js";
import { completedRun, postEvents } from "../../../test-support/events-fixtures.js";
import { call, escalatedRun, postBatches } from "../../../test-support/review-fixtures.js";
import { verifyAudit } from "../audit/verify.js";
import { proveInclusion } from "../audit/proofs.js";
import { runCheckpointJob } from "../audit/checkpoint-job.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { FINAL_GRACE_MS, runRetentionJob } from "./retention-job.js";
import { fromStoredText } from "../../platform/db/stored-text.js";
import type { StepEvent } from "@seamtrace/sdk";
import { idFromStored, storedId } from "../../platform/db/stored-id.js";

const DAY = 86_400_000;
let ctx: TestContext;
let key: string;
let projectId: string;
let admin: { cookie: string };

beforeEach(async () => {
  ctx = await createTestContext();
  ({ key, projectId } = await ctx.newProject());
  admin = await ctx.newUser(projectId, "admin");
});
afterEach(() => ctx.close());

/** The fixture runs end on 2025-01-15; the job runs at `daysLater` after that. */
const job = (daysLater: number) => runRetentionJob({ store: ctx.store, config: ctx.config, now: () => Date.UTC(2025, 0, 15, 9, 30) + daysLater * DAY });

async function runDetail(runId: string) {
  return call<{
    run: { input: unknown; output: unknown };
    steps: Array<{ name: string; input: unknown; output: unknown; confidence: number; reasoning: unknown; alternatives: unknown }>;
  }>(ctx, "GET", `/v1/runs/${runId}`, { key });
}

async function eventBodies(runId: string): Promise<Array<Record<string, unknown>>> {
  const rs = await ctx.store.client.execute({
    sql: "SELECT body FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND run_id = ? ORDER BY seq",
    args: [projectId, storedId(runId)],
  });
  return rs.rows.map((r) => JSON.parse(fromStoredText(r[0])) as Record<string, unknown>);
}

async function verified(): Promise<VerifyReport> {
  return verifyAudit(ctx.store.db, projectId, ctx.deps.auditSigner.publicKey);
}

describe("retention", () => {
  it("keeps everything under the default (full) policy", async () => {
    const run = completedRun();
    await postEvents(ctx, key, { events: run.events });
    await ctx.deps.projector.sync();
    expect(await job(10_000)).toMatchObject({ rowsRead: 0 });
    expect((await runDetail(run.runId)).body.steps.map((s) => s.input)).not.toContain(null);
  });

  it("reduces ended runs to final outputs and scores under `final`, audits it, and the chain still verifies", async () => {
    expect((await call(ctx, "PUT", "/v1/retention/claims", admin, { mode: "final" })).status).toBe(200);
    const run = completedRun();
    await postEvents(ctx, key, { events: run.events });
    await ctx.deps.projector.sync();
    const before = await runDetail(run.runId);

    // Within the grace period after the run ended, nothing happens yet.
    expect((await runRetentionJob({ store: ctx.store, config: ctx.config, now: () => Date.UTC(2025, 0, 15, 9, 30) + FINAL_GRACE_MS / 2 })).rowsRead).toBe(0);
    expect(await job(1)).toMatchObject({ final: { runs: 1, steps: 3 } });

    const after = (await runDetail(run.runId)).body;
    const byName = Object.fromEntries(after.steps.map((s) => [s.name, s]));
    // extract feeds classify and match-policy: intermediate. The other two are final outputs.
    expect(byName.extract).toMatchObject({ input: null, output: null, reasoning: null, alternatives: null, confidence: 0.92 });
    expect(byName.classify).toMatchObject({ input: null, output: "water", confidence: 0.8 });
    expect(byName["match-policy"]).toMatchObject({ input: null, output: { holder: "A. Jones" } });
    expect(after.run).toMatchObject({ input: null, output: before.body.run.output });

    const bodies = await eventBodies(run.runId);
    const extract = bodies.find((b) => b.step === "extract")!;
    expect(extract).not.toHaveProperty("input");
    expect(extract).not.toHaveProperty("output");
    expect(extract).toMatchObject({ confidence: 0.92, stepId: run.stepIds[0] });
    expect(bodies.find((b) => b.step === "classify")).toMatchObject({ output: "water" });
    expect(bodies.find((b) => b.type === "run.started")).not.toHaveProperty("input");

    const purged = await call<{ items: Array<{ actor: string; subject: string }> }>(
      ctx,
      "GET",
      `/v1/audit?action=retention.purged&runId=${run.runId}&from=2025-01-01&to=2025-03-01`,
      { key },
    );
    expect(purged.body.items).toEqual([expect.objectContaining({ actor: "system:retention", subject: `run:${run.runId}` })]);
    expect(await verified()).toMatchObject({ ok: true });
    // Done once: a second pass has nothing to do.
    expect((await job(2)).rowsRead).toBe(0);
  });

  it("removes exactly the configured fields from compressed bodies too, as the run detail then shows", async () => {
    expect((await call(ctx, "PUT", "/v1/retention/claims", admin, { mode: "final" })).status).toBe(200);
    const run = completedRun();
    const [, extract, classify] = run.events as [unknown, StepEvent, StepEvent];
    const long = (tag: string) => `${tag} `.repeat(1024);
    extract.input = { note: long("extract input") };
    extract.reasoning = long("extract reasoning");
    classify.input = { note: long("classify input") };
    classify.output = long("classify output");
    await postEvents(ctx, key, { events: run.events });
    await ctx.deps.projector.sync();
    const storage = async () =>
      (
        await ctx.store.client.execute({
          sql: "SELECT id, typeof(body) FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND run_id = ? ORDER BY seq",
          args: [projectId, storedId(run.runId)],
        })
      ).rows.map((r): [string, string] => [idFromStored(r[0]), String(r[1])]);
    expect(new Map(await storage()).get(classify.id)).toBe("blob");

    expect(await job(1)).toMatchObject({ final: { runs: 1, steps: 3 } });
    const after = (await runDetail(run.runId)).body;
    const byName = Object.fromEntries(after.steps.map((s) => [s.name, s]));
    expect(byName.extract).toMatchObject({ input: null, output: null, reasoning: null, confidence: 0.92 });
    // classify is a final step: its (compressed) output stays, its input goes.
    expect(byName.classify).toMatchObject({ input: null, output: classify.output, confidence: 0.8 });
    const bodies = await eventBodies(run.runId);
    const reduced = bodies.find((b) => b.step === "classify")!;
    // Exactly the configured fields: everything else of the event is as it was sent.
    const { input: _dropped, ...kept } = classify;
    expect(reduced).toEqual(kept);
    expect(bodies.find((b) => b.step === "extract")).not.toHaveProperty("reasoning");
    // Rewritten bodies are stored compressed again.
    expect(new Map(await storage()).get(classify.id)).toBe("blob");
    expect(new Map(await storage()).get(extract.id)).toBe("blob");
    expect(await verified()).toMatchObject({ ok: true, payloads: expect.objectContaining({ reduced: expect.any(Number) }) });
    expect((await verified()).payloads.reduced).toBeGreaterThanOrEqual(3);
  });

  it("deletes ended runs past the TTL with their steps, events, reviews and audit payloads; the chain still verifies", async () => {
    expect((await call(ctx, "PUT", "/v1/retention/claims", admin, { mode: "full", ttlDays: 30 })).status).toBe(200);
    const old = completedRun();
    await postEvents(ctx, key, { events: old.events });
    const paused = escalatedRun();
    await postBatches(ctx, key, paused.batches);
    const reviewer = await ctx.newUser(projectId, "reviewer");
    // Still under the TTL: kept.
    expect((await job(29)).rowsRead).toBe(0);

    const result = await job(31);
    expect(result.deleted).toMatchObject({ runs: 1, steps: 3, events: old.events.length });
    expect((await runDetail(old.runId)).status).toBe(404);
    expect(await eventBodies(old.runId)).toEqual([]);
    // The paused run is kept until it ends, however old.
    expect((await runDetail(paused.runId)).status).toBe(200);
    expect((await call(ctx, "GET", `/v1/escalations/${paused.escalationId}`, reviewer)).status).toBe(200);
    // The hourly run counts (GET /v1/workflows) lose the deleted run too.
    const hours = await ctx.store.client.execute({ sql: "SELECT coalesce(sum(runs), 0) FROM run_hours WHERE project_id = ?", args: [projectId] });
    expect(Number(hours.rows[0]![0])).toBe(1);

    // The entries about the deleted run remain (hashes only), and the export says their payloads are gone.
    const exported = await ctx.app.request(`/v1/audit/export?runId=${old.runId}&from=2025-01-01&to=2025-12-31`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const rows = (await exported.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { action: string; payload: unknown });
    expect(rows.filter((r) => r.action !== "retention.purged" && r.payload !== null)).toEqual([]);
    expect(rows.at(-1)).toMatchObject({ action: "retention.purged", payload: { mode: "ttl", steps: 3 } });
    expect(await verified()).toMatchObject({ ok: true });
  });

  it("tells a purged event's entries from those of an event later sent again under its id", async () => {
    expect((await call(ctx, "PUT", "/v1/retention/claims", admin, { mode: "full", ttlDays: 30 })).status).toBe(200);
    const old = completedRun();
    ctx.deps.now = () => Date.UTC(2025, 0, 15, 10);
    await postEvents(ctx, key, { events: old.events });
    expect((await job(31)).deleted).toMatchObject({ runs: 1, events: old.events.length });

    // The ids are no longer in the log, so the same ids with other content are new events.
    ctx.deps.now = () => Date.UTC(2025, 1, 20);
    const again = old.events.map((e) => (e.type === "step.completed" ? { ...e, output: { resent: e.stepId } } : e));
    const posted = await postEvents(ctx, key, { events: again });
    expect(posted.body.results.map((r) => r.status)).toEqual(again.map(() => "accepted"));
    // Each entry is checked against its own event: the old ones were purged, the new ones hold.
    expect(await verified()).toMatchObject({ ok: true });
    const exported = await ctx.app.request(`/v1/audit/export?runId=${old.runId}&from=2025-01-01&to=2025-12-31`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const rows = (await exported.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: number; action: string; time: string; payload: unknown; payloadIntact: boolean | null });
    const events = rows.filter((r) => r.action !== "retention.purged");
    expect(events.map((r) => r.payloadIntact)).toEqual([...old.events.map(() => null), ...again.map(() => true)]);
    // So do inclusion proofs: the new event's body is its entry's payload, the purged one's is gone.
    await runCheckpointJob({ store: ctx.store, now: () => Date.UTC(2025, 1, 20), config: ctx.config, signer: ctx.deps.auditSigner }, { minEntries: 1 });
    const leftOut: string[] = [];
    const proof = async (seq: number) => (await proveInclusion(ctx.store.client, projectId, seq, { onPayloadLeftOut: (m) => leftOut.push(m) })).payload;
    expect(await proof(events[1]!.seq)).toBeNull();
    // Not "no longer matches its hash": there is no payload to leave out.
    expect(leftOut).toEqual([]);
    expect(JSON.parse(String(await proof(events[old.events.length + 1]!.seq)))).toMatchObject({ output: { resent: old.stepIds[0] } });

    // A second purge finds each event once, through its own entry.
    expect((await job(31)).deleted).toMatchObject({ runs: 1, events: again.length });
    expect(await eventBodies(old.runId)).toEqual([]);
    expect(await verified()).toMatchObject({ ok: true });
  });

  it("deletes with its run an event whose receipt time was edited, though its entry no longer finds it", async () => {
    expect((await call(ctx, "PUT", "/v1/retention/claims", admin, { mode: "full", ttlDays: 30 })).status).toBe(200);
    const old = completedRun();
    await postEvents(ctx, key, { events: old.events });
    await ctx.store.client.execute({
      sql: "UPDATE events SET received_at = received_at + 1 WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND id = ?",
      args: [projectId, storedId(old.events[1]!.id)],
    });
    expect((await verified()).firstBad).toMatchObject({ reason: expect.stringMatching(/missing, and no retention purge/) });
    // Not left behind, with no entry to check it against.
    expect((await job(31)).deleted).toMatchObject({ runs: 1, events: old.events.length });
    expect(await eventBodies(old.runId)).toEqual([]);
  });

  it("purges events stored before the store audited events, which no audit entry leads to", async () => {
    // A store from the earliest releases: its first events went in without audit entries.
    const legacy = completedRun();
    const [start, ...rest] = legacy.events;
    await ctx.store.client.execute({
      sql: "INSERT INTO events (project_key, id, type, run_id, time, received_at, body) VALUES ((SELECT project_key FROM project_keys WHERE project_id = ?), ?, ?, ?, ?, ?, ?)",
      args: [projectId, storedId(start!.id), start!.type, storedId(legacy.runId), Date.parse(start!.time), Date.parse(start!.time), JSON.stringify(start)],
    });
    await postEvents(ctx, key, { events: rest });
    const kept = completedRun();
    await postEvents(ctx, key, { events: kept.events });
    await ctx.deps.projector.sync();

    expect((await call(ctx, "PUT", "/v1/retention/claims", admin, { mode: "final" })).status).toBe(200);
    await job(2);
    // The run's input was in that first event only: reduced there too.
    expect((await eventBodies(legacy.runId)).find((b) => b.type === "run.started")).not.toHaveProperty("input");

    expect((await call(ctx, "PUT", "/v1/retention/claims", admin, { mode: "full", ttlDays: 30 })).status).toBe(200);
    expect((await job(31)).deleted).toMatchObject({ runs: 2, events: legacy.events.length + kept.events.length });
    expect(await eventBodies(legacy.runId)).toEqual([]);
    expect(await eventBodies(kept.runId)).toEqual([]);
  });

  it("applies the policy to what OTLP kept: metadata, scores and records go with the run", async () => {
    expect((await call(ctx, "PUT", "/v1/retention/claims", admin, { mode: "full", ttlDays: 30 })).status).toBe(200);
    const t0 = BigInt(Date.UTC(2025, 0, 15, 9)) * 1_000_000n;
    const traceId = "6bf92f3577b34da6a3ce929d0e0e4736";
    const span = (spanId: string, parentSpanId: string) => ({
      traceId,
      spanId,
      parentSpanId,
      name: `s-${spanId}`,
      startTimeUnixNano: String(t0),
      endTimeUnixNano: String(t0 + 1_000_000n),
      attributes: [{ key: "claim.id", value: { stringValue: "C-7" } }],
      events: [
        {
          name: "gen_ai.evaluation.result",
          attributes: [
            { key: "gen_ai.evaluation.score.value", value: { doubleValue: 0.5 } },
            { key: "gen_ai.evaluation.explanation", value: { stringValue: "why" } },
          ],
        },
      ],
    });
    const res = await ctx.app.request("/v1/traces", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: "service.name", value: { stringValue: "claims" } }] },
            scopeSpans: [{ spans: [span("00f067aa0ba902b7", ""), span("53995c3f42cd8ad8", "00f067aa0ba902b7")] }],
          },
        ],
      }),
    });
    expect(await res.json()).toEqual({});
    await ctx.deps.projector.sync();
    const count = async (table: string) =>
      Number(
        (
          await ctx.store.client.execute({
            sql: `SELECT count(*) FROM ${table} WHERE project_id = ?`,
            args: [projectId],
          })
        ).rows[0]![0],
      );
    expect([await count("otlp_spans"), await count("step_scores"), await count("otlp_runs")]).toEqual([2, 2, 1]);
    expect(await job(31)).toMatchObject({ deleted: { runs: 1, steps: 2 } });
    expect([await count("otlp_spans"), await count("step_scores"), await count("otlp_runs")]).toEqual([0, 0, 0]);
  });

  it("lets only admins set retention, audits the change, and rejects bad values with 400", async () => {
    const analyst = await ctx.newUser(projectId, "analyst");
    expect((await call(ctx, "PUT", "/v1/retention/claims", analyst, { mode: "final" })).status).toBe(403);
    expect((await call(ctx, "PUT", "/v1/retention/claims", { key }, { mode: "final" })).status).toBe(403);
    for (const body of [{ mode: "forever" }, { mode: "final", ttlDays: 0 }, { mode: "final", ttlDays: 1.5 }, { mode: "final", owner: "x" }]) {
      const res = await call<{ error: { code: string } }>(ctx, "PUT", "/v1/retention/claims", admin, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("invalid_body");
    }
    expect((await call(ctx, "PUT", "/v1/retention/claims", admin, { mode: "final", ttlDays: 90 })).status).toBe(200);
    const list = await call<{ items: Array<{ workflow: string; mode: string; ttlDays: number }> }>(ctx, "GET", "/v1/retention", analyst);
    expect(list.body.items).toEqual([expect.objectContaining({ workflow: "claims", mode: "final", ttlDays: 90 })]);
    const audit = await call<{ items: Array<{ action: string }> }>(ctx, "GET", "/v1/audit?action=retention.updated", analyst);
    expect(audit.body.items).toHaveLength(1);
  });
});
