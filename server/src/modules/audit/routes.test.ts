import type { InValue } from "@libsql/client";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditEntryView, AuditExportRow, AuditListResponse, AuditVerificationList, AuditVerificationView } from "./contract.js";
import { sha256Hex } from "./chain.js";
import { runCheckpointJob } from "./checkpoint-job.js";
import { readAuditHead, recordAudit } from "./store.js";
import { startVerification as startStoredVerification } from "./verifications-store.js";
import { AuditVerifier } from "./verifier.js";
import { silentLogger } from "../../app/logger.js";
import { auditListQuery } from "./query-store.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { completedRun, postEvents } from "../../../test-support/events-fixtures.js";
import { fromStoredText } from "../../platform/db/stored-text.js";
import { call, escalatedRun, postBatches } from "../../../test-support/review-fixtures.js";
import { RUN_PURGES_SQL } from "./payload-check.js";
import { RUN_EVENT_ENTRIES_SQL, RUN_EVENTS_FROM, UNAUDITED_RUN_EVENTS_FROM } from "../retention/store.js";
import { storedId } from "../../platform/db/stored-id.js";

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext({ SEAMTRACE_AUDIT_CHECKPOINT_EVERY: "5" });
});
afterEach(() => ctx.close());

async function startVerification(who: { cookie: string }, prefer?: string) {
  const headers: Record<string, string> = { cookie: who.cookie };
  if (prefer) headers.prefer = prefer;
  const res = await ctx.app.request("/v1/audit/verifications", { method: "POST", headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as AuditVerificationView };
}

/** Polls a verification until it is no longer running. */
async function pollVerification(who: { cookie: string }, id: string): Promise<AuditVerificationView> {
  for (;;) {
    const res = await call<AuditVerificationView>(ctx, "GET", `/v1/audit/verifications/${id}`, who);
    expect(res.status).toBe(200);
    if (res.body.status !== "running") return res.body;
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function entries(who: { key?: string; cookie?: string }, query = ""): Promise<AuditEntryView[]> {
  const res = await call<AuditListResponse>(ctx, "GET", `/v1/audit?limit=500${query}`, who);
  expect(res.status).toBe(200);
  return res.body.items;
}

describe("audit entries", () => {
  it("records every ingested event with the key as actor and the body's hash, and each gate decision", async () => {
    const { key, keyId } = await ctx.newProject();
    const run = escalatedRun();
    await postBatches(ctx, key, run.batches);
    const items = await entries({ key }, `&runId=${run.runId}`);
    // Six events, plus the reserve step's escalation at its gate.
    expect(items.map((e) => e.action).reverse()).toEqual([
      "run.started",
      "step.completed",
      "step.completed",
      "step.completed",
      "step.completed",
      "gate.escalate",
      "run.paused",
    ]);
    expect(new Set(items.map((e) => e.actor))).toEqual(new Set([`sdk:${keyId}`]));
    const gate = items.find((e) => e.action === "gate.escalate")!;
    expect(gate.subject).toBe(`step:${run.reserve.stepId}`);
    const stored = await ctx.store.client.execute({ sql: "SELECT body FROM events WHERE id = ?", args: [storedId(run.reserve.id)] });
    // The hash is of the body's JSON text (this one, with its contract, is stored compressed).
    expect(gate.payloadHash).toBe(sha256Hex(fromStoredText(stored.rows[0]![0])));
  });

  it("writes no entry for a rejected item or a duplicate, so the chain head stays put", async () => {
    const { key, projectId } = await ctx.newProject();
    const run = completedRun();
    await postEvents(ctx, key, { events: run.events });
    const head = await readAuditHead(ctx.store.client, projectId);
    const res = await postEvents(ctx, key, { events: [...run.events, { ...run.events[1], id: "not-a-uuid", confidence: 7 }] });
    expect(res.status).toBe(207);
    expect(await readAuditHead(ctx.store.client, projectId)).toEqual(head);
  });

  it("records a review decision with the reviewer, the reason and the corrected output", async () => {
    const { key, projectId } = await ctx.newProject();
    const reviewer = await ctx.newUser(projectId, "reviewer");
    const run = escalatedRun();
    await postBatches(ctx, key, run.batches);
    expect((await call(ctx, "POST", `/v1/escalations/${run.escalationId}/claim`, reviewer)).status).toBe(200);
    const decided = await call(ctx, "POST", `/v1/escalations/${run.escalationId}/decision`, reviewer, {
      decision: "correct",
      output: { amount: 12_000, currency: "EUR" },
      reason: "policy limit is 12k",
    });
    expect(decided.status).toBe(200);
    const items = await entries({ key }, `&runId=${run.runId}&action=escalation.decided`);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ actor: `user:${reviewer.userId}`, subject: `escalation:${run.escalationId}` });
    const exported = await exportRows({ key }, `&runId=${run.runId}`);
    expect(exported.find((r) => r.action === "escalation.decided")!.payload).toMatchObject({
      decision: "correct",
      reason: "policy limit is 12k",
      correctedOutput: { amount: 12_000, currency: "EUR" },
    });
    expect(exported.map((r) => r.action)).toContain("escalation.claimed");
  });

  it("records policy changes, sign-ins (failed ones too) and sign-outs", async () => {
    const { key, projectId } = await ctx.newProject();
    const admin = await ctx.newUser(projectId, "admin");
    expect((await call(ctx, "PUT", "/v1/policies/claims/steps/reserve", admin, { minConfidence: 0.8, reason: "launch" })).status).toBeLessThan(300);
    const bad = await ctx.app.request("/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: admin.email, password: "wrong password!" }),
    });
    expect(bad.status).toBe(401);
    const good = await ctx.app.request("/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: admin.email, password: admin.password }),
    });
    expect(good.status).toBe(200);
    const actions = (await entries({ key })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["policy.created", "auth.login_failed", "auth.login", "user.created", "key.created", "project.created"]));
    const policy = (await exportRows({ key }, "&action=policy.created"))[0]!;
    expect(policy).toMatchObject({ actor: `user:${admin.userId}`, subject: "policy:claims/reserve" });
    expect(policy.payload).toMatchObject({ before: null, after: { minConfidence: 0.8 }, reason: "launch" });
  });

  it("filters by actor and action and pages newest first with a cursor", async () => {
    const { key, keyId } = await ctx.newProject();
    for (let i = 0; i < 3; i++) await postEvents(ctx, key, { events: completedRun().events });
    const all = await entries({ key }, `&actor=sdk:${keyId}`);
    expect(all).toHaveLength(15);
    const page1 = await call<AuditListResponse>(ctx, "GET", `/v1/audit?actor=sdk:${keyId}&limit=10`, { key });
    const page2 = await call<AuditListResponse>(ctx, "GET", `/v1/audit?actor=sdk:${keyId}&limit=10&cursor=${page1.body.nextCursor}`, { key });
    expect([...page1.body.items, ...page2.body.items].map((e) => e.seq)).toEqual(all.map((e) => e.seq));
    expect(page2.body.nextCursor).toBeNull();
    expect((await entries({ key }, "&action=run.completed")).length).toBe(3);
  });

  it("answers 400 with a JSON error for filters outside their alphabet and windows too wide", async () => {
    const { key } = await ctx.newProject();
    for (const q of ["actor=robert');DROP", "action=Step Completed", "cursor=abc", "from=2020-01-01&to=2025-01-01", "limit=100000"]) {
      const res = await call<{ error: { code: string } }>(ctx, "GET", `/v1/audit?${q}`, { key });
      expect(res.status, q).toBe(400);
      expect(res.body.error.code).toBe("invalid_query");
    }
  });
});

async function exportRows(who: { key?: string; cookie?: string }, query = "", format = "jsonl"): Promise<AuditExportRow[]> {
  const headers: Record<string, string> = who.key ? { authorization: `Bearer ${who.key}` } : { cookie: who.cookie! };
  const res = await ctx.app.request(`/v1/audit/export?format=${format}${query}`, { headers });
  expect(res.status).toBe(200);
  const text = await res.text();
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditExportRow);
}

describe("audit export", () => {
  it("streams JSONL with each event's payload, and audits the export itself", async () => {
    const { key } = await ctx.newProject();
    const run = completedRun();
    await postEvents(ctx, key, { events: run.events });
    const rows = await exportRows({ key }, `&runId=${run.runId}`);
    expect(rows.map((r) => r.payload)).toEqual(run.events);
    expect(rows.map((r) => r.seq)).toEqual([...rows.map((r) => r.seq)].sort((a, b) => a - b));
    expect((await entries({ key }, "&action=audit.exported")).length).toBe(1);
  });

  it("writes CSV whose cells never start a spreadsheet formula", async () => {
    const { key } = await ctx.newProject();
    const run = completedRun();
    run.events[1] = { ...run.events[1]!, step: '=HYPERLINK("http://evil")' } as (typeof run.events)[number];
    await postEvents(ctx, key, { events: run.events });
    const res = await ctx.app.request(`/v1/audit/export?format=csv&runId=${run.runId}`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.headers.get("content-type")).toMatch(/text\/csv/);
    const lines = (await res.text()).trim().split("\r\n");
    expect(lines[0]).toBe("seq,time,actor,action,subject,runId,payloadHash,hash,payload,payloadIntact");
    expect(lines).toHaveLength(1 + run.events.length);
    expect(lines.every((l) => !/(^|,)=/.test(l))).toBe(true);
  });

  it("is refused to reviewers (403) but open to analysts", async () => {
    const { projectId } = await ctx.newProject();
    const reviewer = await ctx.newUser(projectId, "reviewer");
    const analyst = await ctx.newUser(projectId, "analyst");
    expect((await ctx.app.request("/v1/audit/export", { headers: { cookie: reviewer.cookie } })).status).toBe(403);
    expect((await ctx.app.request("/v1/audit/export", { headers: { cookie: analyst.cookie } })).status).toBe(200);
    expect((await call(ctx, "GET", "/v1/audit", reviewer)).status).toBe(200);
  });

  it("never shows one project's entries to another", async () => {
    const a = await ctx.newProject();
    const b = await ctx.newProject();
    const run = completedRun();
    await postEvents(ctx, a.key, { events: run.events });
    expect(await entries({ key: b.key }, `&runId=${run.runId}`)).toEqual([]);
    expect(await exportRows({ key: b.key }, `&runId=${run.runId}`)).toEqual([]);
  });
});

describe("verification and checkpoints", () => {
  it("verifies in the background through the API, and names the first edited entry once someone tampers", async () => {
    const { key, projectId } = await ctx.newProject();
    const analyst = await ctx.newUser(projectId, "analyst");
    for (let i = 0; i < 4; i++) await postEvents(ctx, key, { events: completedRun().events });
    await runCheckpointJob({ store: ctx.store, now: ctx.deps.now, config: ctx.config, signer: ctx.deps.auditSigner });
    const head = (await readAuditHead(ctx.store.client, projectId))!.seq;

    // Answered at once, running; the Location names it and polling it gives the outcome.
    const started = await startVerification(analyst);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ status: "running", upTo: head, checked: 0, report: null, requestedBy: `user:${analyst.userId}` });
    expect(started.headers.get("location")).toBe(`/v1/audit/verifications/${started.body.id}`);
    const ok = await pollVerification(analyst, started.body.id);
    expect(ok).toMatchObject({ status: "passed", checked: head, error: null, report: { ok: true, firstBad: null, entries: head } });
    expect(ok.report!.checkpoints).toBeGreaterThan(0);
    expect(ok.finishedAt).not.toBeNull();
    // Read-only: verifying added nothing to the chain.
    expect((await readAuditHead(ctx.store.client, projectId))!.seq).toBe(head);

    await ctx.store.client.executeMultiple("DROP TRIGGER audit_log_no_update");
    await ctx.store.client.execute({
      sql: "UPDATE audit_log SET actor = 'user:someone-else' WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = 7",
      args: [projectId],
    });
    // Prefer: wait=N answers with the outcome when it comes within N seconds.
    const broken = await startVerification(analyst, "wait=10");
    expect(broken.status).toBe(200);
    expect(broken.headers.get("preference-applied")).toBe("wait=10");
    expect(broken.body).toMatchObject({ status: "broken", report: { ok: false, firstBad: { seq: 7 } } });

    const list = await call<AuditVerificationList>(ctx, "GET", "/v1/audit/verifications?limit=5", analyst);
    expect(list.body.items.map((v) => v.status)).toEqual(["broken", "passed"]);
  });

  it("joins the verification already running for the project instead of starting a second walk", async () => {
    const { projectId } = await ctx.newProject();
    const analyst = await ctx.newUser(projectId, "analyst");
    // As if another instance had started one and is still walking (its heartbeat is fresh).
    const other = await startStoredVerification(ctx.store.client, {
      projectId,
      actor: "user:elsewhere",
      now: ctx.deps.now(),
      staleMs: ctx.deps.verifier.staleMs,
    });
    const joined = await startVerification(analyst, "wait=1");
    expect(joined.status).toBe(202);
    expect(joined.body).toMatchObject({ id: other.row.id, status: "running", requestedBy: "user:elsewhere" });
    const list = await call<AuditVerificationList>(ctx, "GET", "/v1/audit/verifications", analyst);
    expect(list.body.items).toHaveLength(1);
  });

  it("reads a verification whose server went away as abandoned, and starts a new one in its place", async () => {
    const { projectId } = await ctx.newProject();
    const analyst = await ctx.newUser(projectId, "analyst");
    const t0 = Date.now();
    const dead = await startStoredVerification(ctx.store.client, { projectId, actor: "user:gone", now: t0 - 60_000, staleMs: ctx.deps.verifier.staleMs });
    const read = await call<AuditVerificationView>(ctx, "GET", `/v1/audit/verifications/${dead.row.id}`, analyst);
    expect(read.body).toMatchObject({ status: "abandoned", finishedAt: new Date(t0 - 60_000).toISOString() });

    const fresh = await startVerification(analyst, "wait=10");
    expect(fresh.status).toBe(200);
    expect(fresh.body.id).not.toBe(dead.row.id);
    expect(fresh.body.status).toBe("passed");
    const list = await call<AuditVerificationList>(ctx, "GET", "/v1/audit/verifications", analyst);
    expect(list.body.items.map((v) => v.status)).toEqual(["passed", "abandoned"]);
  });

  it("records a verification stopped by a shutdown as failed, saying so, rather than leaving it running", async () => {
    const { projectId } = await ctx.newProject();
    // Many pages of entries, so the walk is still going when the server stops.
    await recordAudit(
      ctx.store.client,
      projectId,
      Array.from({ length: 4_500 }, (_, i) => ({ time: 1_700_000_000_000 + i, actor: "system:test", action: "test.entry", subject: `n:${i}`, payload: { i } })),
    );
    const verifier = new AuditVerifier({ store: ctx.store, now: () => Date.now(), log: silentLogger, publicKey: ctx.deps.auditSigner.publicKey });
    const { verification } = await verifier.start(projectId, "user:me");
    await verifier.close();
    const after = await verifier.get(projectId, verification.id);
    expect(after).toMatchObject({ status: "failed", report: null });
    expect(after!.error).toMatch(/shut down/);
    expect(after!.checked).toBeLessThan(after!.upTo);
  });

  it("writes its progress while it walks a long chain, and covers only the chain as it was when it began", async () => {
    const { projectId } = await ctx.newProject();
    const records = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => ({
        time: 1_700_000_000_000 + from + i,
        actor: "system:test",
        action: "test.entry",
        subject: `n:${from + i}`,
        payload: { i: from + i },
      }));
    await recordAudit(ctx.store.client, projectId, records(6_500, 0));
    const seen: number[] = [];
    const client = ctx.store.client;
    const verifier = new AuditVerifier(
      { store: ctx.store, now: () => Date.now(), log: silentLogger, publicKey: ctx.deps.auditSigner.publicKey },
      { heartbeatMs: 0 },
    );
    const { verification } = await verifier.start(projectId, "user:me");
    // Entries appended after it began are past its upTo.
    await recordAudit(client, projectId, records(100, 6_500));
    for (let v = verification; v.status === "running"; v = (await verifier.get(projectId, v.id))!) {
      seen.push(v.checked);
      await new Promise((r) => setImmediate(r));
    }
    const done = (await verifier.get(projectId, verification.id))!;
    expect(done).toMatchObject({ status: "passed", upTo: verification.upTo, checked: verification.upTo, report: { entries: verification.upTo } });
    // Progress was visible in the store along the way (a page is a few hundred entries).
    expect(seen.some((n) => n > 0 && n < verification.upTo)).toBe(true);
    await verifier.close();
  });

  it("checkpoints every N entries, queues the audit.checkpoint webhook and appends the file export", async () => {
    ctx.close();
    ctx = await createTestContext({ SEAMTRACE_AUDIT_CHECKPOINT_EVERY: "10" });
    const file = join(ctx.dir, "checkpoints.jsonl");
    const config = { ...ctx.config, audit: { ...ctx.config.audit, checkpointFile: file } };
    const { key, projectId } = await ctx.newProject();
    const admin = await ctx.newUser(projectId, "admin");
    expect((await call(ctx, "POST", "/v1/webhooks", admin, { url: "https://hooks.example.test/a", events: ["audit.checkpoint"] })).status).toBe(201);
    const deps = { store: ctx.store, now: ctx.deps.now, config, signer: ctx.deps.auditSigner };
    // The project, its key, the admin and the webhook: four entries, fewer than N. The new
    // project is anchored in the system chain at once all the same.
    expect(await runCheckpointJob(deps, { minEntries: 10 })).toMatchObject({ checkpoints: 0, anchors: 1 });
    await postEvents(ctx, key, { events: [...completedRun().events, ...completedRun().events] });
    expect(await runCheckpointJob(deps, { minEntries: 10, anchor: false })).toMatchObject({ checkpoints: 1, anchors: 0, exported: 1 });
    const lines = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { projectId: string; seq: number; signature: string; rootHash: string });
    const head = await readAuditHead(ctx.store.client, projectId);
    expect(lines.filter((l) => l.projectId === projectId).map((l) => l.seq)).toEqual([head!.seq]);
    expect(lines.map((l) => l.projectId)).toEqual(["_system", projectId]);
    const mine = lines.find((l) => l.projectId === projectId)!;
    expect(mine.rootHash).toMatch(/^[0-9a-f]{64}$/);
    const queued = await ctx.store.client.execute({
      sql: "SELECT payload FROM webhook_deliveries WHERE project_id = ? AND event = 'audit.checkpoint'",
      args: [projectId],
    });
    expect(JSON.parse(String(queued.rows[0]![0])).data).toMatchObject({ seq: head!.seq, signature: mine.signature, rootHash: mine.rootHash });
    // The hourly run anchors the heads that moved since; then nothing new: nothing signed, nothing exported twice.
    expect(await runCheckpointJob(deps, { minEntries: 1 })).toMatchObject({ checkpoints: 0, anchors: 1 });
    expect(await runCheckpointJob(deps, { minEntries: 1 })).toMatchObject({ checkpoints: 0, anchors: 0, exported: 0 });
  });

  it("publishes the checkpoint public key", async () => {
    const { key } = await ctx.newProject();
    const res = await call<{ keyId: string; publicKey: string }>(ctx, "GET", "/v1/audit/public-key", { key });
    expect(res.body).toMatchObject({ keyId: ctx.deps.auditSigner.keyId, publicKey: ctx.deps.auditSigner.publicKeyRaw });
  });
});

describe("audit query plans", () => {
  async function plan(q: { sql: string; args: InValue[] }): Promise<string> {
    const res = await ctx.store.client.execute({ sql: `EXPLAIN QUERY PLAN ${q.sql}`, args: q.args });
    return res.rows.map((r) => String(r["detail"])).join("\n");
  }
  const window = { from: 0, to: Date.now() };

  it("finds a run's purges through the run index during verification, not by walking the project's chain", async () => {
    const text = await plan({ sql: RUN_PURGES_SQL, args: ["p", "r"] });
    expect(text).toContain("SEARCH a USING INDEX audit_log_run_idx (project_key=? AND run_id=?)");
    expect(text).not.toContain("PRIMARY KEY (project_key=?)");
  });

  it("finds a run's event entries through the run index when retention reduces the run, not by walking the project's chain", async () => {
    const text = await plan({ sql: RUN_EVENT_ENTRIES_SQL, args: ["p", "r"] });
    expect(text).toContain("USING INDEX audit_log_run_idx (project_key=? AND run_id=?)");
    expect(text).not.toContain("PRIMARY KEY (project_key=?)");
  });

  it("finds a run's events through its audit entries when retention reduces or deletes the run, not by walking the project's log", async () => {
    const both = `SELECT e.seq ${RUN_EVENTS_FROM} UNION ALL SELECT e.seq ${UNAUDITED_RUN_EVENTS_FROM}`;
    for (const sql of [both, `DELETE FROM events WHERE seq IN (${both})`]) {
      const text = await plan({ sql, args: ["p", "r", 9, 1] });
      expect(text).toContain("USING INDEX audit_log_run_idx (project_key=? AND run_id=?)");
      expect(text).toMatch(/SEARCH e USING (COVERING )?INDEX events_project_id_idx \(project_key=\? AND id=\?/);
      // Events from before the store audited them: the seq range below its first audited event.
      expect(text).toContain("SEARCH e USING INTEGER PRIMARY KEY (rowid<?)");
      expect(text).not.toMatch(/INDEX events_project_id_idx \(project_key=\?\)/);
    }
  });

  it("finds a run's entries through the run index, not by reading every entry in the window", async () => {
    const text = await plan(auditListQuery("p", { runId: "r", window, limit: 200 }));
    expect(text).toContain("SEARCH a USING INDEX audit_log_run_idx (project_key=? AND run_id=?)");
    const paged = await plan(auditListQuery("p", { runId: "r", window, limit: 200, before: { time: 5, seq: 9 } }));
    expect(paged).toContain("audit_log_run_idx");
  });

  it("pages the whole trail newest first through the time index", async () => {
    expect(await plan(auditListQuery("p", { window, limit: 100 }))).toContain("INDEX audit_log_time_seq_idx (project_key=? AND time>? AND time<?)");
  });
});
