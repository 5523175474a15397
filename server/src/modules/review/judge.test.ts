import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { Seamtrace, type JudgeItem, type RequestFn, type RunState } from "@seamtrace/sdk";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { call } from "../../../test-support/review-fixtures.js";
import type { AgreementResponse, JudgeItemsResponse, JudgementResponse } from "./team-contract.js";
import { createWebhook } from "../webhooks/store.js";
import {
  auditEntries,
  decide,
  detail,
  escalate,
  freshWorkflow,
  labelsOf,
  makeTeam,
  queue,
  queuedWebhooks,
  runJob,
  type Team,
} from "../../../test-support/team-fixtures.js";

let ctx: TestContext;
let clock = Date.now();
let t: Team;
beforeAll(async () => {
  ctx = await createTestContext();
  ctx.deps.now = () => clock;
  t = await makeTeam(ctx);
  await createWebhook(ctx.store.db, { projectId: t.projectId, actor: "user:test", url: "https://hooks.example.test/x", events: ["escalation.created"] });
});
afterAll(() => ctx.close());

const putJudge = (workflow: string, body: Record<string, unknown>) => call(ctx, "PUT", `/v1/review/judges/${workflow}/steps/reserve`, t.admin, body);
const judgement = (id: string, body: Record<string, unknown>) =>
  call<JudgementResponse & { error?: { code: string } }>(ctx, "POST", `/v1/escalations/${id}/judgement`, { key: t.key }, body);
const runState = async (runId: string) => (await call<RunState>(ctx, "GET", `/v1/runs/${runId}/state`, { key: t.key })).body;

/** A step with a judge in front of it, and an escalation of it made `t0` (default: long before the judge's timeout ran out). */
async function judged(body: Record<string, unknown> = {}, t0?: number) {
  const wf = freshWorkflow("judged");
  expect((await putJudge(wf, { name: "checker", kind: "worker", minConfidence: 0.9, sampleRate: 0, ...body })).status).toBe(201);
  return { wf, run: await escalate(ctx, t, wf, t0) };
}

describe("staged review with a worker judge", () => {
  it("keeps the escalation from people until the judge answers, and hands it to the judge's poll", async () => {
    const { run } = await judged();
    expect((await queue(ctx, t.admin, { status: "all" })).body.items.map((i) => i.id)).not.toContain(run.escalationId);
    expect((await detail(ctx, run.escalationId, t.a)).body.canDecide).toBe(false);
    expect((await decide(ctx, run.escalationId, t.a, { decision: "accept", reason: "r" })).body.error.code).toBe("awaiting_judge");
    expect((await queuedWebhooks(ctx, t.projectId, "escalation.created")).map((w) => w.data.escalationId)).not.toContain(run.escalationId);
    const items = await call<JudgeItemsResponse>(ctx, "GET", "/v1/review/judge-items?judge=checker", { key: t.key });
    expect(items.body.items.find((i) => i.escalationId === run.escalationId)).toMatchObject({
      step: "reserve",
      output: { amount: 25_000, currency: "EUR" },
      input: { kind: "water", holder: "A. Jones" },
      confidence: 0.55,
      alternatives: [
        { amount: 12_000, currency: "EUR" },
        { amount: 2_500, currency: "EUR" },
      ],
    });
    expect((await call(ctx, "GET", "/v1/review/judge-items?judge=checker", t.admin)).status).toBe(401);
  });

  it("settles what it is sure of: the run resumes with its decision, audited as judge:<name>, and no label", async () => {
    const { run } = await judged();
    const res = await judgement(run.escalationId, {
      judge: "checker",
      decision: "correct",
      output: { amount: 9_000, currency: "EUR" },
      confidence: 0.95,
      reason: "limit is 9k",
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: "settled", sampled: false });
    expect((await detail(ctx, run.escalationId, t.analyst)).body).toMatchObject({
      status: "resolved",
      decision: "correct",
      resolution: "judge",
      reviewerId: null,
    });
    expect((await runState(run.runId)).escalation).toMatchObject({ status: "resolved", decision: "correct", output: { amount: 9_000, currency: "EUR" } });
    expect(await labelsOf(ctx, t.projectId, run.escalationId)).toEqual([]);
    const audit = (await auditEntries(ctx, t.projectId, "judge.decided")).find((e) => e.subject === `escalation:${run.escalationId}`)!;
    expect(audit).toMatchObject({ actor: "judge:checker", payload: { confidence: 0.95, outcome: "settled", via: expect.stringMatching(/^sdk:/) } });
    expect((await auditEntries(ctx, t.projectId, "escalation.decided")).find((e) => e.subject === `escalation:${run.escalationId}`)?.actor).toBe(
      "judge:checker",
    );
    // Answered: a second answer, or another judge's, is refused.
    expect((await judgement(run.escalationId, { judge: "checker", decision: "accept", confidence: 1, reason: "again" })).body.error?.code).toBe(
      "not_awaiting_judge",
    );
  });

  it("hands what it is unsure of to people, announced then; people decide, and the judge's decision stays on record beside theirs", async () => {
    const { run } = await judged();
    expect((await judgement(run.escalationId, { judge: "checker", decision: "accept", confidence: 0.5, reason: "not sure" })).body.outcome).toBe("to_people");
    expect((await queue(ctx, t.a)).body.items.map((i) => i.id)).toContain(run.escalationId);
    expect((await queuedWebhooks(ctx, t.projectId, "escalation.created")).map((w) => w.data.escalationId)).toContain(run.escalationId);
    expect((await decide(ctx, run.escalationId, t.a, { decision: "reject", reason: "not covered" })).body.escalation).toMatchObject({
      status: "resolved",
      decision: "reject",
      resolution: "single",
    });
    expect((await detail(ctx, run.escalationId, t.a)).body.reviews.map((r) => [r.role, r.actor, r.decision])).toEqual([
      ["judge", "judge:checker", "accept"],
      ["reviewer", `user:${t.a.userId}`, "reject"],
    ]);
  });

  it("sends a sample of what it was sure of to people, to measure it", async () => {
    const { run } = await judged({ sampleRate: 1 });
    expect((await judgement(run.escalationId, { judge: "checker", decision: "accept", confidence: 0.99, reason: "sure" })).body).toMatchObject({
      outcome: "to_people",
      sampled: true,
    });
    expect((await detail(ctx, run.escalationId, t.analyst)).body.status).toBe("open");
  });

  it("hands the item to people when the judge does not answer within its timeout", async () => {
    const { run } = await judged({ timeoutMs: 60_000 });
    clock = Date.parse(run.reserve.time) + 59_000;
    await runJob(ctx, "review-judge");
    expect((await detail(ctx, run.escalationId, t.a)).body.canDecide).toBe(false);
    clock = Date.parse(run.reserve.time) + 60_000;
    expect(await runJob(ctx, "review-judge")).toMatchObject({ timedOut: 1 });
    expect((await detail(ctx, run.escalationId, t.a)).body.canDecide).toBe(true);
    expect((await auditEntries(ctx, t.projectId, "judge.timed_out")).map((e) => e.subject)).toContain(`escalation:${run.escalationId}`);
    clock = Date.now();
  });

  it("is measured like a reviewer: its agreement with people shows in the agreement report", async () => {
    const wf = freshWorkflow("measured-judge");
    expect((await putJudge(wf, { name: "measured", kind: "worker", minConfidence: 0.99, sampleRate: 0 })).status).toBe(201);
    for (const human of ["accept", "accept", "reject"]) {
      const run = await escalate(ctx, t, wf);
      await judgement(run.escalationId, { judge: "measured", decision: "accept", confidence: 0.5, reason: "unsure" });
      await decide(ctx, run.escalationId, t.b, { decision: human, reason: "checked" });
    }
    const report = await call<AgreementResponse>(ctx, "GET", `/v1/review/agreement?workflow=${wf}`, t.lead);
    const judge = report.body.raters.find((r) => r.rater === "judge:measured")!;
    expect(judge).toMatchObject({ items: 3, settledItems: 3, agreementWithSettled: 2 / 3, percentAgreement: 2 / 3 });
    expect(report.body.pairs).toEqual([expect.objectContaining({ a: "judge:measured", b: `user:${t.b.userId}`, items: 3, percentAgreement: 2 / 3 })]);
  });

  it("works from the SDK's worker: st.judge() answers the items, and the run resumes with its decision", async () => {
    const wf = freshWorkflow("sdk-judge");
    expect((await putJudge(wf, { name: "sdk-judge", kind: "worker", minConfidence: 0.8, sampleRate: 0 })).status).toBe(201);
    const run = await escalate(ctx, t, wf);
    const request = (async (url: string, init: RequestInit) => ctx.app.request(url, init)) as unknown as RequestFn;
    const errors: unknown[] = [];
    const st = new Seamtrace({ endpoint: "http://collector.test", apiKey: t.key, request, onError: (e) => errors.push(e), logger: false });
    const seen: JudgeItem[] = [];
    const stop = st.judge(
      "sdk-judge",
      (item) => {
        seen.push(item);
        return { decision: "reject", confidence: 0.9, reason: "not covered by the policy" };
      },
      { pollMs: 20 },
    );
    try {
      await expect.poll(async () => (await runState(run.runId)).escalation?.status, { timeout: 60_000, interval: 50 }).toBe("resolved");
    } finally {
      stop();
      await st.shutdown();
    }
    expect(seen.map((i) => i.escalationId)).toContain(run.escalationId);
    expect((await runState(run.runId)).escalation).toMatchObject({ decision: "reject", reason: "not covered by the policy" });
    expect(errors).toEqual([]);
  });
});

describe("staged review with an HTTP judge", () => {
  let judgeServer: ServerType;
  let url: string;
  const received: unknown[] = [];
  let answer: unknown = { decision: "accept", confidence: 0.97, reason: "matches the policy" };
  beforeAll(async () => {
    const app = new Hono().post("/judge", async (c) => {
      received.push(await c.req.json());
      return c.json(answer);
    });
    judgeServer = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
    });
    url = `http://127.0.0.1:${(judgeServer.address() as AddressInfo).port}/judge`;
  });
  afterAll(() => new Promise<void>((resolve) => judgeServer.close(() => resolve())));

  it("is asked by the review-judge job with the item, and its answer settles the escalation", async () => {
    // Made now: the judge's ten-minute timeout has not run out.
    const { run } = await judged({ kind: "http", url, name: "remote" }, clock);
    expect(await runJob(ctx, "review-judge")).toMatchObject({ settled: 1, failed: 0 });
    expect(received).toContainEqual(expect.objectContaining({ escalationId: run.escalationId, output: { amount: 25_000, currency: "EUR" } }));
    expect((await detail(ctx, run.escalationId, t.analyst)).body).toMatchObject({ status: "resolved", decision: "accept", resolution: "judge" });
    expect((await auditEntries(ctx, t.projectId, "judge.decided")).find((e) => e.subject === `escalation:${run.escalationId}`)).toMatchObject({
      actor: "judge:remote",
      payload: { via: "system:review-judge" },
    });
  });

  it("leaves the item waiting when the answer is not a judgement (and its timeout still applies)", async () => {
    answer = { decision: "maybe" };
    const { run } = await judged({ kind: "http", url, name: "confused" }, clock);
    expect(await runJob(ctx, "review-judge")).toMatchObject({ failed: 1 });
    expect((await detail(ctx, run.escalationId, t.a)).body).toMatchObject({ status: "open", canDecide: false });
  });

  it("refuses an http judge without a url, and a worker judge with one", async () => {
    expect((await putJudge(freshWorkflow(), { name: "x", kind: "http" })).status).toBe(400);
    expect((await putJudge(freshWorkflow(), { name: "x", kind: "worker", url })).status).toBe(400);
  });
});
