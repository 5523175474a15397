import type { PoliciesResponse } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labelBins } from "../analytics/maths/rollup.js";
import { silentLogger } from "../../app/logger.js";
import { listAlerts } from "../analytics/alerts-store.js";
import { putPolicy } from "./store.js";
import { readRollups } from "../analytics/rollups-store.js";
import { listThresholdChanges } from "./thresholds-store.js";
import { createWebhook } from "../webhooks/store.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { JOBS } from "../../app/jobs.js";
import { Scheduler, type FinishedRun } from "../jobs/scheduler.js";
import { beta, ingestStream, reviewStream, simulateStream, type SimulatedOutput } from "../../../test-support/stream-fixtures.js";

/**
 * end to end on a simulated stream: a model that drifts (its inputs shift, and it becomes
 * overconfident) raises a drift alert, which raises the step's spot-check rate; auto-tighten
 * raises the step's threshold from the labels (Learn-then-Test); and on the next window, run under
 * the new threshold as the SDK would fetch it, the labelled accuracy of what passes the gate is
 * back at or above the workflow's target, measured and stored beside the change.
 */

const H = 3_600_000;
const DAY = 24 * H;
const T = Date.UTC(2026, 4, 4); // a day boundary
const TARGET = 0.75;
const SPOT_RATE = 0.25;
const PER_HOUR = 300;

let ctx: TestContext;
let clock = T;
let projectId: string;
let keyId: string;
let key: string;
let reviewerId: string;
let scheduler: Scheduler;

const run = async (job: string) => {
  const r = (await scheduler.run(job, { trigger: "manual", actor: "cli" })) as FinishedRun;
  expect(r.outcome, `${job}: ${r.error}`).toBe("ok");
  return r;
};

/** One day of traffic under `minConfidence`; spot checks reviewed by the truth. */
async function day(start: number, drifted: boolean, minConfidence: number, seed: number, spotCheckRate = SPOT_RATE): Promise<SimulatedOutput[]> {
  const outputs = simulateStream({
    from: start,
    hours: 24,
    perHour: PER_HOUR,
    // Before: confidences around 0.8 that mean what they say. After: inputs shift (confidence
    // lower) and the model grows overconfident (right 12 points less often than it claims).
    confidence: drifted ? (r) => beta(r, 5, 2) : (r) => beta(r, 8, 2),
    pCorrect: drifted ? (c) => c - 0.12 : (c) => c,
    policy: { minConfidence, spotCheckRate },
    seed,
  });
  await ingestStream(ctx.store, projectId, keyId, outputs);
  await reviewStream(ctx.store, projectId, reviewerId, outputs, ["spot_check"], start + DAY);
  return outputs;
}

beforeAll(async () => {
  ctx = await createTestContext({ SEAMTRACE_ANALYTICS_WINDOW_HOURS: "24", SEAMTRACE_DRIFT_CURRENT_HOURS: "24", SEAMTRACE_DRIFT_BASELINE_HOURS: "24" });
  const p = await ctx.newProject();
  ({ projectId, keyId, key } = p);
  reviewerId = (await ctx.newUser(projectId, "reviewer")).userId;
  scheduler = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: () => clock }, JOBS);
  await putPolicy(ctx.store.client, {
    projectId,
    workflow: "claims",
    step: null,
    actor: "user:admin",
    now: T,
    patch: { minConfidence: 0.6, spotCheckRate: SPOT_RATE, targetAccuracy: TARGET, tightenMin: 0.6, tightenMax: 0.95 },
  });
  await createWebhook(
    ctx.store.db,
    { projectId, url: "https://hooks.example.test/alerts", events: ["alert.fired", "alert.resolved", "threshold.changed"], actor: "user:admin" },
    T,
  );
});
afterAll(() => ctx.close());

describe("a drifting stream", () => {
  it("keeps its threshold while the model is calibrated and on target", async () => {
    await day(T, false, 0.6, 1);
    clock = T + DAY + 10 * 60_000;
    await run("rollup");
    await run("drift");
    await run("alerts");
    const tighten = await run("auto-tighten");
    expect(tighten.details).toMatchObject({ steps: 1, tightened: 0 });
  });

  let threshold = 0;
  it("raises a drift alert, and auto-tighten raises the spot-check rate and minConfidence with its evidence", async () => {
    await day(T + DAY, true, 0.6, 2);
    clock = T + 2 * DAY + 10 * 60_000;
    await run("rollup");
    await run("drift");
    await run("alerts");
    const firing = await listAlerts(ctx.store.db, projectId, { status: "firing", from: 0, to: clock, limit: 50 });
    expect(firing.some((a) => a.ruleId === "builtin:drift" && a.step === "classify" && a.workflow === "claims")).toBe(true);

    const tighten = await run("auto-tighten");
    expect(tighten.details).toMatchObject({ tightened: 1 });
    const changes = await listThresholdChanges(ctx.store.db, projectId, { workflow: "claims", step: "classify", limit: 5 });
    const change = changes.find((c) => c.kind === "threshold");
    expect(change).toMatchObject({ before: 0.6, status: "applied", version: "1" });
    expect(change!.after).toBeGreaterThan(0.6);
    expect(change!.after).toBeLessThanOrEqual(0.95);
    const evidence = change!.evidence as {
      trigger: { belowTarget: boolean; driftAlert: boolean };
      delta: number;
      candidates: Array<{ threshold: number; lowerBound: number; pvalue: number; status: string }>;
    };
    expect(evidence.trigger).toMatchObject({ belowTarget: true, driftAlert: true });
    expect(evidence.delta).toBe(0.05);
    const chosen = evidence.candidates.find((c) => c.threshold === change!.after)!;
    expect(chosen.status).toBe("certified");
    expect(chosen.pvalue).toBeLessThanOrEqual(0.05);
    expect(chosen.lowerBound).toBeGreaterThanOrEqual(TARGET);
    // The drift itself raised the spot-check rate, not the threshold.
    expect(changes.find((c) => c.kind === "spot-check")).toMatchObject({ before: SPOT_RATE, after: 2 * SPOT_RATE, evidence: { cause: "drift" } });

    // The SDK's view: GET /v1/policies with the project's API key.
    const res = await ctx.app.request("/v1/policies", { headers: { authorization: `Bearer ${key}` } });
    const served = ((await res.json()) as PoliciesResponse).policies.find((p) => p.workflow === "claims" && p.step === "classify");
    expect(served?.minConfidence).toBe(change!.after);
    expect(served?.spotCheckRate).toBe(2 * SPOT_RATE);
    threshold = served!.minConfidence!;

    const deliveries = await ctx.store.client.execute({
      sql: "SELECT event FROM webhook_deliveries WHERE project_id = ? ORDER BY created_at",
      args: [projectId],
    });
    expect(deliveries.rows.map((r) => r.event)).toEqual(expect.arrayContaining(["alert.fired", "threshold.changed"]));
  });

  it("brings the labelled accuracy of auto-accepted outputs back to the target on the next window", async () => {
    // The SDK fetched both changes: the new threshold and, while the drift alert fires, the doubled spot-check rate.
    const outputs = await day(T + 2 * DAY, true, threshold, 3, 2 * SPOT_RATE);
    // What the gate let through, as the spot checks (a uniform sample of it) label it.
    const passed = outputs.filter((o) => o.event.gate?.outcome === "pass");
    const labelled = passed.filter((o) => o.review === "spot_check");
    const accuracy = labelled.filter((o) => o.correct).length / labelled.length;
    expect(labelled.length).toBeGreaterThan(100);
    expect(accuracy).toBeGreaterThanOrEqual(TARGET);
    // And the rollups, which auto-tighten reads, say the same.
    clock = T + 3 * DAY + 10 * 60_000;
    await run("rollup");
    const rows = (await readRollups(ctx.store.client, { projectId, step: "classify", from: T + 2 * DAY, to: T + 3 * DAY })).filter(
      (r) => r.key.step === "classify",
    );
    const bins = labelBins(rows, ["spot"]);
    const w = bins.reduce((s, b) => s + b.w, 0);
    const wy = bins.reduce((s, b) => s + b.wy, 0);
    expect(wy / w).toBeCloseTo(accuracy, 10);
    // Before the tightening, the same model let through outputs well below the target.
    const before = outputs.filter((o) => (o.event.confidence ?? 0) >= 0.6);
    expect(before.filter((o) => o.correct).length / before.length).toBeLessThan(TARGET);
    // The drift alert resolves: the new window looks like the last one.
    await run("drift");
    await run("alerts");
    const open = await listAlerts(ctx.store.db, projectId, { status: "firing", from: 0, to: clock, limit: 50 });
    expect(open.filter((a) => a.ruleId === "builtin:drift" && a.step === "classify")).toEqual([]);
    // With the alert gone the spot-check rate is restored, and the threshold change carries the
    // precision measured since it was made, beside the evidence that triggered it.
    await run("auto-tighten");
    const changes = await listThresholdChanges(ctx.store.db, projectId, { workflow: "claims", step: "classify", limit: 5 });
    expect(changes.find((c) => c.kind === "spot-check")).toMatchObject({ status: "reverted" });
    const change = changes.find((c) => c.kind === "threshold")!;
    const outcome = change.outcome as { precision: number; effectiveN: number; meetsTarget: boolean; from: string };
    // From the first whole hour after the change (made at 00:10): outputs before it ran under the old threshold.
    expect(outcome.from).toBe(new Date(T + 2 * DAY + H).toISOString());
    expect(outcome.effectiveN).toBeGreaterThan(50);
    expect(outcome.precision).toBeGreaterThanOrEqual(TARGET);
    expect(outcome.meetsTarget).toBe(true);
  });
});
