import type { ErrorBody } from "@seamtrace/sdk";
import type { Role } from "../src/app/deps.js";
import type { DecisionResponse, EscalationDetail, QueueResponse } from "../src/modules/review/contract.js";
import type { JobName } from "../src/modules/jobs/names.js";
import type { TestContext } from "./testing.js";
import { call, escalatedRun, postBatches, type Caller } from "./review-fixtures.js";
import { refFromStored } from "../src/platform/db/stored-id.js";

// Team review scenarios: a project with several people, policies set through the API, and the
// review routes as the dashboard calls them.

export type Person = Caller & { userId: string; email: string };

export interface Team {
  projectId: string;
  key: string;
  admin: Person;
  lead: Person;
  /** Three reviewers, for N = 3. */
  a: Person;
  b: Person;
  c: Person;
  analyst: Person;
}

let counter = 0;
/** A workflow name no other test uses, so its policy is its own. */
export const freshWorkflow = (prefix = "team") => `${prefix}-${++counter}-${Date.now()}`;

export async function makeTeam(ctx: TestContext): Promise<Team> {
  const p = await ctx.newProject();
  const person = async (role: Role): Promise<Person> => {
    const u = await ctx.newUser(p.projectId, role);
    return { cookie: u.cookie, userId: u.userId, email: u.email };
  };
  return {
    projectId: p.projectId,
    key: p.key,
    admin: await person("admin"),
    lead: await person("lead"),
    a: await person("reviewer"),
    b: await person("reviewer"),
    c: await person("reviewer"),
    analyst: await person("analyst"),
  };
}

export type Answer<T> = { status: number; body: T & ErrorBody };

/** Sets a workflow-wide policy through the API, as an admin does. */
export async function setPolicy(ctx: TestContext, t: Team, workflow: string, policy: Record<string, unknown>, step?: string): Promise<void> {
  const path = step ? `/v1/policies/${workflow}/steps/${step}` : `/v1/policies/${workflow}`;
  const res = await call<ErrorBody>(ctx, "PUT", path, t.admin, { ...policy, reason: "team review test" });
  if (res.status >= 300) throw new Error(`PUT ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
}

/** An escalated run of `workflow`, posted through the collector. */
export async function escalate(ctx: TestContext, t: Team, workflow: string, t0?: number) {
  const run = escalatedRun(t0, workflow);
  await postBatches(ctx, t.key, run.batches);
  return run;
}

export const decide = (ctx: TestContext, id: string, who: Caller, body: unknown) =>
  call<DecisionResponse & ErrorBody>(ctx, "POST", `/v1/escalations/${id}/decision`, who, body) as Promise<Answer<DecisionResponse>>;
export const adjudicate = (ctx: TestContext, id: string, who: Caller, body: unknown) =>
  call<DecisionResponse & ErrorBody>(ctx, "POST", `/v1/escalations/${id}/adjudication`, who, body) as Promise<Answer<DecisionResponse>>;
export const detail = (ctx: TestContext, id: string, who: Caller) =>
  call<EscalationDetail & ErrorBody>(ctx, "GET", `/v1/escalations/${id}`, who) as Promise<Answer<EscalationDetail>>;
export const queue = (ctx: TestContext, who: Caller, params: Record<string, string> = {}) =>
  call<QueueResponse & ErrorBody>(ctx, "GET", `/v1/escalations?${new URLSearchParams(params)}`, who) as Promise<Answer<QueueResponse>>;

/** Runs a job through the scheduler (so it reads the test clock) and waits for it. */
export async function runJob(ctx: TestContext, name: JobName): Promise<Record<string, unknown>> {
  const started = await ctx.deps.jobs.start(name, { trigger: "manual", actor: "test" });
  if (started.status !== "started") throw new Error(`job ${name}: ${started.status}`);
  const done = await started.done;
  if (done.outcome !== "ok") throw new Error(`job ${name} failed: ${done.error}`);
  return done.details as Record<string, unknown>;
}

/** The project's audit entries with `action`, oldest first, with their payloads. */
export async function auditEntries(
  ctx: TestContext,
  projectId: string,
  action: string,
): Promise<Array<{ actor: string; subject: string; payload: Record<string, unknown> }>> {
  const rs = await ctx.store.client.execute({
    sql: `SELECT l.actor, l.subject, p.body FROM audit_log l LEFT JOIN audit_payloads p ON p.project_key = l.project_key AND p.seq = l.seq
          WHERE l.project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND l.action = ? ORDER BY l.seq`,
    args: [projectId, action],
  });
  return rs.rows.map((r) => ({
    actor: refFromStored(r[0]),
    subject: refFromStored(r[1]),
    payload: JSON.parse(String(r[2] ?? "null")) as Record<string, unknown>,
  }));
}

/** Webhook deliveries queued for the project, by event, oldest first. */
export async function queuedWebhooks(ctx: TestContext, projectId: string, event?: string): Promise<Array<{ event: string; data: Record<string, unknown> }>> {
  const rs = await ctx.store.client.execute({
    sql: `SELECT event, payload FROM webhook_deliveries WHERE project_id = ? ${event ? "AND event = ?" : ""} ORDER BY created_at, rowid`,
    args: event ? [projectId, event] : [projectId],
  });
  return rs.rows.map((r) => ({ event: String(r[0]), data: (JSON.parse(String(r[1])) as { data: Record<string, unknown> }).data }));
}

export async function labelsOf(ctx: TestContext, projectId: string, escalationId: string) {
  const rs = await ctx.store.client.execute({
    sql: "SELECT actor, correct, value, source FROM labels WHERE project_id = ? AND escalation_id = ?",
    args: [projectId, escalationId],
  });
  return rs.rows.map((r) => ({
    actor: String(r[0]),
    correct: r[1] === null ? null : Number(r[1]) === 1,
    value: r[2] === null ? null : (JSON.parse(String(r[2])) as unknown),
    source: String(r[3]),
  }));
}
