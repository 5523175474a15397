import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../app/logger.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { JOBS } from "../../app/jobs.js";
import { Scheduler, type FinishedRun } from "../jobs/scheduler.js";
import { beta, ingestStream, reviewStream, simulateStream, type SimulatedOutput } from "../../../test-support/stream-fixtures.js";

/**
 * calibration is measured on spot checks weighted by the inverse of their sampling
 * rate, so it describes every output, not only the low-confidence ones that were escalated
 * anyway. On a stream whose truth is known: the weighted estimate lands within ±0.03 of the true
 * accuracy; the estimate from escalated items alone is far off.
 */

const H = 3_600_000;
const T = Date.UTC(2026, 5, 1);
let ctx: TestContext;
let key: string;
let outputs: SimulatedOutput[];

beforeAll(async () => {
  ctx = await createTestContext();
  const p = await ctx.newProject();
  key = p.key;
  const reviewer = await ctx.newUser(p.projectId, "reviewer");
  outputs = simulateStream({
    from: T,
    hours: 24,
    // ~8,400 outputs, ~680 spot checks: the estimate's standard error is about 0.011, so ±0.03
    // holds with room (seeds 1–5 and 42–44 land within 0.017).
    perHour: 350,
    confidence: (r) => beta(r, 8, 2),
    pCorrect: (c) => c,
    policy: { minConfidence: 0.7, spotCheckRate: 0.1 },
    seed: 42,
  });
  await ingestStream(ctx.store, p.projectId, p.keyId, outputs);
  await reviewStream(ctx.store, p.projectId, reviewer.userId, outputs);
  const scheduler = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: () => T + 25 * H }, JOBS);
  expect(((await scheduler.run("rollup", { trigger: "manual", actor: "cli" })) as FinishedRun).outcome).toBe("ok");
});
afterAll(() => ctx.close());

async function calibration(sources?: string) {
  const q = new URLSearchParams({ workflow: "claims", step: "classify", from: new Date(T).toISOString(), to: new Date(T + 24 * H).toISOString() });
  if (sources) q.set("sources", sources);
  const res = await ctx.app.request(`/v1/analytics/calibration?${q}`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { reliability: { accuracy: number; count: number; weight: number; ece: number } };
}

describe("spot-check weighting", () => {
  it("estimates the true accuracy within ±0.03 from escalations plus spot checks weighted by 1/rate", async () => {
    const truth = outputs.filter((o) => o.correct).length / outputs.length;
    const { reliability } = await calibration();
    // Every escalated output and one in ten of the others were labelled; weights restore the rest.
    expect(reliability.count).toBe(outputs.filter((o) => o.review !== null).length);
    expect(reliability.weight).toBeCloseTo(
      outputs.filter((o) => o.review === "escalate").length + 10 * outputs.filter((o) => o.review === "spot_check").length,
      6,
    );
    expect(Math.abs(reliability.accuracy - truth)).toBeLessThanOrEqual(0.03);
    // The model is calibrated, and the weighted diagram says so.
    expect(reliability.ece).toBeLessThan(0.05);
  });

  it("is measurably biased when estimated from the escalated items alone", async () => {
    const truth = outputs.filter((o) => o.correct).length / outputs.length;
    const { reliability } = await calibration("review");
    expect(truth - reliability.accuracy).toBeGreaterThan(0.15);
  });
});
