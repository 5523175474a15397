import type { CSV_COLUMNS, CorrectionRow } from "@seamtrace/golden";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { call } from "../../../test-support/review-fixtures.js";
import { adjudicate, decide, escalate, freshWorkflow, makeTeam, runJob, setPolicy, type Team } from "../../../test-support/team-fixtures.js";

/**
 * The corrections export with team review: only what people settled is a training row, once;
 * `include=reviews` adds every individual decision, each with its own reviewer and time.
 */
let ctx: TestContext;
let t: Team;
let disputedId: string;
let judgedId: string;
let expiredId: string;
beforeAll(async () => {
  ctx = await createTestContext();
  t = await makeTeam(ctx);
  const team = freshWorkflow("export-team");
  await setPolicy(ctx, t, team, { reviewers: 2 });
  const run = await escalate(ctx, t, team);
  disputedId = run.escalationId;
  await decide(ctx, disputedId, t.a, { decision: "accept", reason: "fine" });
  await decide(ctx, disputedId, t.b, { decision: "correct", output: { amount: 8_000, currency: "EUR" }, reason: "lower" });
  expect((await adjudicate(ctx, disputedId, t.lead, { decision: "correct", output: { amount: 8_000, currency: "EUR" }, reason: "b is right" })).status).toBe(
    200,
  );

  const judged = freshWorkflow("export-judged");
  expect(
    (await call(ctx, "PUT", `/v1/review/judges/${judged}/steps/reserve`, t.admin, { name: "j", kind: "worker", minConfidence: 0.5, sampleRate: 0 })).status,
  ).toBe(201);
  judgedId = (await escalate(ctx, t, judged)).escalationId;
  const j = await call<{ outcome: string }>(
    ctx,
    "POST",
    `/v1/escalations/${judgedId}/judgement`,
    { key: t.key },
    { judge: "j", decision: "correct", output: { amount: 1, currency: "EUR" }, confidence: 0.9, reason: "sure" },
  );
  expect(j.body.outcome).toBe("settled");

  const late = freshWorkflow("export-expired");
  await setPolicy(ctx, t, late, { reviewBy: 60_000, onExpiry: "accept-flagged" });
  expiredId = (await escalate(ctx, t, late)).escalationId;
  await runJob(ctx, "review-deadlines");
});
afterAll(() => ctx.close());

async function exported(query: string): Promise<string> {
  const res = await ctx.app.request(`/v1/exports/corrections?${query}`, { headers: { authorization: `Bearer ${t.key}` } });
  expect(res.status).toBe(200);
  return res.text();
}
const jsonl = async (query: string) =>
  (await exported(query))
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CorrectionRow);

describe("the corrections export with team review", () => {
  it("holds what people settled, once: the adjudicated correction, not a judge's or a deadline's settlement", async () => {
    const rows = await jsonl("include=corrections,accepts,rejections");
    expect(rows.map((r) => [r.escalationId, r.kind, r.decision, r.reviewer])).toEqual([[disputedId, "escalate", "correct", `user:${t.lead.userId}`]]);
    expect(rows[0]!.corrected).toEqual({ amount: 8_000, currency: "EUR" });
    expect(rows.map((r) => r.escalationId)).not.toContain(judgedId);
    expect(rows.map((r) => r.escalationId)).not.toContain(expiredId);
  });

  it("adds every individual decision with include=reviews: each reviewer's, the adjudication, and the judge's", async () => {
    const rows = (await jsonl("include=reviews")).map((r) => [r.escalationId, r.kind, r.reviewer, r.decision, r.corrected]);
    expect(rows).toEqual([
      [disputedId, "review", `user:${t.a.userId}`, "accept", { amount: 25_000, currency: "EUR" }],
      [disputedId, "review", `user:${t.b.userId}`, "correct", { amount: 8_000, currency: "EUR" }],
      [disputedId, "adjudication", `user:${t.lead.userId}`, "correct", { amount: 8_000, currency: "EUR" }],
      [judgedId, "review", "judge:j", "correct", { amount: 1, currency: "EUR" }],
    ]);
    const both = await jsonl("include=corrections,reviews");
    // The adjudication and the settlement it made share a time: the order between them is by id
    // (the escalation's, made by the SDK, is the older uuidv7).
    expect(both.map((r) => r.kind)).toEqual(["review", "review", "escalate", "adjudication", "review"]);
    // Each review row carries its own decision's id, so rows stay distinct.
    expect(new Set((await jsonl("include=reviews")).map((r) => r.labelId)).size).toBe(4);
  });

  it("writes the same rows as CSV, with the review kinds", async () => {
    const records = parse(await exported("format=csv&include=reviews"), { columns: true }) as Array<Record<(typeof CSV_COLUMNS)[number], string>>;
    expect(records.map((r) => r.kind)).toEqual(["review", "review", "adjudication", "review"]);
    expect(records[2]!.reviewer).toBe(`user:${t.lead.userId}`);
  });

  it("filters the review rows by workflow like the others, and refuses an unknown include", async () => {
    expect(await jsonl(`include=reviews&workflow=nothing-here`)).toEqual([]);
    const res = await ctx.app.request("/v1/exports/corrections?include=reviewz", { headers: { authorization: `Bearer ${t.key}` } });
    expect(res.status).toBe(400);
  });
});
