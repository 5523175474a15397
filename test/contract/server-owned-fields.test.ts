import { uuidv7 } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStarted, stepEvent } from "../../server/test-support/events-fixtures.js";
import { call, escalatedRun, postBatches } from "../../server/test-support/review-fixtures.js";
import { createTestContext, type TestContext } from "../../server/test-support/testing.js";
import { fromStoredText } from "../../server/src/platform/db/stored-text.js";
import { refFromStored, storedId, storedRef } from "../../server/src/platform/db/stored-id.js";

/**
 * Unknown body fields never set server-owned columns (mass assignment): ids, owners, times,
 * revisions, statuses and secrets come from the server. Each write route gets a body stuffed
 * with them; the stored row must not take any (the route may reject the body outright, or
 * ignore the fields; either is safe).
 */

const FOREIGN_PROJECT = "0190f0f0-0000-7000-8000-00000000beef";
const STUFFING = {
  id: "forged-id",
  projectId: FOREIGN_PROJECT,
  project_id: FOREIGN_PROJECT,
  revision: 999,
  updatedBy: "user:mallory",
  updatedAt: 1,
  createdAt: 1,
  status: "resolved",
  claimedBy: "mallory",
  reviewerId: "mallory",
  secret: "whsec_forged",
  disabledAt: null,
  actor: "system:forged",
  keyId: "forged-key",
  seq: 1,
};

let ctx: TestContext;
let t: { projectId: string; key: string; keyId: string };
let admin: { cookie: string; userId: string };
let reviewer: { cookie: string; userId: string };

beforeAll(async () => {
  ctx = await createTestContext();
  t = await ctx.newProject();
  admin = await ctx.newUser(t.projectId, "admin");
  reviewer = await ctx.newUser(t.projectId, "reviewer");
});
afterAll(() => ctx.close());

async function rows(sql: string, ...args: Array<string | number | Uint8Array>) {
  return (await ctx.store.client.execute({ sql, args })).rows;
}

describe("server-owned fields in request bodies", () => {
  it("policies: revision, author and times are the server's", async () => {
    const r = await call(ctx, "PUT", "/v1/policies/mass/steps/reserve", { ...admin }, { minConfidence: 0.8, reason: "x", ...STUFFING });
    if (r.status < 300) {
      const [row] = await rows("SELECT project_id, revision, updated_by FROM policies WHERE workflow = 'mass'");
      expect(row).toMatchObject({ project_id: t.projectId, revision: 1, updated_by: `user:${admin.userId}` });
    } else expect(r.status).toBe(400);
    expect(await rows("SELECT 1 FROM policies WHERE project_id = ?", FOREIGN_PROJECT)).toHaveLength(0);
  });

  it("webhooks: the id, secret and project are the server's", async () => {
    const r = await call<{ id: string; secret: string }>(ctx, "POST", "/v1/webhooks", admin, {
      url: "https://hooks.example.test/m",
      events: ["escalation.created"],
      ...STUFFING,
    });
    if (r.status === 201) {
      expect(r.body.id).not.toBe("forged-id");
      expect(r.body.secret).not.toBe("whsec_forged");
      const [row] = await rows("SELECT project_id, disabled_at FROM webhooks WHERE id = ?", r.body.id);
      expect(row).toMatchObject({ project_id: t.projectId, disabled_at: null });
    } else expect(r.status).toBe(400);
  });

  it("decisions: the reviewer, status and time are the server's", async () => {
    const run = escalatedRun(Date.now() - 60_000);
    await postBatches(ctx, t.key, run.batches);
    const r = await call(ctx, "POST", `/v1/escalations/${run.escalationId}/decision`, reviewer, {
      decision: "accept",
      reason: "fine",
      ...STUFFING,
      resolvedAt: 1,
    });
    expect([200, 400]).toContain(r.status);
    const [row] = await rows("SELECT project_id, reviewer_id, resolved_at FROM escalations WHERE id = ?", run.escalationId);
    if (r.status === 200) {
      expect(row!.reviewer_id).toBe(reviewer.userId);
      expect(Number(row!.resolved_at)).toBeGreaterThan(1_000);
    }
    expect(row!.project_id).toBe(t.projectId);
  });

  it("retention: the author and time are the server's", async () => {
    const r = await call(ctx, "PUT", "/v1/retention/mass", admin, { mode: "final", ...STUFFING });
    expect(r.status).toBe(400);
    expect(await rows("SELECT 1 FROM retention_policies WHERE workflow = 'mass'")).toHaveLength(0);
  });

  it("events: an event's own projectId, keyId or seq never moves it, nor names its sender", async () => {
    const start = runStarted({ runId: uuidv7() });
    const step = stepEvent(start.runId);
    const res = await ctx.app.request("/v1/events", {
      method: "POST",
      headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" },
      body: JSON.stringify({
        events: [
          { ...start, ...STUFFING, id: start.id },
          { ...step, ...STUFFING, id: step.id, status: undefined },
        ],
      }),
    });
    expect(res.status).toBeLessThan(300);
    const stored = await rows(
      "SELECT (SELECT project_id FROM project_keys k WHERE k.project_key = e.project_key) AS project_id, body FROM events e WHERE id IN (?, ?)",
      storedId(start.id),
      storedId(step.id),
    );
    expect(stored).toHaveLength(2);
    for (const r of stored) {
      expect(r.project_id).toBe(t.projectId);
      // Unknown fields are dropped by the event schema before the body is stored.
      expect(JSON.parse(fromStoredText(r.body))).not.toHaveProperty("projectId");
    }
    // The key that sent them is their audit entries' actor.
    const actors = await rows(
      "SELECT actor FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND subject IN (?, ?)",
      t.projectId,
      storedRef(`event:${start.id}`),
      storedRef(`event:${step.id}`),
    );
    expect(actors.map((r) => refFromStored(r.actor))).toEqual([`sdk:${t.keyId}`, `sdk:${t.keyId}`]);
    expect(await rows("SELECT 1 FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?)", FOREIGN_PROJECT)).toHaveLength(0);
  });

  it("labels: the actor and source are the server's", async () => {
    const run = escalatedRun(Date.now() - 60_000);
    await postBatches(ctx, t.key, run.batches);
    const r = await call(
      ctx,
      "POST",
      "/v1/labels",
      { key: t.key },
      { labels: [{ runId: run.runId, stepId: run.extract.stepId, correct: true, ...STUFFING, source: "review" }] },
    );
    expect(r.status).toBeLessThan(500);
    const stored = await rows("SELECT project_id, actor, source FROM labels WHERE step_id = ?", run.extract.stepId);
    for (const row of stored) expect(row).toMatchObject({ project_id: t.projectId, actor: `sdk:${t.keyId}`, source: "feedback" });
  });
});

describe("filter and sort parameters come from allowlists", () => {
  const bad: Array<[string, string]> = [
    ["/v1/runs?status=deleted", "status"],
    ["/v1/runs?status=completed%27%20OR%201%3D1", "status"],
    ["/v1/escalations?order=created_at%20DESC%3B%20DROP%20TABLE%20runs", "order"],
    ["/v1/escalations?status=anything", "status"],
    ["/v1/audit?action=step.completed%27--", "action"],
    ["/v1/audit?actor=nobody", "actor"],
    ["/v1/policies/history?limit=-1", "limit"],
  ];
  for (const [path, param] of bad) {
    it(`refuses ${param} outside its allowlist: ${decodeURIComponent(path)}`, async () => {
      const r = await call<{ error: { code: string } }>(ctx, "GET", path, admin);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe("invalid_query");
    });
  }
});
