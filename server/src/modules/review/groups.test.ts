import type { ErrorBody } from "@seamtrace/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { call } from "../../../test-support/review-fixtures.js";
import type { AccuracyResponse, AssigneesResponse, ReviewGroupView } from "./team-contract.js";
import { createWebhook } from "../webhooks/store.js";
import {
  decide,
  detail,
  escalate,
  freshWorkflow,
  labelsOf,
  makeTeam,
  queue,
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

const accept = { decision: "accept", reason: "fine" };
const putGroup = (t: Team, name: string, body: unknown) => call<ReviewGroupView & ErrorBody>(ctx, "PUT", `/v1/review/groups/${name}`, t.admin, body);
const ids = async (who: Parameters<typeof queue>[1], params: Record<string, string> = {}) => (await queue(ctx, who, params)).body.items.map((i) => i.id);

describe("review groups", () => {
  let t: Team;
  beforeAll(async () => {
    t = await makeTeam(ctx);
  });

  it("are set by admins with their members, audited, and listed with who is in them", async () => {
    const res = await putGroup(t, "water", { members: [t.a.userId, t.b.userId, t.a.userId], knownAnswerRate: 0.2 });
    expect(res.status).toBe(201);
    expect(res.body.members.map((m) => m.email).sort()).toEqual([t.a.email, t.b.email].sort());
    const list = await call<{ items: ReviewGroupView[] }>(ctx, "GET", "/v1/review/groups", t.c);
    expect(list.body.items.find((g) => g.name === "water")).toMatchObject({ knownAnswerRate: 0.2 });
    expect((await putGroup(t, "water", { members: [t.a.userId] })).status).toBe(200);
    const audit = await ctx.store.client.execute({
      sql: "SELECT action FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND subject = 'review_group:water' ORDER BY seq",
      args: [t.projectId],
    });
    expect(audit.rows.map((r) => r[0])).toEqual(["review_group.created", "review_group.updated"]);
  });

  it("refuses members who are not users of the project, naming them, and changes nothing", async () => {
    const other = await makeTeam(ctx);
    const res = await putGroup(t, "fire", { members: [t.a.userId, other.a.userId, "nobody"] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "unknown_users", details: { userIds: [other.a.userId, "nobody"] } });
    expect((await call<{ items: ReviewGroupView[] }>(ctx, "GET", "/v1/review/groups", t.admin)).body.items.map((g) => g.name)).not.toContain("fire");
  });
});

describe("routing by the policy's group", () => {
  let t: Team;
  let wf: string;
  let grouped: string;
  let ungrouped: string;
  beforeAll(async () => {
    t = await makeTeam(ctx);
    wf = freshWorkflow();
    expect((await putGroup(t, "motor", { members: [t.a.userId] })).status).toBe(201);
    await setPolicy(ctx, t, wf, { reviewGroup: "motor" });
    grouped = (await escalate(ctx, t, wf)).escalationId;
    ungrouped = (await escalate(ctx, t, freshWorkflow("open-to-all"))).escalationId;
  });

  it("shows a group's items to its members, admins, leads and analysts, and hides them from other reviewers", async () => {
    expect(await ids(t.a)).toEqual(expect.arrayContaining([grouped, ungrouped]));
    expect(await ids(t.b)).toEqual([ungrouped]);
    for (const who of [t.admin, t.lead, t.analyst, { key: t.key }]) expect(await ids(who)).toEqual(expect.arrayContaining([grouped, ungrouped]));
    expect((await detail(ctx, grouped, t.b)).status).toBe(404);
    expect((await call(ctx, "POST", `/v1/escalations/${grouped}/claim`, t.b)).status).toBe(404);
    const refused = await decide(ctx, grouped, t.b, accept);
    expect(refused.status).toBe(404);
    expect((await detail(ctx, grouped, t.a)).body).toMatchObject({ reviewGroup: "motor", canDecide: true, status: "open" });
  });

  it("filters the queue by group, assignee and status", async () => {
    expect(await ids(t.admin, { group: "motor" })).toEqual([grouped]);
    expect((await call(ctx, "POST", `/v1/escalations/${ungrouped}/claim`, t.c)).status).toBe(200);
    expect(await ids(t.c, { assignee: "me" })).toEqual([ungrouped]);
    expect(await ids(t.admin, { assignee: t.c.userId })).toEqual([ungrouped]);
    expect((await queue(ctx, { key: t.key }, { assignee: "me" })).status).toBe(400);
    expect(await ids(t.admin, { status: "disputed" })).toEqual([]);
    expect(await ids(t.admin, { status: "active" })).toEqual(expect.arrayContaining([grouped, ungrouped]));
  });

  it("gives each person their queue (mine=true) and their counts: claimed, decided, pending", async () => {
    expect(await ids(t.a, { mine: "true", status: "active" })).toEqual(expect.arrayContaining([grouped, ungrouped]));
    expect(await ids(t.b, { mine: "true", status: "active" })).toEqual([ungrouped]);
    expect((await decide(ctx, grouped, t.a, accept)).status).toBe(200);
    expect(await ids(t.a, { mine: "true", status: "active" })).toEqual([ungrouped]);
    const counts = await call<AssigneesResponse>(ctx, "GET", "/v1/review/assignees", t.lead);
    const by = Object.fromEntries(counts.body.items.map((i) => [i.userId, i]));
    expect(by[t.a.userId]).toMatchObject({ groups: ["motor"], claimed: 0, decided: 1, pending: 1 });
    expect(by[t.c.userId]).toMatchObject({ groups: [], claimed: 1, decided: 0, pending: 1 });
    expect(by[t.analyst.userId]).toBeUndefined();
    const motor = await call<AssigneesResponse>(ctx, "GET", "/v1/review/assignees?group=motor", t.lead);
    expect(motor.body.items.map((i) => i.userId)).toEqual([t.a.userId]);
  });
});

describe("known-answer items", () => {
  let t: Team;
  let wf: string;
  let source: string;
  beforeAll(async () => {
    t = await makeTeam(ctx);
    wf = freshWorkflow("known");
    await createWebhook(ctx.store.db, {
      projectId: t.projectId,
      actor: "user:test",
      url: "https://hooks.example.test/x",
      events: ["escalation.created", "escalation.resolved"],
    });
    expect((await putGroup(t, "measured", { members: [t.a.userId, t.b.userId], knownAnswerRate: 1 })).status).toBe(201);
    await setPolicy(ctx, t, wf, { reviewGroup: "measured" });
    // The first item has no settled neighbour yet, so it brings none; once settled, it is the known answer.
    source = (await escalate(ctx, t, wf)).escalationId;
    expect((await decide(ctx, source, t.a, { decision: "correct", output: { amount: 9_000, currency: "EUR" }, reason: "settled" })).status).toBe(200);
  });

  it("are mixed into the group's queue beside a new item, looking like any non-blocking item", async () => {
    const fresh = (await escalate(ctx, t, wf)).escalationId;
    const items = (await queue(ctx, t.b, { group: "measured" })).body.items;
    expect(items.map((i) => i.id)).toContain(fresh);
    const copy = items.find((i) => i.id !== fresh)!;
    expect(copy).toMatchObject({ kind: "flag", blocking: false, status: "open", reviewGroup: "measured", workflow: wf, step: "reserve" });
    const d = (await detail(ctx, copy.id, t.b)).body;
    expect(Object.keys(d)).not.toContain("knownAnswerOf");
    expect(JSON.stringify(d)).not.toContain(source);
    // Announced to nobody.
    expect((await queuedWebhooks(ctx, t.projectId, "escalation.created")).map((w) => w.data.escalationId)).not.toContain(copy.id);
  });

  it("measure each reviewer against the settled answer, shown to admins only, and write no label", async () => {
    const copies = (await queue(ctx, t.admin, { group: "measured", kind: "flag" })).body.items;
    expect(copies.length).toBeGreaterThanOrEqual(1);
    const copy = copies[0]!;
    const wrong = await decide(ctx, copy.id, t.b, accept);
    expect(wrong.status).toBe(200);
    expect(wrong.body.label).toBeNull();
    expect(await labelsOf(ctx, t.projectId, copy.id)).toEqual([]);
    expect((await queuedWebhooks(ctx, t.projectId, "escalation.resolved")).map((w) => w.data.escalationId)).not.toContain(copy.id);
    // Another copy comes with the next item; a decides it right.
    await escalate(ctx, t, wf);
    const next = (await queue(ctx, t.a, { group: "measured", kind: "flag" })).body.items[0]!;
    expect((await decide(ctx, next.id, t.a, { decision: "correct", output: { currency: "EUR", amount: 9_000 }, reason: "same as before" })).status).toBe(200);

    const acc = await call<AccuracyResponse & ErrorBody>(ctx, "GET", "/v1/review/accuracy", t.admin);
    expect(acc.status).toBe(200);
    const by = Object.fromEntries(acc.body.items.map((i) => [i.rater, i]));
    expect(by[`user:${t.b.userId}`]).toMatchObject({ items: 1, correct: 0, accuracy: 0 });
    expect(by[`user:${t.a.userId}`]).toMatchObject({ items: 1, correct: 1, accuracy: 1 });
    expect(by[`user:${t.a.userId}`]!.low).toBeGreaterThan(0);
    expect((await call(ctx, "GET", "/v1/review/accuracy", t.lead)).status).toBe(403);
    expect((await call(ctx, "GET", "/v1/review/accuracy", t.a)).status).toBe(403);
  });

  it("never reach the corrections export, reviews included", async () => {
    const res = await ctx.app.request("/v1/exports/corrections?include=corrections,accepts,rejections,labels,reviews", {
      headers: { authorization: `Bearer ${t.key}` },
    });
    const rows = (await res.text())
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { escalationId: string | null });
    const copies = await ctx.store.client.execute({
      sql: "SELECT id FROM escalations WHERE project_id = ? AND known_answer_of IS NOT NULL",
      args: [t.projectId],
    });
    expect(copies.rows.length).toBeGreaterThan(0);
    const copyIds = new Set(copies.rows.map((r) => String(r[0])));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.escalationId !== null && copyIds.has(r.escalationId))).toEqual([]);
  });
});
