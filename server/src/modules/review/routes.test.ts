import { createClient } from "@libsql/client";
import { uuidv7, type ErrorBody } from "@seamtrace/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ClaimResponse, DecisionResponse, EscalationDetail, LineageParent, QueueCountResponse, QueueResponse } from "./contract.js";
import { CLAIM_TTL_MS } from "./contract.js";
import { claimEscalation } from "./store.js";
import { decideEscalation } from "./decision-store.js";
import { isTransientStoreError } from "../../platform/db/store-errors.js";
import { listStepLabels } from "./labels-store.js";
import { TAKE_WRITE_LOCK } from "../../platform/db/sql.js";
import { createWebhook } from "../webhooks/store.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { postEvents, runEnded, runStarted, stepEvent } from "../../../test-support/events-fixtures.js";
import { call, escalatedRun, iso, postBatches, RESERVE_CONTRACT, reviewedStep, seedEscalation, type Caller } from "../../../test-support/review-fixtures.js";
import { storedId } from "../../platform/db/stored-id.js";

let ctx: TestContext;
/** The test clock; requests read it through deps.now. */
let clock = Date.now();
beforeAll(async () => {
  ctx = await createTestContext();
  ctx.deps.now = () => clock;
});
beforeEach(() => {
  clock = Date.now();
});
afterAll(() => ctx.close());

type Err = ErrorBody;

interface Team {
  projectId: string;
  key: string;
  admin: Caller & { userId: string };
  reviewer: Caller & { userId: string };
  reviewer2: Caller & { userId: string };
  analyst: Caller & { userId: string };
}

async function team(): Promise<Team> {
  const p = await ctx.newProject();
  const user = async (role: "admin" | "reviewer" | "analyst") => {
    const u = await ctx.newUser(p.projectId, role);
    return { cookie: u.cookie, userId: u.userId };
  };
  return {
    projectId: p.projectId,
    key: p.key,
    admin: await user("admin"),
    reviewer: await user("reviewer"),
    reviewer2: await user("reviewer"),
    analyst: await user("analyst"),
  };
}

/** An escalated run posted through the collector; returns the scenario and the escalation id. */
async function escalated(t: Team, t0?: number) {
  const run = escalatedRun(t0);
  await postBatches(ctx, t.key, run.batches);
  return run;
}

const detail = (id: string, who: Caller) => call<EscalationDetail & Err>(ctx, "GET", `/v1/escalations/${id}`, who);
const claim = (id: string, who: Caller) => call<ClaimResponse & Err>(ctx, "POST", `/v1/escalations/${id}/claim`, who);
const decide = (id: string, who: Caller, body: unknown) => call<DecisionResponse & Err>(ctx, "POST", `/v1/escalations/${id}/decision`, who, body);
const queue = (who: Caller, params: Record<string, string | number> = {}) =>
  call<QueueResponse & Err>(
    ctx,
    "GET",
    "/v1/escalations?" + new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])),
    who,
  );

async function labelCount(projectId: string): Promise<number> {
  const rs = await ctx.store.client.execute({ sql: "SELECT count(*) FROM labels WHERE project_id = ?", args: [projectId] });
  return Number(rs.rows[0]![0]);
}

describe("escalations projected from SDK events", () => {
  let t: Team;
  let run: ReturnType<typeof escalatedRun>;
  beforeAll(async () => {
    t = await team();
    await createWebhook(ctx.store.db, { projectId: t.projectId, actor: "user:test", url: "https://hooks.example.test/x", events: ["escalation.created"] });
    run = await escalated(t);
  });

  it("makes an open blocking escalation with the whole packet, and pauses the run", async () => {
    const res = await detail(run.escalationId, t.reviewer);
    expect(res.status).toBe(200);
    const e = res.body;
    expect(e).toMatchObject({
      id: run.escalationId,
      runId: run.runId,
      stepId: run.reserve.stepId,
      workflow: "claims",
      version: "3",
      step: "reserve",
      kind: "escalate",
      blocking: true,
      gateKinds: ["confidence", "cumulative"],
      samplingRate: null,
      confidence: 0.55,
      cumulative: 0.356,
      status: "open",
      decision: null,
      claimedBy: null,
      claimLive: false,
      createdAt: run.reserve.time,
      correctedOutput: null,
      reason: null,
      alternative: null,
    });
    expect(e.packet).toMatchObject({
      input: { kind: "water", holder: "A. Jones" },
      output: { amount: 25_000, currency: "EUR" },
      confidence: 0.55,
      cumulative: 0.356,
      reasoning: "large claim, policy limit unclear",
      alternatives: [
        { amount: 12_000, currency: "EUR" },
        { amount: 2_500, currency: "EUR" },
      ],
      gateKinds: ["confidence", "cumulative"],
      gate: { outcome: "escalate", minConfidence: 0.8, minCumulative: 0.5 },
      lineage: { source: "inferred", stale: false, flagged: false },
      run: { id: run.runId, key: run.start.key, input: { subject: "Flooded kitchen", body: "Water everywhere." } },
    });
    // Lineage: one parent stored by an earlier batch, one from this batch, one never reported.
    expect(e.packet.lineage.parents).toEqual<LineageParent[]>([
      {
        stepId: run.classify.stepId,
        found: true,
        step: "classify",
        output: "water",
        confidence: 0.8,
        cumulative: 0.72,
        source: "inferred",
        stale: false,
        flagged: false,
      },
      {
        stepId: run.match.stepId,
        found: true,
        step: "match-policy",
        output: { holder: "A. Jones" },
        confidence: 1,
        cumulative: 0.9,
        source: "direct",
        stale: false,
        flagged: false,
      },
      { stepId: run.unreported, found: false },
    ]);
    // The run so far: stored steps and the batch's own, in execution order, not the step itself.
    expect(e.packet.runSoFar.truncated).toBe(false);
    expect(e.packet.runSoFar.steps.map((s) => [s.step, s.output])).toEqual([
      ["extract", { policyNo: "P-1234", amount: 1200 }],
      ["classify", "water"],
      ["match-policy", { holder: "A. Jones" }],
    ]);
    expect(e.contract).toEqual({ jsonSchema: RESERVE_CONTRACT, vendor: "zod" });

    const runRes = await call<{ run: { status: string; stopStepId: string } }>(ctx, "GET", `/v1/runs/${run.runId}`, { key: t.key });
    expect(runRes.body.run).toMatchObject({ status: "paused", stopStepId: run.reserve.stepId });
    const step = await ctx.store.client.execute({
      sql: "SELECT escalation_id FROM steps WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND id = ?",
      args: [t.projectId, storedId(run.reserve.stepId)],
    });
    expect(step.rows[0]![0]).toBe(run.escalationId);
  });

  it("makes one escalation and one escalation.created webhook when the step is reported again", async () => {
    await postBatches(ctx, t.key, [[{ ...run.reserve, id: uuidv7(), reasoning: "changed" }]]);
    const rows = await ctx.store.client.execute({ sql: "SELECT packet FROM escalations WHERE project_id = ?", args: [t.projectId] });
    expect(rows.rows).toHaveLength(1);
    expect(JSON.parse(String(rows.rows[0]![0])).reasoning).toBe("large claim, policy limit unclear");
    const hooks = await ctx.store.client.execute({ sql: "SELECT event, payload FROM webhook_deliveries WHERE project_id = ?", args: [t.projectId] });
    expect(hooks.rows.map((r) => r.event)).toEqual(["escalation.created"]);
    expect(JSON.parse(String(hooks.rows[0]!.payload)).data).toMatchObject({
      escalationId: run.escalationId,
      runId: run.runId,
      kind: "escalate",
      blocking: true,
    });
  });

  it("keeps a flagged step and a spot check non-blocking, with the spot check's sampling rate", async () => {
    const start = runStarted();
    const flagged = reviewedStep(start.runId, "flag", { step: "classify", time: iso(Date.UTC(2025, 0, 15, 9, 30, 1)) });
    const later = stepEvent(start.runId, {
      step: "route",
      parents: [flagged.stepId],
      flagged: true,
      startedAt: iso(Date.UTC(2025, 0, 15, 9, 30, 2)),
      time: iso(Date.UTC(2025, 0, 15, 9, 30, 3)),
    });
    const sampled = reviewedStep(start.runId, "spot_check", {
      step: "extract",
      startedAt: iso(Date.UTC(2025, 0, 15, 9, 29)),
      time: iso(Date.UTC(2025, 0, 15, 9, 29, 30)),
    });
    await postBatches(ctx, t.key, [[start, sampled, flagged, later, runEnded(start.runId, "run.completed", { time: iso(Date.UTC(2025, 0, 15, 9, 31)) })]]);

    const f = (await detail(flagged.escalationId!, t.analyst)).body;
    expect(f).toMatchObject({ kind: "flag", blocking: false, samplingRate: null, gateKinds: ["confidence"], status: "open" });
    // Steps that ended after the flagged one are not part of "the run so far".
    expect(f.packet.runSoFar.steps.map((s) => s.step)).toEqual(["extract"]);
    const s = (await detail(sampled.escalationId!, t.analyst)).body;
    expect(s).toMatchObject({ kind: "spot_check", blocking: false, samplingRate: 0.05, gateKinds: [], status: "open" });
    const runRes = await call<{ run: { status: string } }>(ctx, "GET", `/v1/runs/${start.runId}`, { key: t.key });
    expect(runRes.body.run.status).toBe("completed");

    const nonBlocking = await queue(t.reviewer, { blocking: "false" });
    expect(nonBlocking.body.items.map((i) => i.id).sort()).toEqual([flagged.escalationId, sampled.escalationId].sort());
  });
});

describe("GET /v1/escalations", () => {
  let t: Team;
  const ids: Record<string, string> = {};
  const T = Date.UTC(2025, 2, 1);
  beforeAll(async () => {
    t = await team();
    const p = t.projectId;
    // Creation order a, b, c, d, e, f; risk order (lowest cumulative first, unknown last).
    ids.a = await seedEscalation(ctx, { projectId: p, createdAt: T + 1, cumulative: 0.5 });
    ids.b = await seedEscalation(ctx, { projectId: p, createdAt: T + 2, cumulative: 0.2, kind: "flag", blocking: false, step: "classify" });
    ids.c = await seedEscalation(ctx, { projectId: p, createdAt: T + 3, cumulative: null, kind: "spot_check", blocking: false, samplingRate: 0.1 });
    ids.d = await seedEscalation(ctx, { projectId: p, createdAt: T + 4, cumulative: 0.2, version: "4" });
    ids.e = await seedEscalation(ctx, { projectId: p, createdAt: T + 5, cumulative: 0.9, workflow: "refunds" });
    ids.f = await seedEscalation(ctx, { projectId: p, createdAt: T + 0, cumulative: 0.1, status: "resolved", decision: "accept", resolvedAt: T + 10 });
    // Another project's item at the same times must never show up.
    const other = await ctx.newProject();
    await seedEscalation(ctx, { projectId: other.projectId, createdAt: T + 1, cumulative: 0.01 });
  });

  const idsOf = async (params: Record<string, string | number>, who: Caller = t.reviewer) => {
    const res = await queue(who, params);
    expect(res.status).toBe(200);
    return res.body.items.map((i) => Object.entries(ids).find(([, v]) => v === i.id)?.[0] ?? i.id);
  };

  it("lists the open queue oldest first by default", async () => {
    expect(await idsOf({})).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("lists riskiest first: lowest cumulative, ties oldest first, unknown cumulative last", async () => {
    expect(await idsOf({ order: "riskiest" })).toEqual(["b", "d", "a", "e", "c"]);
  });

  it.each([
    [{ status: "resolved" }, ["f"]],
    [{ status: "all" }, ["f", "a", "b", "c", "d", "e"]],
    [{ kind: "flag" }, ["b"]],
    [{ kind: "spot_check" }, ["c"]],
    [{ blocking: "true" }, ["a", "d", "e"]],
    [{ blocking: "false" }, ["b", "c"]],
    [{ workflow: "refunds" }, ["e"]],
    [{ version: "4" }, ["d"]],
    [{ step: "classify" }, ["b"]],
    [{ workflow: "claims", version: "3", kind: "escalate" }, ["a"]],
  ])("filters by %j", async (params, expected) => {
    expect(await idsOf(params)).toEqual(expected);
  });

  it.each(["oldest", "riskiest"])("pages %s with cursors, every item once", async (order) => {
    const all = await idsOf({ order, status: "all" });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: QueueResponse } = await queue(t.reviewer, { order, status: "all", limit: 2, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((i) => Object.entries(ids).find(([, v]) => v === i.id)![0]));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual(all);
    expect(pages).toBe(3);
  });

  it("carries the list fields, with the spot check's sampling rate", async () => {
    const res = await queue(t.reviewer, { kind: "spot_check" });
    expect(res.body.items[0]).toEqual({
      id: ids.c,
      runId: expect.any(String),
      stepId: expect.any(String),
      workflow: "claims",
      version: "3",
      step: "reserve",
      kind: "spot_check",
      gateKinds: ["confidence"],
      blocking: false,
      samplingRate: 0.1,
      confidence: 0.5,
      cumulative: null,
      status: "open",
      claimedBy: null,
      claimExpiresAt: null,
      claimLive: false,
      createdAt: iso(T + 3),
      decision: null,
      reviewerId: null,
      resolvedAt: null,
      reviewGroup: null,
      reviewersRequired: 1,
      decisions: 0,
      consensus: "unanimous",
      dueAt: null,
      onExpiry: null,
      resolution: null,
    });
  });

  it("refuses a cursor of the other order, a limit over 200 and unknown enum values", async () => {
    const page = await queue(t.reviewer, { limit: 1 });
    expect((await queue(t.reviewer, { order: "riskiest", cursor: page.body.nextCursor! })).status).toBe(400);
    expect((await queue(t.reviewer, { limit: 201 })).body.error.code).toBe("invalid_query");
    expect((await queue(t.reviewer, { status: "closed" })).status).toBe(400);
    expect((await queue(t.reviewer, { cursor: "not a cursor" })).status).toBe(400);
  });

  it("lets admins, reviewers, analysts and API keys read; nobody else", async () => {
    for (const who of [t.admin, t.reviewer, t.analyst, { key: t.key }]) expect((await queue(who)).status).toBe(200);
    expect((await queue({})).status).toBe(401);
  });
});

describe("GET /v1/escalations/count", () => {
  const DAY = 86_400_000;
  const T = Date.UTC(2025, 4, 10);
  const count = (who: Caller, params: Record<string, string> = {}) =>
    call<QueueCountResponse & Err>(ctx, "GET", `/v1/escalations/count?${new URLSearchParams(params)}`, who);

  it("counts every waiting item of the filters, past one page, per day raised", async () => {
    const t = await team();
    const p = t.projectId;
    // 230 waiting items of one workflow over three days: more than the largest page (200).
    const statuses = ["open", "in_review", "disputed"] as const;
    for (let i = 0; i < 230; i++) {
      const day = i < 100 ? 0 : i < 200 ? 1 : 3;
      await seedEscalation(ctx, { projectId: p, workflow: "claims", status: statuses[i % 3], createdAt: T + day * DAY + i });
    }
    // None of these is a waiting item of "claims" that everyone may see.
    await seedEscalation(ctx, { projectId: p, workflow: "claims", status: "resolved", createdAt: T, resolvedAt: T + 1 });
    await seedEscalation(ctx, { projectId: p, workflow: "claims", status: "expired", createdAt: T });
    await seedEscalation(ctx, { projectId: p, workflow: "claims", createdAt: T, judge: "j", judgePending: true });
    await seedEscalation(ctx, { projectId: p, workflow: "refunds", createdAt: T });
    await seedEscalation(ctx, { projectId: p, workflow: "claims", createdAt: T + 2 * DAY, reviewGroup: "vip" });
    await seedEscalation(ctx, { projectId: (await ctx.newProject()).projectId, workflow: "claims", createdAt: T });

    const page = await queue(t.admin, { workflow: "claims", status: "active", limit: 200 });
    expect(page.body.items).toHaveLength(200);
    expect(page.body.nextCursor).not.toBeNull();

    const res = await count(t.admin, { workflow: "claims", status: "active" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      total: 231,
      byDay: [
        { day: "2025-05-10", count: 100 },
        { day: "2025-05-11", count: 100 },
        { day: "2025-05-12", count: 1 },
        { day: "2025-05-13", count: 30 },
      ],
    });
    // A reviewer outside the group counts what they can see; the filters are the queue's.
    expect((await count(t.reviewer, { workflow: "claims", status: "active" })).body.total).toBe(230);
    expect((await count(t.admin, { workflow: "claims" })).body.total).toBe(77 + 1);
    expect((await count(t.admin, { workflow: "claims", status: "resolved" })).body).toEqual({ total: 1, byDay: [{ day: "2025-05-10", count: 1 }] });
    expect((await count(t.admin, { workflow: "none" })).body).toEqual({ total: 0, byDay: [] });
  });

  it("refuses unknown filters' values, and callers who may not read the queue", async () => {
    const t = await team();
    expect((await count(t.admin, { status: "closed" })).body.error.code).toBe("invalid_query");
    expect((await count({ key: t.key }, { mine: "true" })).status).toBe(400);
    expect((await count({})).status).toBe(401);
    expect((await count({ key: t.key })).status).toBe(200);
  });
});

describe("POST /v1/escalations/:id/claim", () => {
  let t: Team;
  beforeAll(async () => {
    t = await team();
  });

  it("claims for 15 minutes, extends the holder's own claim, and refuses others while it is live", async () => {
    const id = await seedEscalation(ctx, { projectId: t.projectId });
    const first = await claim(id, t.reviewer);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ id, claimedBy: t.reviewer.userId, claimExpiresAt: iso(clock + CLAIM_TTL_MS) });

    const other = await claim(id, t.reviewer2);
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: "claimed", details: { claimedBy: t.reviewer.userId, claimExpiresAt: iso(clock + CLAIM_TTL_MS) } });

    clock += 60_000;
    const again = await claim(id, t.reviewer);
    expect(again.body.claimExpiresAt).toBe(iso(clock + CLAIM_TTL_MS));
    const listed = await queue(t.analyst);
    expect(listed.body.items.find((i) => i.id === id)).toMatchObject({ claimedBy: t.reviewer.userId, claimLive: true });
  });

  it("lets another reviewer take over an expired claim", async () => {
    const id = await seedEscalation(ctx, { projectId: t.projectId });
    expect((await claim(id, t.reviewer)).status).toBe(200);
    clock += CLAIM_TTL_MS;
    expect((await detail(id, t.reviewer2)).body.claimLive).toBe(false);
    const taken = await claim(id, t.reviewer2);
    expect(taken.status).toBe(200);
    expect(taken.body.claimedBy).toBe(t.reviewer2.userId);
    // Now the first reviewer is the one kept out.
    expect((await claim(id, t.reviewer)).status).toBe(409);
  });

  it("answers 409 resolved for a resolved escalation", async () => {
    const id = await seedEscalation(ctx, { projectId: t.projectId, status: "resolved", decision: "reject", resolvedAt: clock });
    const res = await claim(id, t.reviewer);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("resolved");
  });

  it("refuses analysts (403) and API keys (403)", async () => {
    const id = await seedEscalation(ctx, { projectId: t.projectId });
    expect((await claim(id, t.analyst)).status).toBe(403);
    expect((await claim(id, { key: t.key })).status).toBe(403);
    expect((await detail(id, t.admin)).body.claimedBy).toBeNull();
  });
});

describe("POST /v1/escalations/:id/decision", () => {
  let t: Team;
  beforeAll(async () => {
    t = await team();
  });

  it("accept resolves the escalation and stores a true label holding the model's output", async () => {
    const run = await escalated(t);
    const res = await decide(run.escalationId, t.reviewer, { decision: "accept", reason: "policy limit is 30k" });
    expect(res.status).toBe(200);
    expect(res.body.escalation).toMatchObject({
      id: run.escalationId,
      status: "resolved",
      decision: "accept",
      reviewerId: t.reviewer.userId,
      resolvedAt: iso(clock),
      claimLive: false,
    });
    expect(res.body.label).toMatchObject({
      runId: run.runId,
      stepId: run.reserve.stepId,
      workflow: "claims",
      version: "3",
      step: "reserve",
      source: "review",
      correct: true,
      value: { amount: 25_000, currency: "EUR" },
      confidence: 0.55,
      samplingRate: null,
      escalationId: run.escalationId,
      actor: `user:${t.reviewer.userId}`,
      reason: "policy limit is 30k",
    });
    const d = (await detail(run.escalationId, t.analyst)).body;
    expect(d).toMatchObject({ status: "resolved", decision: "accept", reason: "policy limit is 30k", reviewerId: t.reviewer.userId, correctedOutput: null });
    expect(await listStepLabels(ctx.store.db, t.projectId, run.reserve.stepId)).toEqual([res.body.label]);
  });

  it("correct stores the corrected output on the escalation and a false label holding it, with the alternative used", async () => {
    const run = await escalated(t);
    const output = { amount: 12_000, currency: "EUR" };
    const res = await decide(run.escalationId, t.admin, { decision: "correct", output, alternative: 0, reason: "deductible applies" });
    expect(res.status).toBe(200);
    expect(res.body.label).toMatchObject({ source: "review", correct: false, value: output, actor: `user:${t.admin.userId}`, reason: "deductible applies" });
    const d = (await detail(run.escalationId, t.reviewer)).body;
    expect(d).toMatchObject({ status: "resolved", decision: "correct", correctedOutput: output, alternative: 0, reviewerId: t.admin.userId });
    // The run resumes with the reviewer's value.
    const state = await call<{ escalation: { output: unknown; decision: string } }>(ctx, "GET", `/v1/runs/${run.runId}/state`, { key: t.key });
    expect(state.body.escalation).toMatchObject({ decision: "correct", output });
  });

  it("reject stores a false label without a value", async () => {
    const run = await escalated(t);
    const res = await decide(run.escalationId, t.reviewer, { decision: "reject", reason: "not covered" });
    expect(res.status).toBe(200);
    expect(res.body.label).toMatchObject({ correct: false, value: null, source: "review", actor: `user:${t.reviewer.userId}` });
    expect(res.body.escalation.decision).toBe("reject");
  });

  it("labels a reviewed spot check as a spot check, with its sampling rate", async () => {
    const start = runStarted();
    const sampled = reviewedStep(start.runId, "spot_check", { output: "water" });
    await postBatches(ctx, t.key, [[start, sampled]]);
    const res = await decide(sampled.escalationId!, t.reviewer, { decision: "accept", reason: "right" });
    expect(res.status).toBe(200);
    expect(res.body.label).toMatchObject({ source: "spot_check", samplingRate: 0.05, correct: true, value: "water", confidence: 0.95 });
  });

  it("refuses a correction that breaks the step's contract with 400 and changes nothing", async () => {
    const run = await escalated(t);
    const res = await decide(run.escalationId, t.reviewer, { decision: "correct", output: { amount: -5, currency: "GBP", note: "x" }, reason: "fix" });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("contract_violation");
    const keywords = (res.body.error.details as Array<{ keyword: string; instancePath: string }>).map((d) => `${d.keyword}${d.instancePath}`).sort();
    expect(keywords).toEqual(["additionalProperties", "enum/currency", "minimum/amount"]);
    const d = (await detail(run.escalationId, t.reviewer)).body;
    expect(d).toMatchObject({ status: "open", decision: null, correctedOutput: null, reviewerId: null });
    expect(await listStepLabels(ctx.store.db, t.projectId, run.reserve.stepId)).toEqual([]);
    // The same correction made valid goes through.
    expect((await decide(run.escalationId, t.reviewer, { decision: "correct", output: { amount: 5, currency: "USD" }, reason: "fix" })).status).toBe(200);
  });

  it.each([
    ["no reason", { decision: "accept" }],
    ["an empty reason", { decision: "accept", reason: "   " }],
    ["a reason over 2,000 characters", { decision: "accept", reason: "x".repeat(2_001) }],
    ["a correction without output", { decision: "correct", reason: "r" }],
    ["an output on accept", { decision: "accept", output: 1, reason: "r" }],
    ["an unknown decision", { decision: "maybe", reason: "r" }],
  ])("answers 400 for %s", async (_, body) => {
    const id = await seedEscalation(ctx, { projectId: t.projectId });
    const res = await decide(id, t.reviewer, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_body");
    expect((await detail(id, t.reviewer)).body.status).toBe("open");
  });

  it("answers 400 for an alternative the step does not have", async () => {
    const run = await escalated(t);
    const res = await decide(run.escalationId, t.reviewer, { decision: "correct", output: { amount: 1, currency: "EUR" }, alternative: 2, reason: "r" });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_alternative");
  });

  it("answers 409 when the escalation is resolved, or someone else holds a live claim", async () => {
    const id = await seedEscalation(ctx, { projectId: t.projectId });
    expect((await claim(id, t.reviewer)).status).toBe(200);
    const labelsBefore = await labelCount(t.projectId);
    const blocked = await decide(id, t.reviewer2, { decision: "reject", reason: "r" });
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.code).toBe("claimed");
    expect(await labelCount(t.projectId)).toBe(labelsBefore);
    expect((await decide(id, t.reviewer, { decision: "reject", reason: "r" })).status).toBe(200);
    const again = await decide(id, t.reviewer, { decision: "accept", reason: "r" });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("resolved");
    expect((await detail(id, t.reviewer)).body.decision).toBe("reject");
  });

  it("lets a reviewer decide once a claim by someone else has expired", async () => {
    const id = await seedEscalation(ctx, { projectId: t.projectId });
    expect((await claim(id, t.reviewer)).status).toBe(200);
    clock += CLAIM_TTL_MS + 1;
    expect((await decide(id, t.reviewer2, { decision: "accept", reason: "r" })).status).toBe(200);
  });

  it("gives exactly one of two concurrent decisions a 200, and the other a 409", async () => {
    const fresh = await team();
    const ids = await Promise.all([0, 1, 2, 3, 4].map(() => seedEscalation(ctx, { projectId: fresh.projectId })));
    for (const id of ids) {
      const [x, y] = await Promise.all([
        decide(id, fresh.reviewer, { decision: "accept", reason: "mine" }),
        decide(id, fresh.reviewer2, { decision: "reject", reason: "theirs" }),
      ]);
      expect([x.status, y.status].sort()).toEqual([200, 409]);
      const winner = x.status === 200 ? x : y;
      expect((await detail(id, fresh.analyst)).body.decision).toBe(winner.body.escalation.decision);
    }
    expect(await labelCount(fresh.projectId)).toBe(ids.length);
  });

  it("refuses analysts and API keys with 403, and changes nothing", async () => {
    const id = await seedEscalation(ctx, { projectId: t.projectId });
    const res = await decide(id, t.analyst, { decision: "accept", reason: "r" });
    expect(res.status).toBe(403);
    expect((await decide(id, { key: t.key }, { decision: "accept", reason: "r" })).status).toBe(403);
    expect((await detail(id, t.reviewer)).body.status).toBe("open");
  });
});

describe("another project's escalation", () => {
  it("is 404 on every route, and left untouched", async () => {
    const owner = await team();
    const intruder = await team();
    const run = await escalated(owner);
    const id = run.escalationId;
    expect((await detail(id, intruder.admin)).status).toBe(404);
    expect((await detail(id, { key: intruder.key })).status).toBe(404);
    expect((await claim(id, intruder.reviewer)).status).toBe(404);
    const res = await decide(id, intruder.admin, { decision: "accept", reason: "r" });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
    expect((await queue(intruder.admin, { status: "all" })).body.items).toEqual([]);
    expect((await detail(id, owner.reviewer)).body).toMatchObject({ status: "open", claimedBy: null });
    expect(await labelCount(owner.projectId)).toBe(0);
  });
});

describe("an escalation of a run posted in one batch", () => {
  it("builds the same run so far as when the run arrives over several batches", async () => {
    const t = await team();
    const run = escalatedRun();
    const res = await postEvents(ctx, t.key, { events: run.batches.flat() });
    expect(res.status).toBe(200);
    const d = (await detail(run.escalationId, t.reviewer)).body;
    expect(d.packet.runSoFar.steps.map((s) => s.step)).toEqual(["extract", "classify", "match-policy"]);
    expect(d.packet.lineage.parents.map((p) => p.found)).toEqual([true, true, false]);
  });
});

describe("a store too busy to take the write", () => {
  let busy: TestContext;
  beforeAll(async () => {
    busy = await createTestContext({ SEAMTRACE_BUSY_TIMEOUT_MS: "50" });
  });
  afterAll(() => busy.close());

  /** Holds the write lock from another connection until the returned function is called. */
  async function holdWriteLock() {
    const other = createClient({ url: busy.config.databaseUrl });
    const tx = await other.transaction("deferred");
    await tx.executeMultiple(TAKE_WRITE_LOCK);
    return () => {
      tx.close();
      other.close();
    };
  }

  it("answers 503 with Retry-After, changes nothing, and works again once the lock is free", async () => {
    const p = await busy.newProject();
    const reviewer = await busy.newUser(p.projectId, "reviewer");
    const id = await seedEscalation(busy, { projectId: p.projectId });
    const release = await holdWriteLock();
    const res = await call<Err>(busy, "POST", `/v1/escalations/${id}/decision`, reviewer, { decision: "accept", reason: "r" });
    release();
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(res.body.error.code).toBe("unavailable");
    const after = await call<DecisionResponse>(busy, "POST", `/v1/escalations/${id}/decision`, reviewer, { decision: "accept", reason: "r" });
    expect(after.status).toBe(200);
  });

  it("leaves the store's connections usable after a decision failed on the lock", async () => {
    const p = await busy.newProject();
    const user = await busy.newUser(p.projectId, "reviewer");
    const [first, second] = [await seedEscalation(busy, { projectId: p.projectId }), await seedEscalation(busy, { projectId: p.projectId })];
    const input = (id: string) => ({ projectId: p.projectId, id, userId: user.userId, decision: "accept" as const, reason: "r", now: Date.now() });
    const release = await holdWriteLock();
    const failed = await decideEscalation(busy.store.client, input(first)).catch((err: unknown) => err);
    release();
    expect(isTransientStoreError(failed)).toBe(true);
    expect(await decideEscalation(busy.store.client, input(first))).toMatchObject({ status: "settled" });
    expect(await decideEscalation(busy.store.client, input(second))).toMatchObject({ status: "settled" });
    // Autocommit writes on the pool still commit (a broken connection would keep them in an open transaction).
    const claimed = await claimEscalation(busy.store.client, {
      projectId: p.projectId,
      id: await seedEscalation(busy, { projectId: p.projectId }),
      userId: user.userId,
      now: Date.now(),
      ttlMs: 1000,
    });
    expect(claimed.status).toBe("claimed");
    const fresh = createClient({ url: busy.config.databaseUrl });
    const rs = await fresh.execute({ sql: "SELECT count(*) FROM labels WHERE project_id = ?", args: [p.projectId] });
    fresh.close();
    expect(Number(rs.rows[0]![0])).toBe(2);
  });
});
