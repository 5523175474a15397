import type { RunState } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { call } from "../../../test-support/review-fixtures.js";
import { createWebhook } from "../webhooks/store.js";
import { createAlertRule } from "../analytics/alerts-store.js";
import { AGEING_METRICS } from "./deadlines-job.js";
import {
  auditEntries,
  decide,
  detail,
  escalate,
  freshWorkflow,
  labelsOf,
  makeTeam,
  queuedWebhooks,
  runJob,
  setPolicy,
  type Team,
} from "../../../test-support/team-fixtures.js";

/**
 * Deadlines on a fake clock: the escalations are made at T0 (event time), the job runs at
 * whatever `clock` says, so "an hour later" is one assignment, never a wait.
 */
const T0 = Date.UTC(2025, 5, 2, 9, 0);
const HOUR = 3_600_000;
let ctx: TestContext;
let clock = T0;
let t: Team;
beforeAll(async () => {
  ctx = await createTestContext();
  ctx.deps.now = () => clock;
  t = await makeTeam(ctx);
  await createWebhook(ctx.store.db, {
    projectId: t.projectId,
    actor: "user:test",
    url: "https://hooks.example.test/x",
    events: ["review.due", "review.expired", "escalation.resolved"],
  });
});
afterAll(() => ctx.close());

const runState = async (runId: string) => (await call<RunState>(ctx, "GET", `/v1/runs/${runId}/state`, { key: t.key })).body;
const hooksFor = async (event: string, id: string) => (await queuedWebhooks(ctx, t.projectId, event)).filter((w) => w.data.escalationId === id);

/** An escalation made at T0 under a two-hour deadline with `onExpiry`. */
async function dueIn2h(onExpiry: string, extra: Record<string, unknown> = {}) {
  const wf = freshWorkflow("deadline");
  await setPolicy(ctx, t, wf, { reviewBy: 2 * HOUR, onExpiry, ...extra });
  return escalate(ctx, t, wf, T0 - 300);
}

describe("review deadlines", () => {
  it("does nothing before half the deadline, sends review.due once past it, and nothing twice", async () => {
    const run = await dueIn2h("reject");
    clock = T0 + HOUR - 1_000;
    await runJob(ctx, "review-deadlines");
    expect(await hooksFor("review.due", run.escalationId)).toEqual([]);
    clock = T0 + HOUR;
    await runJob(ctx, "review-deadlines");
    await runJob(ctx, "review-deadlines");
    const due = await hooksFor("review.due", run.escalationId);
    expect(due).toHaveLength(1);
    expect(due[0]!.data).toMatchObject({ dueAt: new Date(T0 + 2 * HOUR).toISOString(), onExpiry: "reject", status: "open" });
    expect((await detail(ctx, run.escalationId, t.analyst)).body.status).toBe("open");
    // Decided in time: the deadline no longer applies (and the next test counts only its own).
    expect((await decide(ctx, run.escalationId, t.a, { decision: "accept", reason: "in time" })).status).toBe(200);
  });

  it("onExpiry reject: at the deadline the escalation expires rejected, the run resumes and fails, no label, audited", async () => {
    const run = await dueIn2h("reject");
    clock = T0 + 2 * HOUR - 1;
    await runJob(ctx, "review-deadlines");
    expect((await detail(ctx, run.escalationId, t.analyst)).body.status).toBe("open");
    clock = T0 + 2 * HOUR;
    const details = await runJob(ctx, "review-deadlines");
    expect(details).toMatchObject({ rejected: 1 });
    expect((await detail(ctx, run.escalationId, t.analyst)).body).toMatchObject({
      status: "expired",
      decision: "reject",
      resolution: "expired",
      reviewerId: null,
    });
    expect((await runState(run.runId)).escalation).toMatchObject({ status: "resolved", decision: "reject" });
    expect(await labelsOf(ctx, t.projectId, run.escalationId)).toEqual([]);
    const audit = (await auditEntries(ctx, t.projectId, "escalation.expired")).filter((e) => e.subject === `escalation:${run.escalationId}`);
    expect(audit).toEqual([expect.objectContaining({ actor: "system:review-deadlines", payload: expect.objectContaining({ onExpiry: "reject" }) })]);
    expect(await hooksFor("review.expired", run.escalationId)).toHaveLength(1);
    expect(await hooksFor("escalation.resolved", run.escalationId)).toHaveLength(1);
    // The resume worker sees it like any settled review, and claims it once.
    const claim = await call<{ claimed: boolean }>(ctx, "POST", `/v1/runs/${run.runId}/resume`, { key: t.key }, { escalationId: run.escalationId });
    expect(claim.body.claimed).toBe(true);
    // Too late for a reviewer.
    expect((await decide(ctx, run.escalationId, t.a, { decision: "accept", reason: "late" })).body.error.code).toBe("expired");
  });

  it("onExpiry accept-flagged: the run goes on with its own output, flagged, and nothing becomes ground truth", async () => {
    const run = await dueIn2h("accept-flagged");
    clock = T0 + 3 * HOUR;
    expect(await runJob(ctx, "review-deadlines")).toMatchObject({ acceptedFlagged: 1 });
    expect((await detail(ctx, run.escalationId, t.analyst)).body).toMatchObject({ status: "expired", decision: "accept", resolution: "expired" });
    expect((await runState(run.runId)).escalation).toMatchObject({
      status: "resolved",
      decision: "accept",
      flagged: true,
      output: { amount: 25_000, currency: "EUR" },
    });
    expect(await labelsOf(ctx, t.projectId, run.escalationId)).toEqual([]);
  });

  it("onExpiry reassign: claims are dropped, the deadline restarts, reviewers can still decide, and review.due comes again", async () => {
    const run = await dueIn2h("reassign");
    clock = T0 + HOUR;
    expect((await call(ctx, "POST", `/v1/escalations/${run.escalationId}/claim`, t.a)).status).toBe(200);
    await runJob(ctx, "review-deadlines"); // past half: review.due
    clock = T0 + 2 * HOUR + 5_000;
    expect(await runJob(ctx, "review-deadlines")).toMatchObject({ reassigned: 1 });
    const d = (await detail(ctx, run.escalationId, t.analyst)).body;
    expect(d).toMatchObject({ status: "open", claimedBy: null, claimLive: false, dueAt: new Date(clock + 2 * HOUR).toISOString(), decision: null });
    const expired = await hooksFor("review.expired", run.escalationId);
    expect(expired.map((h) => h.data.onExpiry)).toEqual(["reassign"]);
    // Another reviewer picks it up, which the first one's claim would have prevented.
    clock += HOUR;
    await runJob(ctx, "review-deadlines");
    expect(await hooksFor("review.due", run.escalationId)).toHaveLength(2);
    expect((await decide(ctx, run.escalationId, t.b, { decision: "accept", reason: "fine" })).status).toBe(200);
    expect((await runState(run.runId)).escalation).toMatchObject({ status: "resolved", decision: "accept" });
  });

  it("leaves settled escalations and those without a deadline alone", async () => {
    const settled = await dueIn2h("reject");
    clock = T0 + HOUR / 2;
    expect((await decide(ctx, settled.escalationId, t.a, { decision: "accept", reason: "fine" })).status).toBe(200);
    const noDeadline = await escalate(ctx, t, freshWorkflow("no-deadline"), T0 - 300);
    clock = T0 + 100 * HOUR;
    await runJob(ctx, "review-deadlines");
    expect((await detail(ctx, settled.escalationId, t.analyst)).body).toMatchObject({ status: "resolved", decision: "accept", resolution: "single" });
    expect((await detail(ctx, noDeadline.escalationId, t.analyst)).body).toMatchObject({ status: "open", dueAt: null });
  });

  it("applies the fallback to a disputed escalation whose adjudicator did not come in time", async () => {
    const run = await dueIn2h("reject", { reviewers: 2 });
    clock = T0 + HOUR / 4;
    await decide(ctx, run.escalationId, t.a, { decision: "accept", reason: "ok" });
    await decide(ctx, run.escalationId, t.b, { decision: "reject", reason: "no" });
    expect((await detail(ctx, run.escalationId, t.analyst)).body.status).toBe("disputed");
    clock = T0 + 2 * HOUR;
    await runJob(ctx, "review-deadlines");
    expect((await detail(ctx, run.escalationId, t.analyst)).body).toMatchObject({ status: "expired", decision: "reject" });
  });
});

describe("queue ageing", () => {
  it("reports decision time p50/p95 and items past half their deadline per group, stores them as metrics, and an alert rule fires on them", async () => {
    const team = await makeTeam(ctx);
    const wf = freshWorkflow("ageing");
    await setPolicy(ctx, team, wf, { reviewBy: 10 * HOUR, onExpiry: "reassign", reviewGroup: "ageing" });
    const put = await call(ctx, "PUT", "/v1/review/groups/ageing", team.admin, { members: [team.a.userId] });
    expect(put.status).toBe(201);
    const base = Date.UTC(2025, 5, 3, 8, 0);
    // Five items settled 1..5 minutes after creation, and two still waiting.
    for (let i = 1; i <= 5; i++) {
      const run = await escalate(ctx, team, wf, base);
      clock = Date.parse(run.reserve.time) + i * 60_000;
      expect((await decide(ctx, run.escalationId, team.a, { decision: "accept", reason: "ok" })).status).toBe(200);
    }
    await escalate(ctx, team, wf, base);
    await escalate(ctx, team, wf, base + 6 * HOUR);
    clock = base + 6 * HOUR; // the first waiting one is past half its deadline (5 h), the second is not
    const ageing = await call<{ groups: Array<Record<string, unknown>> }>(ctx, "GET", "/v1/review/ageing", { key: team.key });
    expect(ageing.status).toBe(200);
    expect(ageing.body.groups).toEqual([{ group: "ageing", decided: 5, p50Ms: 3 * 60_000, p95Ms: 5 * 60_000, waiting: 2, pastHalfDeadline: 1, overdue: 0 }]);

    await createAlertRule(ctx.store.db, {
      projectId: team.projectId,
      name: "items past half their deadline",
      metric: AGEING_METRICS.pastHalf,
      op: ">=",
      threshold: 1,
      actor: "user:test",
      now: clock,
    });
    await runJob(ctx, "review-deadlines");
    const metrics = await ctx.store.client.execute({
      sql: "SELECT metric, step, value FROM metrics WHERE project_id = ? AND metric LIKE 'review.%' ORDER BY metric",
      args: [team.projectId],
    });
    expect(Object.fromEntries(metrics.rows.map((r) => [String(r.metric), [String(r.step), Number(r.value)]]))).toEqual({
      [AGEING_METRICS.p50]: ["ageing", 3 * 60_000],
      [AGEING_METRICS.p95]: ["ageing", 5 * 60_000],
      [AGEING_METRICS.pastHalf]: ["ageing", 1],
      [AGEING_METRICS.overdue]: ["ageing", 0],
      [AGEING_METRICS.waiting]: ["ageing", 2],
    });
    await runJob(ctx, "alerts");
    const alerts = await call<{ items: Array<{ metric: string; step: string | null; status: string; value: number }> }>(ctx, "GET", "/v1/alerts", {
      key: team.key,
    });
    expect(alerts.body.items.filter((a) => a.metric === AGEING_METRICS.pastHalf)).toEqual([
      expect.objectContaining({ step: "ageing", status: "firing", value: 1 }),
    ]);
  });
});
