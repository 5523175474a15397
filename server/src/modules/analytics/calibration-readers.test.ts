import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../app/logger.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { JOBS } from "../../app/jobs.js";
import { Scheduler, type FinishedRun } from "../jobs/scheduler.js";
import { beta, ingestStream, reviewStream, simulateStream, type SimulatedOutput } from "../../../test-support/stream-fixtures.js";
import { adaptiveCalibrationError } from "./maths/adaptive-calibration.js";

/**
 * What the calibration answer adds for its readers: the adaptive (equal-mass) error beside ECE,
 * the queued items still without a label, and calibration per confidence source — on a stream
 * with two steps whose confidences come from a judge and from nowhere said, where only half the
 * spot checks and none of the escalations were decided.
 */

const H = 3_600_000;
const T = Date.UTC(2026, 6, 1);
let ctx: TestContext;
let key: string;
let classify: SimulatedOutput[];
let decided: SimulatedOutput[];

beforeAll(async () => {
  ctx = await createTestContext();
  const p = await ctx.newProject();
  key = p.key;
  const reviewer = await ctx.newUser(p.projectId, "reviewer");
  const stream = (step: string, seed: number) =>
    simulateStream({
      from: T,
      hours: 6,
      perHour: 200,
      step,
      confidence: (r) => beta(r, 8, 2),
      pCorrect: (c) => c - 0.1,
      policy: { minConfidence: 0.6, spotCheckRate: 0.2 },
      seed,
    });
  classify = stream("classify", 5);
  for (const o of classify) o.event.confidenceSource = "judge";
  const extract = stream("extract", 6);
  await ingestStream(ctx.store, p.projectId, p.keyId, [...classify, ...extract]);
  const spots = [...classify, ...extract].filter((o) => o.review === "spot_check");
  decided = spots.filter((_, i) => i % 2 === 0);
  await reviewStream(ctx.store, p.projectId, reviewer.userId, decided, ["spot_check"], T + 7 * H);
  const scheduler = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: () => T + 7 * H }, JOBS);
  expect(((await scheduler.run("rollup", { trigger: "manual", actor: "cli" })) as FinishedRun).outcome).toBe("ok");
});
afterAll(() => ctx.close());

interface Answer {
  reliability: { ece: number; count: number };
  adaptiveEce: number;
  missingLabels: {
    queued: { spot: number; review: number };
    labelled: { spot: number; review: number };
    missing: { spot: number; review: number };
    spotCoverage: number;
  };
  bySource: Array<{ source: string; steps: string[]; count: number; ece: number | null }>;
}

async function calibration(step?: string) {
  const q = new URLSearchParams({ workflow: "claims", from: new Date(T).toISOString(), to: new Date(T + 6 * H).toISOString() });
  if (step) q.set("step", step);
  const res = await ctx.app.request(`/v1/analytics/calibration?${q}`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Answer;
}

describe("the calibration answer", () => {
  it("gives the adaptive calibration error of the labels themselves beside ECE", async () => {
    const a = await calibration("classify");
    const items = decided.filter((o) => o.event.step === "classify").map((o) => ({ confidence: o.event.confidence!, correct: o.correct, weight: 1 / 0.2 }));
    expect(a.reliability.count).toBe(items.length);
    expect(a.adaptiveEce).toBeCloseTo(adaptiveCalibrationError(items, 10)!, 12);
  });

  it("reports the queued items still without a label: half the spot checks, every escalation", async () => {
    const a = await calibration("classify");
    const spots = classify.filter((o) => o.review === "spot_check").length;
    const escalated = classify.filter((o) => o.review === "escalate").length;
    expect(a.missingLabels.queued).toEqual({ spot: spots, review: escalated });
    expect(a.missingLabels.missing.review).toBe(escalated);
    expect(a.missingLabels.missing.spot).toBe(spots - a.missingLabels.labelled.spot);
    expect(a.missingLabels.spotCoverage).toBeGreaterThan(0.4);
    expect(a.missingLabels.spotCoverage).toBeLessThan(0.6);
  });

  it("measures calibration per confidence source", async () => {
    const a = await calibration();
    expect(a.bySource.map((s) => [s.source, s.steps])).toEqual([
      ["judge", ["classify"]],
      ["unknown", ["extract"]],
    ]);
    expect(a.bySource.every((s) => s.count > 0 && s.ece !== null)).toBe(true);
  });
});
