import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PERMISSIONS } from "../../ui/src/lib/permissions.js";
import type { Role } from "../../server/src/app/deps.js";
import { escalatedRun, postBatches } from "../../server/test-support/review-fixtures.js";
import { createTestContext, type TestContext } from "../../server/test-support/testing.js";
import { createAlertRule, listAlertRules } from "../../server/src/modules/analytics/alerts-store.js";
import { putPolicy } from "../../server/src/modules/policies/store.js";
import { getThresholdChange, recordThresholdChange } from "../../server/src/modules/policies/thresholds-store.js";

/**
 * Who may call which route, across every route group ("a reviewer cannot change
 * policies; an analyst cannot resolve escalations"). One table of routes × callers, each cell
 * the authorization outcome: 401 (no acceptable credential), 403 (a credential, but not allowed
 * here), or `allow` (anything but 401/403: the request got past authorization, and whatever the
 * route made of it next, it was not a server fault and not a missing route).
 *
 * Every cell gets its own fresh resources (a new escalation, a new policy), so a denial is never
 * confused with "already claimed" or "not found", and every request is otherwise plausible, so
 * the matrix does not depend on each route's validation details.
 */

type Caller = Role | "apiKey" | "anonymous";
type Outcome = "allow" | 401 | 403;
const CALLERS: readonly Caller[] = ["admin", "lead", "reviewer", "analyst", "apiKey", "anonymous"];
const USER_ROLES = ["admin", "lead", "reviewer", "analyst"] as const;
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

interface Team {
  projectId: string;
  key: string;
  cookies: Record<Role, string>;
}

interface Prepared {
  path: string;
  body?: unknown;
  /** After a denied request: proves it changed nothing. */
  unchanged?: () => Promise<void>;
}

interface RouteCase {
  method: "GET" | "POST" | "PUT" | "DELETE";
  route: string;
  /** Builds the cell's request, creating whatever it acts on. */
  prepare(t: Team): Promise<Prepared>;
  expect: Record<Caller, Outcome>;
}

let ctx: TestContext;
let team: Team;
let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

beforeAll(async () => {
  ctx = await createTestContext();
  const p = await ctx.newProject();
  const cookies = {} as Record<Role, string>;
  for (const role of USER_ROLES) cookies[role] = (await ctx.newUser(p.projectId, role)).cookie;
  team = { projectId: p.projectId, key: p.key, cookies };
});
afterAll(() => ctx.close());

/** A request as `who`; a browser on the UI's own origin for users, a script for API keys. */
async function send(method: string, path: string, who: Caller, body?: unknown, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { ...extra };
  if (who === "apiKey") headers.authorization = `Bearer ${team.key}`;
  else if (who !== "anonymous") {
    headers.cookie = team.cookies[who];
    // A browser on the UI's page; a test that sets Origin speaks for the browser itself.
    if (!("origin" in extra)) headers["sec-fetch-site"] ??= "same-origin";
  }
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await ctx.app.request(`http://seamtrace.test${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  // Some allowed answers are not one JSON document (the audit export streams JSON lines).
  let code: string | null = null;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? null;
  } catch {
    code = null;
  }
  return { status: res.status, text, code };
}

/** An escalated run posted through the collector, as the SDK reports one. */
async function escalation() {
  const run = escalatedRun(Date.now() - 60_000);
  await postBatches(ctx, team.key, run.batches);
  return run;
}

async function escalationStatus(id: string): Promise<string> {
  const r = await send("GET", `/v1/escalations/${id}`, "admin");
  expect(r.status, r.text).toBe(200);
  return (JSON.parse(r.text) as { status: string }).status;
}

async function policyWorkflows(): Promise<string[]> {
  const r = await send("GET", "/v1/policies", "admin");
  expect(r.status, r.text).toBe(200);
  return (JSON.parse(r.text) as { policies: Array<{ workflow: string; step?: string | null }> }).policies.map((p) => `${p.workflow}/${p.step ?? ""}`);
}

/** An escalation two reviewers disagreed on: waiting for an adjudicator. */
async function disputedEscalation(): Promise<string> {
  const workflow = unique("team");
  expect((await send("PUT", `/v1/policies/${workflow}`, "admin", { reviewers: 2, reason: "two reviewers" })).status).toBe(201);
  const run = escalatedRun(Date.now() - 60_000, workflow);
  await postBatches(ctx, team.key, run.batches);
  const a = await send("POST", `/v1/escalations/${run.escalationId}/decision`, "reviewer", { decision: "accept", reason: "fine" });
  expect(a.status, a.text).toBe(200);
  const b = await send("POST", `/v1/escalations/${run.escalationId}/decision`, "admin", { decision: "reject", reason: "not covered" });
  expect(b.status, b.text).toBe(200);
  expect(await escalationStatus(run.escalationId)).toBe("disputed");
  return run.escalationId;
}

/** An escalation of a step with a worker judge in front of its reviewers, waiting on it. */
async function judgedEscalation(): Promise<string> {
  const workflow = unique("judged");
  expect((await send("PUT", `/v1/review/judges/${workflow}/steps/reserve`, "admin", { name: "matrix-judge", kind: "worker" })).status).toBe(201);
  const run = escalatedRun(Date.now() - 60_000, workflow);
  await postBatches(ctx, team.key, run.batches);
  return run.escalationId;
}

/** A policy that exists, made by an admin, for the routes that change or delete one. */
async function existingPolicy(step?: string) {
  const workflow = unique("wf");
  const path = step ? `/v1/policies/${workflow}/steps/${step}` : `/v1/policies/${workflow}`;
  const r = await send("PUT", path, "admin", { minConfidence: 0.7, reason: "set up for the role matrix" });
  expect(r.status, r.text).toBeLessThan(300);
  return { workflow, path };
}

/** A plausible `golden run` result, as the CLI sends it. */
function goldenResult() {
  const summary = {
    cases: 2,
    runs: { completed: 2 },
    escalationRate: 0,
    endToEndAccuracy: 1,
    completed: 2,
    steps: [
      { step: "double", expected: 2, reached: 2, correct: 2, failed: 0, accuracy: 1, escalated: 0, calibration: { n: 2, brier: 0, ece: 0, overconfidence: 0 } },
    ],
  };
  const now = new Date().toISOString();
  return {
    set: "toy",
    setVersion: "a".repeat(64),
    workflow: "toy",
    version: "1",
    startedAt: now,
    finishedAt: now,
    summary,
    regressions: [],
    baselineVersion: null,
  };
}

async function goldenResultCount(): Promise<number> {
  const r = await send("GET", "/v1/golden/results?workflow=toy&limit=200", "admin");
  expect(r.status, r.text).toBe(200);
  return (JSON.parse(r.text) as { items: unknown[] }).items.length;
}

async function existingWebhook(): Promise<string> {
  const r = await send("POST", "/v1/webhooks", "admin", { url: "https://hooks.example.com/seamtrace", events: ["escalation.created"] });
  expect(r.status, r.text).toBe(201);
  return (JSON.parse(r.text) as { id: string }).id;
}

// A lead is a reviewer who also adjudicates: wherever reviewers may go, leads may too.
const everyone: Record<Caller, Outcome> = { admin: "allow", lead: "allow", reviewer: "allow", analyst: "allow", apiKey: "allow", anonymous: 401 };
const usersOnly: Record<Caller, Outcome> = { admin: "allow", lead: "allow", reviewer: "allow", analyst: "allow", apiKey: 403, anonymous: 401 };
const adminsOnly: Record<Caller, Outcome> = { admin: "allow", lead: 403, reviewer: 403, analyst: 403, apiKey: 403, anonymous: 401 };
/** Deciding carries a reviewer's identity: people only, and not analysts. */
const reviewersOnly: Record<Caller, Outcome> = { admin: "allow", lead: "allow", reviewer: "allow", analyst: 403, apiKey: 403, anonymous: 401 };
/** Settling a dispute: admins and leads, never a reviewer (who may be one of the disputing ones). */
const adjudicatorsOnly: Record<Caller, Outcome> = { admin: "allow", lead: "allow", reviewer: 403, analyst: 403, apiKey: 403, anonymous: 401 };
/** SDK routes take no session at all, so a cookie is no credential there: 401, not 403. */
const keysOnly: Record<Caller, Outcome> = { admin: 401, lead: 401, reviewer: 401, analyst: 401, apiKey: "allow", anonymous: 401 };
/** Dashboards and scripts read analytics; reviewers work the queue. */
const analystsAndKeys: Record<Caller, Outcome> = { admin: "allow", lead: 403, reviewer: 403, analyst: "allow", apiKey: "allow", anonymous: 401 };
/** How the team agrees and how the queue ages: for those who run the team and those who measure it. */
const overseers: Record<Caller, Outcome> = { admin: "allow", lead: "allow", reviewer: 403, analyst: "allow", apiKey: "allow", anonymous: 401 };

const auditors: Record<Caller, Outcome> = { admin: "allow", lead: 403, reviewer: 403, analyst: "allow", apiKey: "allow", anonymous: 401 };
/** Analysts read and change nothing: golden results come from CI (a key) or an admin. */
const goldenSenders: Record<Caller, Outcome> = { admin: "allow", lead: 403, reviewer: 403, analyst: 403, apiKey: "allow", anonymous: 401 };
/** The SDK's worker resumes with its key; in the UI, those who may decide may resume. */
const resumers: Record<Caller, Outcome> = { admin: "allow", lead: "allow", reviewer: "allow", analyst: 403, apiKey: "allow", anonymous: 401 };

/** Each group of callers above, and the row of docs/api.md's "who may" table that states it. */
const DOC_ROWS: Array<[Record<Caller, Outcome>, string]> = [
  [everyone, "read runs, the review queue"],
  [usersOnly, "read who is signed in"],
  [analystsAndKeys, "read analytics"],
  [auditors, "read analytics"],
  [reviewersOnly, "claim and decide escalations"],
  [resumers, "resume a reviewed run"],
  [goldenSenders, "send golden results"],
  [keysOnly, "send events"],
  [adminsOnly, "change policies"],
];

const ROUTES: RouteCase[] = [
  { method: "GET", route: "/v1/auth/me", prepare: async () => ({ path: "/v1/auth/me" }), expect: usersOnly },
  { method: "GET", route: "/v1/people", prepare: async () => ({ path: "/v1/people?ids=user:nobody" }), expect: usersOnly },

  // Runs: scripts with a key and every signed-in role read them.
  { method: "GET", route: "/v1/runs", prepare: async () => ({ path: "/v1/runs" }), expect: everyone },
  { method: "GET", route: "/v1/runs/:id", prepare: async () => ({ path: `/v1/runs/${(await escalation()).runId}` }), expect: everyone },
  { method: "GET", route: "/v1/workflows", prepare: async () => ({ path: "/v1/workflows" }), expect: everyone },
  { method: "GET", route: "/v1/runs/:id/state", prepare: async () => ({ path: `/v1/runs/${(await escalation()).runId}/state` }), expect: everyone },
  { method: "GET", route: "/v1/run-state", prepare: async () => ({ path: "/v1/run-state?workflow=claims&key=none" }), expect: everyone },
  { method: "GET", route: "/v1/resumable", prepare: async () => ({ path: "/v1/resumable" }), expect: everyone },

  // Audit: every role reads entries; exporting and verifying is for admins and analysts.
  { method: "GET", route: "/v1/audit", prepare: async () => ({ path: "/v1/audit" }), expect: everyone },
  { method: "GET", route: "/v1/audit/export", prepare: async () => ({ path: "/v1/audit/export" }), expect: auditors },
  { method: "POST", route: "/v1/audit/verifications", prepare: async () => ({ path: "/v1/audit/verifications" }), expect: auditors },
  { method: "GET", route: "/v1/audit/verifications", prepare: async () => ({ path: "/v1/audit/verifications" }), expect: auditors },
  {
    method: "GET",
    route: "/v1/audit/verifications/:id",
    prepare: async (t) => {
      const { verification } = await ctx.deps.verifier.start(t.projectId, "user:setup");
      return { path: `/v1/audit/verifications/${verification.id}` };
    },
    expect: auditors,
  },
  // Correction exports are training data: admins, analysts and scripts, like audit exports.
  {
    method: "GET",
    route: "/v1/exports/corrections",
    prepare: async () => ({ path: "/v1/exports/corrections?include=corrections,accepts,rejections,labels" }),
    expect: auditors,
  },

  // Golden results are measurements: CI sends them with a key (or an admin does), analysts read them.
  {
    method: "POST",
    route: "/v1/golden/results",
    async prepare() {
      const before = await goldenResultCount();
      return { path: "/v1/golden/results", body: goldenResult(), unchanged: async () => expect(await goldenResultCount()).toBe(before) };
    },
    expect: goldenSenders,
  },
  { method: "GET", route: "/v1/golden/results", prepare: async () => ({ path: "/v1/golden/results?workflow=toy" }), expect: auditors },
  {
    method: "GET",
    route: "/v1/golden/results/:id",
    async prepare() {
      const r = await send("POST", "/v1/golden/results", "apiKey", goldenResult());
      expect(r.status, r.text).toBe(201);
      return { path: `/v1/golden/results/${(JSON.parse(r.text) as { id: string }).id}` };
    },
    expect: auditors,
  },
  // Adding a case is a reviewer's judgement of the right output: people who review, never a key.
  {
    method: "POST",
    route: "/v1/golden/cases",
    async prepare() {
      const run = await escalation();
      const decided = await send("POST", `/v1/escalations/${run.escalationId}/decision`, "admin", { decision: "accept", reason: "right" });
      expect(decided.status, decided.text).toBe(200);
      return { path: "/v1/golden/cases", body: { escalationId: run.escalationId, set: unique("set") } };
    },
    expect: reviewersOnly,
  },
  // The sets are downloaded by CI (key) and read by everyone who works with them.
  { method: "GET", route: "/v1/golden/sets", prepare: async () => ({ path: "/v1/golden/sets" }), expect: everyone },
  { method: "GET", route: "/v1/golden/sets/:set/cases", prepare: async () => ({ path: "/v1/golden/sets/claims/cases" }), expect: everyone },
  { method: "GET", route: "/v1/audit/checkpoints", prepare: async () => ({ path: "/v1/audit/checkpoints" }), expect: auditors },
  { method: "GET", route: "/v1/audit/public-key", prepare: async () => ({ path: "/v1/audit/public-key" }), expect: everyone },

  // Retention: admins set it; admins, analysts and scripts read it.
  { method: "GET", route: "/v1/retention", prepare: async () => ({ path: "/v1/retention" }), expect: auditors },
  {
    method: "PUT",
    route: "/v1/retention/:workflow",
    async prepare() {
      const workflow = unique("wf");
      return {
        path: `/v1/retention/${workflow}`,
        body: { mode: "final", ttlDays: 1 },
        unchanged: async () => {
          const r = await send("GET", "/v1/retention", "admin");
          expect((JSON.parse(r.text) as { items: Array<{ workflow: string }> }).items.map((i) => i.workflow)).not.toContain(workflow);
        },
      };
    },
    expect: adminsOnly,
  },

  // Policies: everyone reads (the SDK fetches them with its key); only admins change them.
  { method: "GET", route: "/v1/policies", prepare: async () => ({ path: "/v1/policies" }), expect: everyone },
  { method: "GET", route: "/v1/policies/history", prepare: async () => ({ path: "/v1/policies/history" }), expect: usersOnly },
  {
    method: "PUT",
    route: "/v1/policies/:workflow",
    async prepare() {
      const workflow = unique("wf");
      return {
        path: `/v1/policies/${workflow}`,
        body: { minConfidence: 0.1, onLow: "flag", reason: "lower the gate" },
        unchanged: async () => expect(await policyWorkflows()).not.toContain(`${workflow}/`),
      };
    },
    expect: adminsOnly,
  },
  {
    method: "PUT",
    route: "/v1/policies/:workflow (existing)",
    async prepare() {
      const { workflow, path } = await existingPolicy();
      return {
        path,
        body: { minConfidence: 0.1, reason: "lower the gate" },
        unchanged: async () => {
          const r = await send("GET", `/v1/policies?workflow=${workflow}`, "admin");
          expect((JSON.parse(r.text) as { policies: Array<{ minConfidence?: number }> }).policies[0]?.minConfidence).toBe(0.7);
        },
      };
    },
    expect: adminsOnly,
  },
  {
    method: "PUT",
    route: "/v1/policies/:workflow/steps/:step",
    async prepare() {
      const workflow = unique("wf");
      return {
        path: `/v1/policies/${workflow}/steps/reserve`,
        body: { minCumulative: 0.2, reason: "lower the gate" },
        unchanged: async () => expect(await policyWorkflows()).not.toContain(`${workflow}/reserve`),
      };
    },
    expect: adminsOnly,
  },
  {
    method: "DELETE",
    route: "/v1/policies/:workflow",
    async prepare() {
      const { workflow, path } = await existingPolicy();
      return { path, unchanged: async () => expect(await policyWorkflows()).toContain(`${workflow}/`) };
    },
    expect: adminsOnly,
  },
  {
    method: "DELETE",
    route: "/v1/policies/:workflow/steps/:step",
    async prepare() {
      const { workflow, path } = await existingPolicy("reserve");
      return { path, unchanged: async () => expect(await policyWorkflows()).toContain(`${workflow}/reserve`) };
    },
    expect: adminsOnly,
  },

  // Review: everyone reads the queue; admins and reviewers claim and decide.
  { method: "GET", route: "/v1/escalations", prepare: async () => ({ path: "/v1/escalations" }), expect: everyone },
  { method: "GET", route: "/v1/escalations/count", prepare: async () => ({ path: "/v1/escalations/count?status=active" }), expect: everyone },
  {
    method: "GET",
    route: "/v1/escalations/:id",
    prepare: async () => ({ path: `/v1/escalations/${(await escalation()).escalationId}` }),
    expect: everyone,
  },
  {
    method: "POST",
    route: "/v1/escalations/:id/claim",
    async prepare() {
      const { escalationId } = await escalation();
      return {
        path: `/v1/escalations/${escalationId}/claim`,
        unchanged: async () => {
          const r = await send("GET", `/v1/escalations/${escalationId}`, "admin");
          expect((JSON.parse(r.text) as { claimedBy?: string | null }).claimedBy ?? null).toBeNull();
        },
      };
    },
    expect: reviewersOnly,
  },
  {
    method: "POST",
    route: "/v1/escalations/:id/decision",
    async prepare() {
      const { escalationId } = await escalation();
      return {
        path: `/v1/escalations/${escalationId}/decision`,
        body: { decision: "accept", reason: "the amount matches the policy limit" },
        unchanged: async () => expect(await escalationStatus(escalationId)).toBe("open"),
      };
    },
    expect: reviewersOnly,
  },
  {
    method: "POST",
    route: "/v1/runs/:id/resume",
    async prepare() {
      const run = await escalation();
      return { path: `/v1/runs/${run.runId}/resume`, body: { escalationId: run.escalationId } };
    },
    expect: resumers,
  },
  {
    method: "POST",
    route: "/v1/runs/:id/resume/renew",
    async prepare() {
      const run = await escalation();
      return { path: `/v1/runs/${run.runId}/resume/renew`, body: { escalationId: run.escalationId, epoch: 1 } };
    },
    // Whoever may claim a resume may renew the claim.
    expect: { admin: "allow", lead: "allow", reviewer: "allow", analyst: 403, apiKey: "allow", anonymous: 401 },
  },

  // Team review: a dispute is settled by admins and leads only.
  {
    method: "POST",
    route: "/v1/escalations/:id/adjudication",
    async prepare() {
      const id = await disputedEscalation();
      return {
        path: `/v1/escalations/${id}/adjudication`,
        body: { decision: "accept", reason: "the policy covers water damage" },
        unchanged: async () => expect(await escalationStatus(id)).toBe("disputed"),
      };
    },
    expect: adjudicatorsOnly,
  },
  // A judge is a program: it answers with the project's key.
  {
    method: "POST",
    route: "/v1/escalations/:id/judgement",
    async prepare() {
      const id = await judgedEscalation();
      return { path: `/v1/escalations/${id}/judgement`, body: { judge: "matrix-judge", decision: "accept", confidence: 0.2, reason: "looks right" } };
    },
    expect: keysOnly,
  },
  { method: "GET", route: "/v1/review/judge-items", prepare: async () => ({ path: "/v1/review/judge-items?judge=matrix-judge" }), expect: keysOnly },
  { method: "GET", route: "/v1/review/judges", prepare: async () => ({ path: "/v1/review/judges" }), expect: { ...adjudicatorsOnly, analyst: "allow" } },
  {
    method: "PUT",
    route: "/v1/review/judges/:workflow/steps/:step",
    async prepare() {
      const workflow = unique("wf");
      return {
        path: `/v1/review/judges/${workflow}/steps/reserve`,
        body: { name: "j", kind: "worker" },
        unchanged: async () => {
          const r = await send("GET", "/v1/review/judges", "admin");
          expect((JSON.parse(r.text) as { items: Array<{ workflow: string }> }).items.map((i) => i.workflow)).not.toContain(workflow);
        },
      };
    },
    expect: adminsOnly,
  },
  {
    method: "DELETE",
    route: "/v1/review/judges/:workflow/steps/:step",
    async prepare() {
      const workflow = unique("wf");
      const r = await send("PUT", `/v1/review/judges/${workflow}/steps/reserve`, "admin", { name: "j", kind: "worker" });
      expect(r.status, r.text).toBe(201);
      return { path: `/v1/review/judges/${workflow}/steps/reserve` };
    },
    expect: adminsOnly,
  },
  // Groups: admins set them up; everyone who works with the queue reads them.
  { method: "GET", route: "/v1/review/groups", prepare: async () => ({ path: "/v1/review/groups" }), expect: usersOnly },
  {
    method: "PUT",
    route: "/v1/review/groups/:name",
    async prepare() {
      const name = unique("group");
      return {
        path: `/v1/review/groups/${name}`,
        body: { members: [], knownAnswerRate: 0.1 },
        unchanged: async () => {
          const r = await send("GET", "/v1/review/groups", "admin");
          expect((JSON.parse(r.text) as { items: Array<{ name: string }> }).items.map((i) => i.name)).not.toContain(name);
        },
      };
    },
    expect: adminsOnly,
  },
  {
    method: "DELETE",
    route: "/v1/review/groups/:name",
    async prepare() {
      const name = unique("group");
      expect((await send("PUT", `/v1/review/groups/${name}`, "admin", { members: [] })).status).toBe(201);
      return { path: `/v1/review/groups/${name}` };
    },
    expect: adminsOnly,
  },
  { method: "GET", route: "/v1/review/assignees", prepare: async () => ({ path: "/v1/review/assignees" }), expect: usersOnly },
  { method: "GET", route: "/v1/review/agreement", prepare: async () => ({ path: "/v1/review/agreement" }), expect: overseers },
  { method: "GET", route: "/v1/review/ageing", prepare: async () => ({ path: "/v1/review/ageing" }), expect: overseers },
  // Known answers measure people: only admins see the figures.
  { method: "GET", route: "/v1/review/accuracy", prepare: async () => ({ path: "/v1/review/accuracy" }), expect: adminsOnly },

  // OTLP exporters send with the project's key; a browser session is no credential there.
  {
    method: "POST",
    route: "/v1/traces",
    prepare: async () => ({
      path: "/v1/traces",
      body: {
        resourceSpans: [
          { scopeSpans: [{ spans: [{ traceId: "ab".repeat(16), spanId: "cd".repeat(8), name: "matrix", startTimeUnixNano: "1", endTimeUnixNano: "2" }] }] },
        ],
      },
    }),
    expect: keysOnly,
  },

  {
    method: "POST",
    route: "/v1/logs",
    prepare: async () => ({
      path: "/v1/logs",
      body: {
        resourceLogs: [
          { scopeLogs: [{ logRecords: [{ eventName: "gen_ai.evaluation.result", traceId: "ab".repeat(16), spanId: "cd".repeat(8), attributes: [] }] }] },
        ],
      },
    }),
    expect: keysOnly,
  },

  // Late feedback comes from the project's own systems, with its API key.
  {
    method: "POST",
    route: "/v1/labels",
    async prepare() {
      const run = await escalation();
      return { path: "/v1/labels", body: { labels: [{ runId: run.runId, stepId: run.extract.stepId, correct: true, reason: "checked later" }] } };
    },
    expect: keysOnly,
  },

  // Analytics: read by analysts, admins and API keys; jobs run and rules changed by admins.
  ...[
    "/v1/jobs",
    "/v1/jobs/runs",
    "/v1/analytics/series",
    "/v1/analytics/calibration?workflow=claims&step=extract",
    "/v1/analytics/escalations?workflow=claims",
    "/v1/analytics/drift?workflow=claims&step=extract",
    "/v1/analytics/latency?workflow=claims",
    "/v1/analytics/agreement?workflow=claims&cutoff=0.8",
    "/v1/analytics/calibration-maps",
    "/v1/metrics?metric=calibration.ece",
    "/v1/alerts",
    "/v1/alerts/rules",
    "/v1/thresholds/changes",
  ].map((path): RouteCase => ({ method: "GET", route: path.split("?")[0]!, prepare: async () => ({ path }), expect: analystsAndKeys })),
  { method: "POST", route: "/v1/jobs/:name/run", prepare: async () => ({ path: "/v1/jobs/calibration/run" }), expect: adminsOnly },
  {
    method: "POST",
    route: "/v1/alerts/rules",
    prepare: async () => ({ path: "/v1/alerts/rules", body: { name: unique("rule"), metric: "escalation.rate", op: ">", threshold: 0.3 } }),
    expect: adminsOnly,
  },
  {
    method: "DELETE",
    route: "/v1/alerts/rules/:id",
    async prepare(t) {
      const rule = await createAlertRule(ctx.store.db, {
        projectId: t.projectId,
        name: unique("rule"),
        metric: "x",
        op: ">",
        threshold: 1,
        actor: "user:test",
        now: Date.now(),
      });
      const id = (rule as { id: string }).id;
      return {
        path: `/v1/alerts/rules/${id}`,
        unchanged: async () => expect((await listAlertRules(ctx.store.db, t.projectId)).some((r) => r.id === id)).toBe(true),
      };
    },
    expect: adminsOnly,
  },
  {
    method: "POST",
    route: "/v1/thresholds/changes/:id/revert",
    async prepare(t) {
      const workflow = unique("wf");
      await putPolicy(ctx.store.client, {
        projectId: t.projectId,
        workflow,
        step: "s",
        patch: { minConfidence: 0.9 },
        actor: "system:auto-tighten",
        now: Date.now(),
      });
      const id = await recordThresholdChange(ctx.store.client, {
        projectId: t.projectId,
        workflow,
        step: "s",
        version: "1",
        before: 0.7,
        after: 0.9,
        evidence: {},
        policyRevision: 1,
        now: Date.now(),
      });
      return {
        path: `/v1/thresholds/changes/${id}/revert`,
        body: {},
        unchanged: async () => expect((await getThresholdChange(ctx.store.db, t.projectId, id))!.status).toBe("applied"),
      };
    },
    expect: adminsOnly,
  },

  // Review webhooks are project configuration: admins only.
  { method: "GET", route: "/v1/webhooks", prepare: async () => ({ path: "/v1/webhooks" }), expect: adminsOnly },
  {
    method: "POST",
    route: "/v1/webhooks",
    prepare: async () => ({ path: "/v1/webhooks", body: { url: "https://hooks.example.com/review", events: ["escalation.resolved"] } }),
    expect: adminsOnly,
  },
  { method: "DELETE", route: "/v1/webhooks/:id", prepare: async () => ({ path: `/v1/webhooks/${await existingWebhook()}` }), expect: adminsOnly },
  {
    method: "GET",
    route: "/v1/webhooks/:id/deliveries",
    prepare: async () => ({ path: `/v1/webhooks/${await existingWebhook()}/deliveries` }),
    expect: adminsOnly,
  },
];

/** Routes outside the matrix: public, or sign-in itself (tested in routes/auth.test.ts), or ingest (events tests). */
const OUTSIDE = new Set([
  "ALL /*",
  "GET /",
  "GET /healthz",
  "GET /openapi.json",
  "GET /reference",
  "POST /v1/auth/login",
  "POST /v1/auth/logout",
  "POST /v1/events",
  // Its own token rule (routes/metrics.ts), tested in test/contract/metrics.test.ts.
  "GET /metrics",
  // Every other method on the OTLP paths: 405 (ingest/otlp/routes.test.ts).
  "ALL /v1/traces",
  "ALL /v1/logs",
]);

describe("role matrix: routes × callers", () => {
  it("has a row for every route the app mounts", () => {
    const rows = new Set(ROUTES.map((rc) => `${rc.method} ${rc.route.replace(/ \(.*\)$/, "")}`));
    const missing = [...new Set(ctx.app.routes.map((r) => `${r.method} ${r.path}`))].filter((r) => !OUTSIDE.has(r) && !rows.has(r));
    expect(missing).toEqual([]);
  });

  for (const rc of ROUTES) {
    describe(`${rc.method} ${rc.route}`, () => {
      for (const who of CALLERS) {
        const outcome = rc.expect[who];
        it(`${who} → ${outcome === "allow" ? "allowed" : outcome}`, async () => {
          const prepared = await rc.prepare(team);
          const r = await send(rc.method, prepared.path, who, prepared.body);
          if (outcome === "allow") {
            expect([401, 403], r.text).not.toContain(r.status);
            // Past authorization, a plausible request is never a server fault, and the route exists.
            expect(r.status, r.text).toBeLessThan(500);
            expect(r.text).not.toMatch(/"no route for /);
          } else {
            expect(r.status, r.text).toBe(outcome);
            expect(r.code).toBe(outcome === 401 ? "unauthorized" : "forbidden");
            await prepared.unchanged?.();
          }
        });
      }
    });
  }
});

describe("the API reference and the dashboard say what the server does", () => {
  /** docs/api.md's "who may" table: row label → the callers it ticks. */
  function whoMayTable(): Map<string, Set<Caller>> {
    const doc = readFileSync(new URL("../../docs/api.md", import.meta.url), "utf8");
    // The header row, however its columns are padded.
    const head = doc.search(/^\|\s*who may\s*\|\s*admin\s*\|\s*lead\s*\|\s*analyst\s*\|\s*reviewer\s*\|\s*API key\s*\|$/m);
    expect(head, "docs/api.md's who-may table").toBeGreaterThan(0);
    const columns: Caller[] = ["admin", "lead", "analyst", "reviewer", "apiKey"];
    const rows = new Map<string, Set<Caller>>();
    for (const line of doc.slice(head).split("\n").slice(2)) {
      if (!line.startsWith("|")) break;
      const cells = line
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim());
      rows.set(cells[0]!, new Set(columns.filter((_, i) => cells[i + 1] === "✓")));
    }
    return rows;
  }
  const allowed = (group: Record<Caller, Outcome>) => new Set(CALLERS.filter((c) => group[c] === "allow"));

  it("ticks, in each row of its who-may table, exactly the callers the matrix allows", () => {
    const table = whoMayTable();
    for (const [group, label] of DOC_ROWS) {
      const row = [...table.entries()].find(([l]) => l.startsWith(label));
      expect(row, `docs/api.md row "${label}…"`).toBeDefined();
      expect(row![1], `docs/api.md row "${label}…"`).toEqual(allowed(group));
    }
    // Every row of the table is one the matrix checks.
    expect([...table.keys()].filter((l) => !DOC_ROWS.some(([, label]) => l.startsWith(label)))).toEqual([]);
  });

  it("offers each gated dashboard action to exactly the roles the server allows it", () => {
    const behind: Record<keyof typeof PERMISSIONS, string> = {
      verifyAudit: "POST /v1/audit/verifications",
      decide: "POST /v1/escalations/:id/decision",
      revertThreshold: "POST /v1/thresholds/changes/:id/revert",
    };
    for (const [action, route] of Object.entries(behind) as Array<[keyof typeof PERMISSIONS, string]>) {
      const rc = ROUTES.find((r) => `${r.method} ${r.route}` === route)!;
      const roles = (["admin", "lead", "reviewer", "analyst"] as const).filter((role) => rc.expect[role] === "allow");
      expect([...PERMISSIONS[action]].sort(), `${action} (${route})`).toEqual([...roles].sort());
    }
  });
});

describe("cross-origin state-changing requests with a session cookie are refused", () => {
  const crossSite: Array<[string, Record<string, string>]> = [
    ["Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }],
    ["Origin: https://evil.example", { origin: "https://evil.example" }],
  ];
  const changing = ROUTES.filter((rc) => UNSAFE.has(rc.method));

  for (const rc of changing) {
    const allowedRoles = USER_ROLES.filter((role) => rc.expect[role] === "allow");
    for (const role of allowedRoles) {
      for (const [label, headers] of crossSite) {
        it(`${rc.method} ${rc.route} as ${role} with ${label} → 403 cross_origin, nothing changed`, async () => {
          const prepared = await rc.prepare(team);
          const r = await send(rc.method, prepared.path, role, prepared.body, headers);
          expect(r.status, r.text).toBe(403);
          expect(r.code).toBe("cross_origin");
          await prepared.unchanged?.();
        });
      }
    }
  }

  it("covers every state-changing route that a signed-in user may call", () => {
    // A new route added to the table above with a user role is checked here automatically;
    // this guards against the filter silently matching nothing.
    expect(changing.filter((rc) => USER_ROLES.some((r) => rc.expect[r] === "allow")).length).toBeGreaterThanOrEqual(10);
  });

  it("refuses a cross-site login (login CSRF) and a cross-site logout", async () => {
    const u = await ctx.newUser(team.projectId, "reviewer");
    for (const [, headers] of crossSite) {
      const login = await ctx.app.request("http://seamtrace.test/v1/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ email: u.email, password: u.password }),
      });
      expect(login.status).toBe(403);
      expect(login.headers.get("set-cookie")).toBeNull();
      const logout = await ctx.app.request("http://seamtrace.test/v1/auth/logout", { method: "POST", headers: { cookie: u.cookie, ...headers } });
      expect(logout.status).toBe(403);
    }
    const me = await send("GET", "/v1/auth/me", "anonymous", undefined, { cookie: u.cookie });
    expect(me.status).toBe(200);
  });

  it("lets the same requests through from the UI's own origin (the matrix's allowed cells send Sec-Fetch-Site: same-origin)", async () => {
    const { escalationId } = await escalation();
    for (const headers of [{ "sec-fetch-site": "same-origin" }, { origin: "http://seamtrace.test" }] as Array<Record<string, string>>) {
      const r = await send("POST", `/v1/escalations/${escalationId}/claim`, "reviewer", undefined, headers);
      expect(r.status, r.text).toBe(200);
    }
  });
});
