import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { call } from "../../../test-support/review-fixtures.js";
import type { AgreementResponse } from "./team-contract.js";
import { adjudicate, decide, escalate, freshWorkflow, makeTeam, setPolicy, type Team } from "../../../test-support/team-fixtures.js";

let ctx: TestContext;
let t: Team;
let wf: string;
beforeAll(async () => {
  ctx = await createTestContext();
  t = await makeTeam(ctx);
  wf = freshWorkflow("agree");
  await setPolicy(ctx, t, wf, { reviewers: 2 });
  const x = { decision: "correct", output: { amount: 7, currency: "EUR" }, reason: "r" };
  const acc = { decision: "accept", reason: "r" };
  const rej = { decision: "reject", reason: "r" };
  // Four items rated by a and b: agree, disagree (then adjudicated to accept), agree, agree on a correction.
  for (const [da, db] of [
    [acc, acc],
    [acc, rej],
    [rej, rej],
    [x, x],
  ] as const) {
    const run = await escalate(ctx, t, wf);
    await decide(ctx, run.escalationId, t.a, da);
    const r = await decide(ctx, run.escalationId, t.b, db);
    if (r.body.escalation.status === "disputed") expect((await adjudicate(ctx, run.escalationId, t.lead, acc)).status).toBe(200);
  }
});
afterAll(() => ctx.close());

/**
 * Expected values worked by hand for a = [accept, accept, reject, correct 7], b = [accept, reject,
 * reject, correct 7] (the maths themselves are checked against statsmodels and scikit-learn in
 * analytics/maths/rater-agreement.test.ts): pₒ = 3/4; Cohen's pₑ = (2·1 + 1·2 + 1·1)/16 = 5/16,
 * κ = 7/11; Fleiss' P̄ₑ = (3² + 3² + 2²)/8² = 22/64, κ = 13/21; Krippendorff's Dₒ pairs = 2 over
 * n = 8 labels with totals 3, 3, 2: α = 1 − 7·2/42 = 2/3.
 */
describe("GET /v1/review/agreement", () => {
  it("reports per step: percent agreement, Fleiss' κ and Krippendorff's α", async () => {
    const res = await call<AgreementResponse>(ctx, "GET", `/v1/review/agreement?workflow=${wf}`, t.analyst);
    expect(res.status).toBe(200);
    expect(res.body.steps).toHaveLength(1);
    const s = res.body.steps[0]!;
    expect(s).toMatchObject({ workflow: wf, step: "reserve", items: 4, ratings: 8, raters: 2, fleissItems: 4 });
    expect(s.percentAgreement).toBeCloseTo(3 / 4, 12);
    expect(s.fleissKappa).toBeCloseTo(13 / 21, 12);
    expect(s.krippendorffAlpha).toBeCloseTo(2 / 3, 12);
  });

  it("reports per pair (Cohen's κ) and per rater (agreement with the others and with the settled decision)", async () => {
    const res = await call<AgreementResponse>(ctx, "GET", `/v1/review/agreement?workflow=${wf}&step=reserve`, { key: t.key });
    const [x, y] = [`user:${t.a.userId}`, `user:${t.b.userId}`].sort();
    expect(res.body.pairs).toHaveLength(1);
    expect(res.body.pairs[0]).toMatchObject({ a: x, b: y, items: 4 });
    expect(res.body.pairs[0]!.cohenKappa).toBeCloseTo(7 / 11, 12);
    const by = Object.fromEntries(res.body.raters.map((r) => [r.rater, r]));
    // The adjudicator sided with a on the disputed item.
    expect(by[`user:${t.a.userId}`]).toMatchObject({ items: 4, percentAgreement: 3 / 4, settledItems: 4, agreementWithSettled: 1 });
    expect(by[`user:${t.b.userId}`]).toMatchObject({ items: 4, percentAgreement: 3 / 4, settledItems: 4, agreementWithSettled: 3 / 4 });
  });

  it("answers an empty report outside the window, and 400 for a step without its workflow", async () => {
    const past = await call<AgreementResponse>(ctx, "GET", `/v1/review/agreement?workflow=${wf}&to=2020-01-01T00:00:00Z`, t.admin);
    expect(past.body).toMatchObject({ steps: [], raters: [], pairs: [] });
    expect((await call(ctx, "GET", "/v1/review/agreement?step=reserve", t.admin)).status).toBe(400);
  });
});
