import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../app/logger.js";
import { listAlerts } from "../analytics/alerts-store.js";
import { listPolicies, putPolicy } from "./store.js";
import { listThresholdChanges } from "./thresholds-store.js";
import { createWebhook } from "../webhooks/store.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { JOBS } from "../../app/jobs.js";
import { Scheduler, type FinishedRun } from "../jobs/scheduler.js";
import { beta, ingestStream, reviewStream, simulateStream } from "../../../test-support/stream-fixtures.js";

/**
 * Auto-tighten's rules around Learn-then-Test, each on its own project in one store: drift alone
 * never moves a threshold; thin evidence moves nothing; no threshold meeting the target sends
 * the step's outputs to review and fires an alert that names the step and the figures.
 */

const H = 3_600_000;
const DAY = 24 * H;
const T = Date.UTC(2026, 5, 1);

let ctx: TestContext;
let scheduler: Scheduler;
let clock = T;
let reviewerId = "";

const run = async (job: string) => {
  const r = (await scheduler.run(job, { trigger: "manual", actor: "cli" })) as FinishedRun;
  expect(r.outcome, `${job}: ${r.error}`).toBe("ok");
  return r;
};

async function project(policy: Parameters<typeof putPolicy>[1]["patch"]) {
  const p = await ctx.newProject();
  reviewerId = (await ctx.newUser(p.projectId, "reviewer")).userId;
  await putPolicy(ctx.store.client, { projectId: p.projectId, workflow: "claims", step: null, actor: "user:admin", now: T, patch: policy });
  return p;
}

async function traffic(
  p: { projectId: string; keyId: string },
  start: number,
  opts: { a: number; b: number; miss: number; spot: number; perHour: number; minConfidence: number; decided?: number },
  seed: number,
) {
  const outputs = simulateStream({
    from: start,
    hours: 24,
    perHour: opts.perHour,
    confidence: (r) => beta(r, opts.a, opts.b),
    pCorrect: (c) => c - opts.miss,
    policy: { minConfidence: opts.minConfidence, spotCheckRate: opts.spot },
    seed,
  });
  await ingestStream(ctx.store, p.projectId, p.keyId, outputs);
  // `decided`: the share of spot checks reviewers got to; the rest stay queued.
  const tenths = Math.round((opts.decided ?? 1) * 10);
  await reviewStream(
    ctx.store,
    p.projectId,
    reviewerId,
    outputs.filter((_, i) => i % 10 < tenths),
    ["spot_check"],
    start + DAY,
  );
}

beforeAll(async () => {
  ctx = await createTestContext({ SEAMTRACE_ANALYTICS_WINDOW_HOURS: "24", SEAMTRACE_DRIFT_CURRENT_HOURS: "24", SEAMTRACE_DRIFT_BASELINE_HOURS: "24" });
  scheduler = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: () => clock }, JOBS);
});
afterAll(() => ctx.close());

describe("auto-tighten", () => {
  it("moves no threshold on drift alone: it raises the spot-check rate and leaves minConfidence", async () => {
    const p = await project({ minConfidence: 0.5, spotCheckRate: 0.2, targetAccuracy: 0.6, tightenMax: 0.95 });
    // Inputs shift hard (confidence falls) but the model stays calibrated and above the target.
    await traffic(p, T, { a: 9, b: 2, miss: 0, spot: 0.2, perHour: 60, minConfidence: 0.5 }, 11);
    await traffic(p, T + DAY, { a: 4, b: 2, miss: 0, spot: 0.2, perHour: 60, minConfidence: 0.5 }, 12);
    clock = T + 2 * DAY + 600_000;
    for (const job of ["rollup", "drift", "alerts"]) await run(job);
    const firing = await listAlerts(ctx.store.db, p.projectId, { status: "firing", from: 0, to: clock, limit: 10 });
    const drift = firing.find((a) => a.ruleId === "builtin:drift")!;
    expect(drift).toBeDefined();
    // The alert names the workflow, step and feature, with the figures that crossed.
    expect(drift.message).toMatch(/^Drift in claims v1 \/ classify: confidence \(PSI [\d.]+, W1\/sd [\d.]+, adjusted p [\de.-]+, n \d+\/\d+\)/);
    await run("auto-tighten");
    const changes = await listThresholdChanges(ctx.store.db, p.projectId, { limit: 10 });
    expect(changes.map((c) => [c.kind, c.before, c.after])).toEqual([["spot-check", 0.2, 0.4]]);
    const [wf] = await listPolicies(ctx.store.db, p.projectId);
    expect(wf).toMatchObject({ minConfidence: 0.5, spotCheckRate: 0.2 });
    const step = (await listPolicies(ctx.store.db, p.projectId)).find((x) => x.step === "classify");
    expect(step).toMatchObject({ minConfidence: null, spotCheckRate: 0.4 });
  });

  it("changes nothing on fewer than 30 effective labels, whatever they say", async () => {
    const p = await project({ minConfidence: 0.5, spotCheckRate: 0.02, targetAccuracy: 0.95, tightenMax: 0.95 });
    await traffic(p, T + 2 * DAY, { a: 6, b: 2, miss: 0.3, spot: 0.02, perHour: 40, minConfidence: 0.5 }, 21);
    clock = T + 3 * DAY + 600_000;
    await run("rollup");
    const r = await run("auto-tighten");
    expect(r.details).toMatchObject({ insufficient: 1, tightened: 0, unmet: 0 });
    expect(await listThresholdChanges(ctx.store.db, p.projectId, { limit: 10 })).toEqual([]);
  });

  it("holds while fewer than half the queued spot checks are decided, and says so", async () => {
    const p = await project({ minConfidence: 0.5, spotCheckRate: 0.3, targetAccuracy: 0.97, tightenMax: 0.9 });
    // The same overconfident traffic as below, with reviewers through 3 spot checks in 10.
    await traffic(p, T + 3 * DAY, { a: 8, b: 2, miss: 0.25, spot: 0.3, perHour: 40, minConfidence: 0.5, decided: 0.3 }, 31);
    clock = T + 4 * DAY + 600_000;
    await run("rollup");
    const r = await run("auto-tighten");
    expect(r.details).toMatchObject({ tightened: 0, unmet: 0 });
    expect(await listThresholdChanges(ctx.store.db, p.projectId, { limit: 10 })).toEqual([]);
    const [unmet] = (
      await ctx.store.client.execute({ sql: "SELECT details FROM metrics WHERE project_id = ? AND metric = 'threshold.unmet'", args: [p.projectId] })
    ).rows;
    const details = JSON.parse(String(unmet!.details)) as { pending: boolean; missingLabels: { spotCoverage: number } };
    expect(details.pending).toBe(true);
    expect(details.missingLabels.spotCoverage).toBeGreaterThan(0.2);
    expect(details.missingLabels.spotCoverage).toBeLessThan(0.4);
  });

  it("sends every output to review and fires an alert when no threshold within bounds meets the target", async () => {
    const p = await project({ minConfidence: 0.5, spotCheckRate: 0.3, targetAccuracy: 0.97, tightenMax: 0.9 });
    await createWebhook(ctx.store.db, { projectId: p.projectId, url: "https://hooks.example.test/alerts", events: ["alert.fired"], actor: "user:admin" }, T);
    // Overconfident by 25 points: nothing up to 0.9 comes near 97%.
    await traffic(p, T + 3 * DAY, { a: 8, b: 2, miss: 0.25, spot: 0.3, perHour: 40, minConfidence: 0.5 }, 31);
    clock = T + 4 * DAY + 600_000;
    await run("rollup");
    const r = await run("auto-tighten");
    expect(r.details).toMatchObject({ unmet: 1, tightened: 0 });
    const [change] = await listThresholdChanges(ctx.store.db, p.projectId, { limit: 10 });
    expect(change).toMatchObject({ kind: "review-all", before: 0.5, after: 1, evidence: { cause: "unmet" } });
    const step = (await listPolicies(ctx.store.db, p.projectId)).find((x) => x.step === "classify");
    expect(step?.minConfidence).toBe(1);
    await run("alerts");
    const firing = await listAlerts(ctx.store.db, p.projectId, { status: "firing", from: 0, to: clock, limit: 10 });
    const unmet = firing.find((a) => a.ruleId === "builtin:threshold-unmet")!;
    expect(unmet.message).toMatch(
      /^No threshold within bounds meets target 0\.97 for claims v1 \/ classify: precision 0\.[\d]+ on [\d.]+ effective labels; action: escalate$/,
    );
    const hooks = await ctx.store.client.execute({
      sql: "SELECT payload FROM webhook_deliveries WHERE project_id = ? AND event = 'alert.fired'",
      args: [p.projectId],
    });
    expect(hooks.rows.map((h) => JSON.parse(String(h.payload)) as { data?: { message?: string; step?: string } })).toEqual(
      expect.arrayContaining([expect.objectContaining({ data: expect.objectContaining({ workflow: "claims", step: "classify", message: unmet.message }) })]),
    );
    // A later run keeps the alert up while the step is in review (no labels pass minConfidence 1).
    clock += DAY;
    await run("auto-tighten");
    await run("alerts");
    const still = await listAlerts(ctx.store.db, p.projectId, { status: "firing", from: 0, to: clock, limit: 10 });
    expect(still.some((a) => a.ruleId === "builtin:threshold-unmet")).toBe(true);
  });
});
