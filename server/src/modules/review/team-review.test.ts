import type { ErrorBody, RunState } from "@seamtrace/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { call } from "../../../test-support/review-fixtures.js";
import { createWebhook } from "../webhooks/store.js";
import {
  adjudicate,
  auditEntries,
  decide,
  detail,
  escalate,
  freshWorkflow,
  labelsOf,
  makeTeam,
  queuedWebhooks,
  setPolicy,
  type Team,
} from "../../../test-support/team-fixtures.js";

let ctx: TestContext;
let clock = Date.now();
beforeAll(async () => {
  ctx = await createTestContext();
  ctx.deps.now = () => clock;
});
beforeEach(() => {
  clock = Date.now();
});
afterAll(() => ctx.close());

const accept = { decision: "accept", reason: "the amount matches the policy limit" };
const reject = { decision: "reject", reason: "not covered" };
const correct = (amount: number) => ({ decision: "correct", output: { amount, currency: "EUR" }, reason: "deductible applies" });

const runState = async (t: Team, runId: string) => (await call<RunState>(ctx, "GET", `/v1/runs/${runId}/state`, { key: t.key })).body;

describe("policy fields for team review", () => {
  let t: Team;
  beforeAll(async () => {
    t = await makeTeam(ctx);
  });

  it("stores and serves reviewers, consensus, reviewBy, onExpiry and reviewGroup", async () => {
    const wf = freshWorkflow();
    const policy = { reviewers: 3, consensus: "majority", reviewBy: 3_600_000, onExpiry: "accept-flagged", reviewGroup: "claims-team" };
    const put = await call<Record<string, unknown>>(ctx, "PUT", `/v1/policies/${wf}`, t.admin, policy);
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject(policy);
    const served = await call<{ policies: Array<Record<string, unknown>> }>(ctx, "GET", `/v1/policies?workflow=${wf}`, { key: t.key });
    expect(served.body.policies[0]).toMatchObject(policy);
  });

  it.each([
    [{ reviewers: 0 }],
    [{ reviewers: 1.5 }],
    [{ reviewers: 26 }],
    [{ consensus: "most" }],
    [{ reviewBy: 10 }],
    [{ onExpiry: "ignore" }],
    [{ reviewGroup: "no spaces please" }],
  ])("refuses %j with 400", async (body) => {
    const res = await call<ErrorBody>(ctx, "PUT", `/v1/policies/${freshWorkflow()}`, t.admin, body);
    expect(res.status).toBe(400);
  });

  it("fixes the settings on the escalation when it is made: a later policy change does not move them", async () => {
    const wf = freshWorkflow();
    await setPolicy(ctx, t, wf, { reviewers: 2, consensus: "majority", reviewBy: 7_200_000, onExpiry: "reject" });
    const run = await escalate(ctx, t, wf);
    await setPolicy(ctx, t, wf, { reviewers: 1, reviewBy: null });
    const d = (await detail(ctx, run.escalationId, t.analyst)).body;
    expect(d).toMatchObject({
      reviewersRequired: 2,
      consensus: "majority",
      onExpiry: "reject",
      dueAt: new Date(Date.parse(run.reserve.time) + 7_200_000).toISOString(),
    });
  });

  it("takes a step's own field over the workflow's", async () => {
    const wf = freshWorkflow();
    await setPolicy(ctx, t, wf, { reviewers: 3, consensus: "majority" });
    await setPolicy(ctx, t, wf, { reviewers: 2 }, "reserve");
    const run = await escalate(ctx, t, wf);
    expect((await detail(ctx, run.escalationId, t.analyst)).body).toMatchObject({ reviewersRequired: 2, consensus: "majority" });
  });
});

describe("several reviewers, unanimous", () => {
  let t: Team;
  let wf: string;
  beforeAll(async () => {
    t = await makeTeam(ctx);
    wf = freshWorkflow();
    await setPolicy(ctx, t, wf, { reviewers: 2 });
    await createWebhook(ctx.store.db, {
      projectId: t.projectId,
      actor: "user:test",
      url: "https://hooks.example.test/x",
      events: ["escalation.resolved", "escalation.disputed"],
    });
  });

  it("keeps the run paused and writes no label until both have decided; then settles once, with one label", async () => {
    const run = await escalate(ctx, t, wf);
    const first = await decide(ctx, run.escalationId, t.a, accept);
    expect(first.status).toBe(200);
    expect(first.body.label).toBeNull();
    expect(first.body.review).toMatchObject({ role: "reviewer", actor: `user:${t.a.userId}`, decision: "accept" });
    expect(first.body.escalation).toMatchObject({ status: "in_review", decisions: 1, reviewersRequired: 2, decision: null, resolution: null });
    expect(await labelsOf(ctx, t.projectId, run.escalationId)).toEqual([]);
    expect((await runState(t, run.runId)).escalation).toMatchObject({ status: "open", decision: null });

    const second = await decide(ctx, run.escalationId, t.b, { ...accept, reason: "checked the policy" });
    expect(second.status).toBe(200);
    expect(second.body.escalation).toMatchObject({ status: "resolved", decision: "accept", resolution: "consensus", decisions: 2, reviewerId: t.a.userId });
    expect(second.body.label).toMatchObject({ correct: true, value: { amount: 25_000, currency: "EUR" }, actor: `user:${t.a.userId}` });
    expect(await labelsOf(ctx, t.projectId, run.escalationId)).toHaveLength(1);
    expect((await runState(t, run.runId)).escalation).toMatchObject({ status: "resolved", decision: "accept" });

    // Every individual decision is audited, and the settlement names them.
    const recorded = await auditEntries(ctx, t.projectId, "review.recorded");
    expect(recorded.filter((e) => e.subject === `escalation:${run.escalationId}`).map((e) => e.actor)).toEqual([`user:${t.a.userId}`, `user:${t.b.userId}`]);
    const decided = (await auditEntries(ctx, t.projectId, "escalation.decided")).find((e) => e.subject === `escalation:${run.escalationId}`)!;
    expect(decided.payload).toMatchObject({ resolution: "consensus", reviews: [first.body.review.id, second.body.review.id] });
    expect((await queuedWebhooks(ctx, t.projectId, "escalation.resolved")).filter((w) => w.data.escalationId === run.escalationId)).toHaveLength(1);
  });

  it("refuses a second decision by the same reviewer with 409 already_decided, and changes nothing", async () => {
    const run = await escalate(ctx, t, wf);
    expect((await decide(ctx, run.escalationId, t.a, accept)).status).toBe(200);
    const again = await decide(ctx, run.escalationId, t.a, reject);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("already_decided");
    expect((await detail(ctx, run.escalationId, t.analyst)).body).toMatchObject({ status: "in_review", decisions: 1 });
  });

  it("keeps decisions independent: while collecting, a reviewer sees only their own", async () => {
    const run = await escalate(ctx, t, wf);
    await decide(ctx, run.escalationId, t.a, accept);
    const forB = (await detail(ctx, run.escalationId, t.b)).body;
    expect(forB.reviews).toEqual([]);
    expect(forB).toMatchObject({ canDecide: true, myReview: null, canAdjudicate: false });
    const forA = (await detail(ctx, run.escalationId, t.a)).body;
    expect(forA.reviews.map((r) => r.actor)).toEqual([`user:${t.a.userId}`]);
    expect(forA.canDecide).toBe(false);
    // An analyst decides nothing, so sees them all.
    expect((await detail(ctx, run.escalationId, t.analyst)).body.reviews).toHaveLength(1);
  });

  it("lets a second reviewer decide while the first holds a claim: with several reviewers a claim keeps nobody out", async () => {
    const run = await escalate(ctx, t, wf);
    expect((await call(ctx, "POST", `/v1/escalations/${run.escalationId}/claim`, t.a)).status).toBe(200);
    expect((await decide(ctx, run.escalationId, t.b, accept)).status).toBe(200);
  });

  it("sends a disagreement to adjudication: disputed, announced, no label, and closed to reviewers", async () => {
    const run = await escalate(ctx, t, wf);
    await decide(ctx, run.escalationId, t.a, accept);
    const second = await decide(ctx, run.escalationId, t.b, reject);
    expect(second.status).toBe(200);
    expect(second.body.escalation).toMatchObject({ status: "disputed", decision: null });
    expect(second.body.label).toBeNull();
    expect(await labelsOf(ctx, t.projectId, run.escalationId)).toEqual([]);
    const hooks = (await queuedWebhooks(ctx, t.projectId, "escalation.disputed")).filter((w) => w.data.escalationId === run.escalationId);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.data).toMatchObject({ consensus: "unanimous", decisions: [{ decision: "accept" }, { decision: "reject" }] });
    expect((await decide(ctx, run.escalationId, t.c, accept)).body.error.code).toBe("disputed");
    expect((await runState(t, run.runId)).escalation?.status).toBe("open");
    // Once disputed, everyone sees the decisions side by side.
    const forC = (await detail(ctx, run.escalationId, t.c)).body;
    expect(forC.reviews.map((r) => r.decision)).toEqual(["accept", "reject"]);
    expect(forC).toMatchObject({ canDecide: false, canAdjudicate: false });
    expect((await detail(ctx, run.escalationId, t.lead)).body.canAdjudicate).toBe(true);
  });
});

describe("adjudication", () => {
  let t: Team;
  let wf: string;
  beforeAll(async () => {
    t = await makeTeam(ctx);
    wf = freshWorkflow();
    await setPolicy(ctx, t, wf, { reviewers: 2 });
  });

  async function disputed(first: unknown = accept, second: unknown = correct(12_000)) {
    const run = await escalate(ctx, t, wf);
    await decide(ctx, run.escalationId, t.a, first);
    const r = await decide(ctx, run.escalationId, t.b, second);
    expect(r.body.escalation.status).toBe("disputed");
    return run;
  }

  it("lets a lead settle a dispute: final, recorded with the decision it overrode, the one label, the run's value", async () => {
    const run = await disputed();
    const res = await adjudicate(ctx, run.escalationId, t.lead, { ...correct(12_000), reason: "the deductible applies" });
    expect(res.status).toBe(200);
    expect(res.body.escalation).toMatchObject({ status: "resolved", decision: "correct", resolution: "adjudicated", reviewerId: t.lead.userId });
    expect(res.body.review).toMatchObject({ role: "adjudicator", actor: `user:${t.lead.userId}` });
    const d = (await detail(ctx, run.escalationId, t.a)).body;
    const [a, b, adj] = d.reviews;
    // The adjudicator sided with b: a's accept was overridden, b's correction was not.
    expect(adj!.overrode).toEqual([a!.id]);
    expect(b!.decision).toBe("correct");
    expect(await labelsOf(ctx, t.projectId, run.escalationId)).toEqual([
      { actor: `user:${t.lead.userId}`, correct: false, value: { amount: 12_000, currency: "EUR" }, source: "review" },
    ]);
    expect((await runState(t, run.runId)).escalation).toMatchObject({ status: "resolved", decision: "correct", output: { amount: 12_000, currency: "EUR" } });
    const audit = (await auditEntries(ctx, t.projectId, "escalation.adjudicated")).find((e) => e.subject === `escalation:${run.escalationId}`)!;
    expect(audit.actor).toBe(`user:${t.lead.userId}`);
    expect(audit.payload).toMatchObject({ decision: "correct", overrode: [{ reviewId: a!.id, actor: `user:${t.a.userId}`, decision: "accept" }] });
    // Final: nobody decides or adjudicates it again.
    expect((await adjudicate(ctx, run.escalationId, t.admin, reject)).body.error.code).toBe("resolved");
  });

  it("records every reviewer decision as overridden when the adjudicator takes a third outcome", async () => {
    const run = await disputed();
    const res = await adjudicate(ctx, run.escalationId, t.admin, reject);
    expect(res.status).toBe(200);
    expect(res.body.review.overrode).toHaveLength(2);
    expect((await runState(t, run.runId)).escalation).toMatchObject({ decision: "reject" });
  });

  it("is refused to reviewers (403) and on an escalation that is not disputed (409 not_disputed)", async () => {
    const run = await disputed();
    expect((await adjudicate(ctx, run.escalationId, t.c, accept)).status).toBe(403);
    expect((await adjudicate(ctx, run.escalationId, t.analyst, accept)).status).toBe(403);
    expect((await detail(ctx, run.escalationId, t.analyst)).body.status).toBe("disputed");
    const open = await escalate(ctx, t, wf);
    const res = await adjudicate(ctx, open.escalationId, t.lead, accept);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("not_disputed");
  });

  it("checks an adjudicator's correction against the step's contract", async () => {
    const run = await disputed();
    const res = await adjudicate(ctx, run.escalationId, t.lead, { decision: "correct", output: { amount: -1, currency: "GBP" }, reason: "r" });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("contract_violation");
    expect((await detail(ctx, run.escalationId, t.analyst)).body.status).toBe("disputed");
  });
});

describe("several reviewers, majority", () => {
  let t: Team;
  let wf: string;
  beforeAll(async () => {
    t = await makeTeam(ctx);
    wf = freshWorkflow();
    await setPolicy(ctx, t, wf, { reviewers: 3, consensus: "majority" });
  });

  it("N = 3: two matching corrections outvote a reject; the label holds the corrected value", async () => {
    const run = await escalate(ctx, t, wf);
    expect((await decide(ctx, run.escalationId, t.a, reject)).body.escalation.status).toBe("in_review");
    expect((await decide(ctx, run.escalationId, t.b, correct(5_000))).body.escalation).toMatchObject({ status: "in_review", decisions: 2 });
    const third = await decide(ctx, run.escalationId, t.c, correct(5_000));
    expect(third.body.escalation).toMatchObject({ status: "resolved", decision: "correct", resolution: "consensus", reviewerId: t.b.userId });
    expect(third.body.label).toMatchObject({ value: { amount: 5_000, currency: "EUR" }, correct: false });
    expect((await runState(t, run.runId)).escalation).toMatchObject({ decision: "correct", output: { amount: 5_000, currency: "EUR" } });
  });

  it("N = 3: corrections to different values do not add up; three different outcomes are a dispute", async () => {
    const run = await escalate(ctx, t, wf);
    await decide(ctx, run.escalationId, t.a, accept);
    await decide(ctx, run.escalationId, t.b, correct(1));
    const third = await decide(ctx, run.escalationId, t.c, correct(2));
    expect(third.body.escalation.status).toBe("disputed");
  });

  it("N = 3: decides as soon as the third decision is in, not before, even if the first two agree", async () => {
    const run = await escalate(ctx, t, wf);
    await decide(ctx, run.escalationId, t.a, accept);
    expect((await decide(ctx, run.escalationId, t.b, accept)).body.escalation.status).toBe("in_review");
    expect((await decide(ctx, run.escalationId, t.c, reject)).body.escalation).toMatchObject({ status: "resolved", decision: "accept" });
  });
});

describe("two reviewers deciding at once", () => {
  it("records both and settles exactly once", async () => {
    const t = await makeTeam(ctx);
    const wf = freshWorkflow();
    await setPolicy(ctx, t, wf, { reviewers: 2 });
    for (let i = 0; i < 3; i++) {
      const run = await escalate(ctx, t, wf);
      const [x, y] = await Promise.all([decide(ctx, run.escalationId, t.a, accept), decide(ctx, run.escalationId, t.b, accept)]);
      expect([x.status, y.status]).toEqual([200, 200]);
      expect([x.body.label, y.body.label].filter((l) => l !== null)).toHaveLength(1);
      expect(await labelsOf(ctx, t.projectId, run.escalationId)).toHaveLength(1);
    }
  });
});
