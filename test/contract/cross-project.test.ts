import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escalatedRun, postBatches } from "../../server/test-support/review-fixtures.js";
import { readAuditHead, type AuditHead } from "../../server/src/modules/audit/store.js";
import { verifyAudit } from "../../server/src/modules/audit/verify.js";
import { createTestContext, type TestContext } from "../../server/test-support/testing.js";

/**
 * Nobody reads or writes another project's data, whatever ids are put in a path, query or body.
 * Generated from the app's own route table: every route is called by project A with
 * project B's ids in every place an id can go, and
 * - a route that names a resource by id in its path answers 404 (the same answer as for an id
 *   that exists nowhere, so B's ids cannot even be probed);
 * - no answer contains any of B's ids;
 * - afterwards B's data and B's audit chain are exactly as they were.
 * A route added later is covered automatically; one that needs a body gets it from BODIES.
 */

let ctx: TestContext;
let a: { key: string; cookie: string; projectId: string };
let b: {
  projectId: string;
  keyId: string;
  runId: string;
  stepIds: string[];
  escalationId: string;
  webhookId: string;
  verificationId: string;
  userId: string;
  head: AuditHead | null;
  snapshot: string;
};

/** Client-chosen names that A may use for its own resources (a policy, a retention setting). */
const NAME_KEYED = new Set([
  "PUT /v1/policies/:workflow",
  "PUT /v1/policies/:workflow/steps/:step",
  "DELETE /v1/policies/:workflow",
  "DELETE /v1/policies/:workflow/steps/:step",
  "PUT /v1/retention/:workflow",
  "PUT /v1/review/groups/:name",
  "DELETE /v1/review/groups/:name",
  "PUT /v1/review/judges/:workflow/steps/:step",
  "DELETE /v1/review/judges/:workflow/steps/:step",
  // A job's name, not a project's resource: jobs run across projects (routes/jobs.ts).
  "POST /v1/jobs/:name/run",
]);
/** Routes that give A runs of its own under ids B also uses (run ids are the client's, per project). */
const INGEST = new Set(["POST /v1/events", "POST /v1/traces", "POST /v1/logs"]);
/** State-changing routes that read no body. */
const BODYLESS = new Set(["POST /v1/audit/verifications", "POST /v1/jobs/:name/run"]);
/** Not project data: public, or sign-in itself. */
const SKIP = new Set([
  "ALL /*",
  "ALL /v1/traces",
  "ALL /v1/logs",
  "GET /",
  "GET /healthz",
  "GET /metrics",
  "GET /openapi.json",
  "GET /reference",
  "POST /v1/auth/login",
  "POST /v1/auth/logout",
]);

function bodies(): Record<string, unknown> {
  const table: Record<string, unknown> = {
    "POST /v1/events": {
      events: [
        { id: "0190f0f0-0000-7000-8000-0000000000aa", type: "run.started", time: new Date().toISOString(), runId: b.runId, workflow: "claims", version: "3" },
      ],
    },
    // A span in B's run: OTLP runs are keyed by trace id within the caller's project.
    "POST /v1/traces": {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: "0".repeat(31) + "1",
                  spanId: "0".repeat(15) + "1",
                  name: "probe",
                  startTimeUnixNano: "1",
                  endTimeUnixNano: "2",
                  attributes: [{ key: "seamtrace.run.id", value: { stringValue: "RUNID" } }],
                },
              ],
            },
          ],
        },
      ],
    },
    // An evaluation for a span of B's trace id: filed under A's project.
    "POST /v1/logs": {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  eventName: "gen_ai.evaluation.result",
                  traceId: "0".repeat(31) + "1",
                  spanId: "0".repeat(15) + "1",
                  attributes: [{ key: "gen_ai.evaluation.score.value", value: { doubleValue: 0.1 } }],
                },
              ],
            },
          ],
        },
      ],
    },
    "POST /v1/labels": { labels: [{ runId: b.runId, stepId: b.stepIds[0], correct: false, reason: "probe" }] },
    "POST /v1/runs/:id/resume": { escalationId: b.escalationId },
    "POST /v1/runs/:id/resume/renew": { escalationId: b.escalationId, epoch: 1 },
    "POST /v1/escalations/:id/decision": { decision: "reject", reason: "probe" },
    "POST /v1/escalations/:id/adjudication": { decision: "reject", reason: "probe" },
    "POST /v1/escalations/:id/judgement": { judge: "probe", decision: "reject", confidence: 1, reason: "probe" },
    "PUT /v1/review/groups/:name": { members: [] },
    "PUT /v1/review/judges/:workflow/steps/:step": { name: "probe", kind: "worker" },
    "PUT /v1/policies/:workflow": { minConfidence: 0.99, reason: "probe" },
    "PUT /v1/policies/:workflow/steps/:step": { minConfidence: 0.99, reason: "probe" },
    "POST /v1/webhooks": { url: "https://hooks.example.test/probe", events: ["escalation.created"] },
    "PUT /v1/retention/:workflow": { mode: "final", ttlDays: 1 },
    "POST /v1/alerts/rules": { name: "probe", metric: "escalation.rate", op: ">", threshold: 0.5, workflow: "claims" },
    "POST /v1/thresholds/changes/:id/revert": { reason: "probe" },
    "POST /v1/golden/cases": { escalationId: b.escalationId, set: "probe" },
    "POST /v1/golden/results": {
      set: "probe",
      setVersion: "0".repeat(64),
      workflow: "claims",
      version: "3",
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      summary: { cases: 0, runs: {}, escalationRate: 0, endToEndAccuracy: null, completed: 0, steps: [] },
      regressions: [],
    },
  };
  return JSON.parse(JSON.stringify(table).replaceAll("RUNID", b?.runId ?? "")) as Record<string, unknown>;
}

/** B's rows in every table that holds project data, as one string to compare before and after. */
async function snapshotB(): Promise<string> {
  const tables = [
    "runs",
    "steps",
    "escalations",
    "labels",
    "policies",
    "webhooks",
    "retention_policies",
    "api_keys",
    "users",
    "otlp_spans",
    "step_scores",
    "step_records",
    "reviews",
    "review_groups",
    "review_group_members",
    "review_judges",
  ];
  const parts: string[] = [];
  for (const t of tables) {
    // runs and steps name the project by its key (project-key.ts) and keeps its ids as bytes (stored-id.ts), written out as hex.
    const rs = await ctx.store.client.execute({
      sql: `SELECT * FROM ${t} WHERE ${t === "steps" || t === "runs" ? "project_key = (SELECT project_key FROM project_keys WHERE project_id = ?)" : "project_id = ?"} ORDER BY 1, 2`,
      args: [b.projectId],
    });
    // B's run has steps: a lookup that binds the wrong form would find none and compare nothing.
    if (t === "steps") expect(rs.rows.length).toBeGreaterThan(0);
    parts.push(
      t,
      JSON.stringify(rs.rows, (_k, v: unknown) => (v instanceof ArrayBuffer ? Buffer.from(v).toString("hex") : v)),
    );
  }
  return parts.join("\n");
}

beforeAll(async () => {
  ctx = await createTestContext();
  const pa = await ctx.newProject("project-a");
  a = { key: pa.key, projectId: pa.projectId, cookie: (await ctx.newUser(pa.projectId, "admin")).cookie };

  const pb = await ctx.newProject("project-b");
  const bAdmin = await ctx.newUser(pb.projectId, "admin");
  const run = escalatedRun(Date.now() - 60_000);
  await postBatches(ctx, pb.key, run.batches);
  const hook = await ctx.app.request("/v1/webhooks", {
    method: "POST",
    headers: { cookie: bAdmin.cookie, "sec-fetch-site": "same-origin", "content-type": "application/json" },
    body: JSON.stringify({ url: "https://hooks.example.test/b", events: ["escalation.created"] }),
  });
  const put = await ctx.app.request("/v1/policies/claims/steps/reserve", {
    method: "PUT",
    headers: { cookie: bAdmin.cookie, "sec-fetch-site": "same-origin", "content-type": "application/json" },
    body: JSON.stringify({ minConfidence: 0.5, reason: "b's own" }),
  });
  expect(put.status).toBeLessThan(300);
  b = {
    projectId: pb.projectId,
    keyId: pb.keyId,
    runId: run.runId,
    stepIds: [run.extract.stepId, run.classify.stepId, run.match.stepId, run.reserve.stepId],
    escalationId: run.escalationId,
    webhookId: ((await hook.json()) as { id: string }).id,
    verificationId: (await ctx.deps.verifier.start(pb.projectId, `user:${bAdmin.userId}`)).verification.id,
    userId: bAdmin.userId,
    head: null,
    snapshot: "",
  };
  b.head = await readAuditHead(ctx.store.client, b.projectId);
  b.snapshot = await snapshotB();
});
afterAll(() => ctx.close());

function bIds(): string[] {
  return [b.projectId, b.keyId, b.runId, ...b.stepIds, b.escalationId, b.webhookId, b.verificationId, b.userId];
}

/** Path params get B's id of the matching kind; every GET also gets B's ids in its query. */
function pathFor(method: string, pattern: string): string {
  const path = pattern
    .replace(/\/runs\/:id/, `/runs/${b.runId}`)
    .replace(/\/escalations\/:id/, `/escalations/${b.escalationId}`)
    .replace(/\/webhooks\/:id/, `/webhooks/${b.webhookId}`)
    .replace(/\/audit\/verifications\/:id/, `/audit/verifications/${b.verificationId}`)
    .replace(/\/review\/groups\/:name/, "/review/groups/probe-group")
    .replace(/:workflow/, "claims")
    .replace(/:step/, "reserve")
    .replace(/:[a-zA-Z]+/g, b.runId);
  if (method !== "GET") return path;
  const q = new URLSearchParams({
    runId: b.runId,
    stepId: b.stepIds[0]!,
    escalationId: b.escalationId,
    workflow: "claims",
    key: "msg",
    id: b.runId,
    projectId: b.projectId,
  });
  return `${path}?${q}`;
}

async function asA(method: string, path: string, body: unknown) {
  const init = (auth: Record<string, string>): RequestInit => ({
    method,
    headers: { ...auth, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // As A's admin first; routes that take only API keys get A's key instead.
  let res = await ctx.app.request(`http://seamtrace.test${path}`, init({ cookie: a.cookie, "sec-fetch-site": "same-origin" }));
  if (res.status === 401 || res.status === 403) res = await ctx.app.request(`http://seamtrace.test${path}`, init({ authorization: `Bearer ${a.key}` }));
  return { status: res.status, text: await res.text() };
}

describe("cross-project isolation, every route × B's ids", () => {
  it("covers the mounted routes", () => {
    const routes = new Set(ctx.app.routes.map((r) => `${r.method} ${r.path}`).filter((r) => !SKIP.has(r)));
    expect(routes.size).toBeGreaterThanOrEqual(30);
    for (const r of routes)
      if (/^(POST|PUT|PATCH) /.test(r) && !/\/:/.test(r) && !(r in bodies()) && !BODYLESS.has(r)) expect.fail(`${r} takes a body: add one to bodies()`);
  });

  it("answers 404 for B's ids in a path, never shows B's ids, and changes nothing of B's", async () => {
    // Ingest last: it gives A a run of its own under B's run id (run ids are the client's, per
    // project), after which A's answers may rightly contain that id.
    const routes = [...new Set(ctx.app.routes.map((r) => `${r.method} ${r.path}`))]
      .filter((r) => !SKIP.has(r))
      .sort((x, y) => Number(INGEST.has(x)) - Number(INGEST.has(y)));
    const table = bodies();
    const failures: string[] = [];
    for (const route of routes) {
      const [method, pattern] = route.split(" ") as [string, string];
      const path = pathFor(method, pattern);
      const body = table[route] ?? (["POST", "PUT", "PATCH"].includes(method) ? {} : undefined);
      const r = await asA(method, path, body);
      const byId = /\/:(id)/.test(pattern);
      if (r.status >= 500) failures.push(`${route}: ${r.status} ${r.text.slice(0, 200)}`);
      if (byId && r.status !== 404) failures.push(`${route}: expected 404 for B's id, got ${r.status} ${r.text.slice(0, 200)}`);
      if (!byId && !NAME_KEYED.has(route) && /\/:/.test(pattern) && r.status !== 404) failures.push(`${route}: expected 404, got ${r.status}`);
      for (const id of bIds()) if (!INGEST.has(route) && r.text.includes(id)) failures.push(`${route}: the answer contains B's id ${id}`);
    }
    expect(failures).toEqual([]);

    // A's run under B's run id is A's: B's run, steps and review are untouched.
    await ctx.deps.projector.sync();
    expect(await snapshotB()).toBe(b.snapshot);
    expect(await readAuditHead(ctx.store.client, b.projectId)).toEqual(b.head);
    expect((await verifyAudit(ctx.store.db, b.projectId, ctx.deps.auditSigner.publicKey)).ok).toBe(true);
  });
});
