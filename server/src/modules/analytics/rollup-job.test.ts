import { uuidv7, type StepEvent } from "@seamtrace/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { labelBins, type RollupRow } from "./maths/rollup.js";
import { latencyQuantile } from "./maths/latency.js";
import { silentLogger } from "../../app/logger.js";
import { insertFeedbackLabels } from "../review/labels-store.js";
import { readRollups } from "./rollups-store.js";
import { createTestContext, eventLoopTurnsDuring, type TestContext } from "../../../test-support/testing.js";
import { JOBS } from "../../app/jobs.js";
import { Scheduler, type FinishedRun } from "../jobs/scheduler.js";
import { ingestStream, reviewStream, type SimulatedOutput } from "../../../test-support/stream-fixtures.js";

let ctx: TestContext;
afterEach(() => ctx?.close());

const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 2, 10); // an hour boundary

async function setup() {
  ctx = await createTestContext();
  const p = await ctx.newProject();
  const reviewer = await ctx.newUser(p.projectId, "reviewer");
  const scheduler = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: () => T0 + 48 * H }, JOBS);
  const rollup = async () => (await scheduler.run("rollup", { trigger: "manual", actor: "cli" })) as FinishedRun;
  return { ...p, reviewerId: reviewer.userId, rollup };
}

function output(over: Partial<StepEvent>, review: SimulatedOutput["review"] = null, correct = true): SimulatedOutput {
  const event: StepEvent = {
    id: uuidv7(),
    type: "step.completed",
    time: new Date(T0 + 60_000).toISOString(),
    runId: uuidv7(),
    workflow: "claims",
    version: "3",
    stepId: uuidv7(),
    step: "classify",
    parents: [],
    output: "water",
    confidence: 0.9,
    cumulative: 0.8,
    source: "inferred",
    stale: false,
    attempt: 1,
    durationMs: 100,
    startedAt: new Date(T0).toISOString(),
    gate: { outcome: "pass", kinds: [] },
    ...over,
  };
  if (review) event.escalationId = uuidv7();
  if (review === "spot_check") event.spotCheck = { rate: 0.1 };
  if (review === "escalate") event.gate = { outcome: "escalate", kinds: ["confidence"], minConfidence: 0.7 };
  if (review === "flag") event.gate = { outcome: "flag", kinds: ["confidence"], minConfidence: 0.7 };
  return { event, correct, review };
}

const find = (rows: RollupRow[], step: string, hour = T0) => rows.find((r) => r.key.step === step && r.key.hour === hour)!;

describe("rollup job", () => {
  it("folds step events into hour × workflow × version × step rows, and the workflow row", async () => {
    const s = await setup();
    const outputs = [
      output({ confidence: 0.93, durationMs: 40, features: { amount: 1200, channel: "email" } }),
      output({ confidence: 0.91, durationMs: 400, output: "fire", features: { amount: 800, channel: "web" } }),
      output({ confidence: 0.5, cumulative: 0.4 }, "escalate"),
      output({ confidence: 0.6, cumulative: 0.5 }, "flag"),
      output({ confidence: 0.97 }, "spot_check"),
      output({ type: "step.failed", confidence: undefined, cumulative: undefined, gate: undefined, output: undefined }),
      output({ step: "extract", confidence: 0.99, cumulative: 0.99, time: new Date(T0 + H + 5).toISOString() }),
      output({ source: "human", confidence: 1, cumulative: 1 }),
    ];
    await ingestStream(ctx.store, s.projectId, s.keyId, outputs);
    const run = await s.rollup();
    expect(run).toMatchObject({ outcome: "ok", rowsRead: outputs.length });

    const rows = await readRollups(ctx.store.client, { projectId: s.projectId, from: T0, to: T0 + 2 * H });
    const classify = find(rows, "classify");
    expect(classify).toMatchObject({ steps: 6, failed: 1, human: 1, escalated: 1, flagged: 1, spotChecks: 1, auto: 2 });
    expect(classify.confidence[18]).toBe(2); // 0.93, 0.91
    expect(classify.confidence[10]).toBe(1); // 0.5
    expect(classify.confidence[19]).toBe(1); // 0.97
    expect(classify.samples.confidence!.v.sort()).toEqual([0.5, 0.6, 0.91, 0.93, 0.97]);
    expect(classify.samples["f:amount"]!.v.sort()).toEqual([1200, 800]);
    expect(classify.categories["f:channel"]).toEqual({ email: 1, web: 1 });
    expect(classify.categories.output).toEqual({ water: 4, fire: 1 });
    expect(latencyQuantile(classify.latency, 1)! / 400).toBeCloseTo(1, 1);
    // The workflow row: all steps of the hour, binned by cumulative confidence.
    const workflow = find(rows, "");
    expect(workflow).toMatchObject({ steps: 6, escalated: 1 });
    expect(workflow.confidence[16]).toBe(3); // cumulative 0.8 (the failed step has none)
    expect(find(rows, "extract", T0 + H)).toMatchObject({ steps: 1, auto: 1 });
  });

  it("counts a completed step without a confidence as unscored: in its counts, in no bin, and out of calibration", async () => {
    const s = await setup();
    // Escalated because its policy requires a confidence, then reviewed: its label has no
    // confidence to calibrate against.
    const gated = output({ confidence: undefined, cumulative: 0.9 }, "escalate", true);
    gated.event.gate = { outcome: "escalate", kinds: ["unscored"] };
    const outputs = [
      output({ confidence: 0.9 }),
      output({ confidence: undefined, cumulative: 0.9 }),
      gated,
      // A failed step has no output to score: failed, not unscored.
      output({ type: "step.failed", confidence: undefined, cumulative: undefined, gate: undefined, output: undefined }),
    ];
    await ingestStream(ctx.store, s.projectId, s.keyId, outputs);
    await reviewStream(ctx.store, s.projectId, s.reviewerId, outputs);
    await s.rollup();

    const rows = await readRollups(ctx.store.client, { projectId: s.projectId, from: T0, to: T0 + H });
    expect(find(rows, "classify")).toMatchObject({ steps: 4, failed: 1, unscored: 2, escalated: 1 });
    expect(find(rows, "classify").confidence.reduce((a, b) => a + b, 0)).toBe(1);
    expect(find(rows, "")).toMatchObject({ steps: 4, unscored: 2 });
    expect(labelBins([find(rows, "classify")]).reduce((n, b) => n + b.n, 0)).toBe(0);

    const window = `workflow=claims&step=classify&from=${new Date(T0).toISOString()}&to=${new Date(T0 + H).toISOString()}`;
    const headers = { authorization: `Bearer ${s.key}` };
    const calibration = (await (await ctx.app.request(`/v1/analytics/calibration?${window}`, { headers })).json()) as {
      unscored: number;
      reliability: { count: number };
    };
    expect(calibration).toMatchObject({ unscored: 2, reliability: { count: 0 } });
    const rates = (await (await ctx.app.request(`/v1/analytics/escalations?${window}`, { headers })).json()) as { totals: { steps: number; unscored: number } };
    expect(rates.totals).toMatchObject({ steps: 4, unscored: 2 });
  });

  it("reads only what is new on each run, and the totals add up", async () => {
    const s = await setup();
    await ingestStream(ctx.store, s.projectId, s.keyId, [output({}), output({})]);
    expect((await s.rollup()).rowsRead).toBe(2);
    expect((await s.rollup()).rowsRead).toBe(0);
    await ingestStream(ctx.store, s.projectId, s.keyId, [output({}), output({}), output({})]);
    expect((await s.rollup()).rowsRead).toBe(3);
    const rows = await readRollups(ctx.store.client, { projectId: s.projectId, from: T0, to: T0 + H });
    expect(find(rows, "classify").steps).toBe(5);
  });

  it("lets the event loop run between chunks, so a large rollup never freezes the server", async () => {
    const s = await setup();
    // Three chunks of 5,000: the embedded driver settles every query at once, so only an
    // explicit yield per chunk lets ingest and health checks in while the job runs.
    await ingestStream(
      ctx.store,
      s.projectId,
      s.keyId,
      Array.from({ length: 12_000 }, () => output({})),
    );
    const { value: run, turns } = await eventLoopTurnsDuring(s.rollup);
    expect(run.rowsRead).toBe(12_000);
    expect(turns).toBeGreaterThanOrEqual(2);
  });

  it("puts a late label in the hour and bin of the output it labels, spot checks weighted by 1/rate", async () => {
    const s = await setup();
    const spot = output({ confidence: 0.97, time: new Date(T0 - 72 * H + 10).toISOString() }, "spot_check", false);
    const escalated = output({ confidence: 0.52 }, "escalate", true);
    await ingestStream(ctx.store, s.projectId, s.keyId, [spot, escalated]);
    await s.rollup();
    // Reviews arrive days after the rollup folded the outputs.
    await reviewStream(ctx.store, s.projectId, s.reviewerId, [spot, escalated]);
    expect((await s.rollup()).rowsRead).toBe(2);

    const old = (await readRollups(ctx.store.client, { projectId: s.projectId, from: T0 - 72 * H, to: T0 - 71 * H })).find((r) => r.key.step === "classify")!;
    expect(old.labels.spot!["19"]).toMatchObject({ n: 1, ny: 0, w: 10, wy: 0 });
    const now = find(await readRollups(ctx.store.client, { projectId: s.projectId, from: T0, to: T0 + H }), "classify");
    expect(now.labels.review!["10"]).toMatchObject({ n: 1, ny: 1, w: 1, wy: 1 });
    expect(now.labels.spot).toBeUndefined();
  });

  it("replaces a step's label when a later one arrives, instead of counting both", async () => {
    const s = await setup();
    const o = output({ confidence: 0.55 }, "escalate", true);
    await ingestStream(ctx.store, s.projectId, s.keyId, [o]);
    await reviewStream(ctx.store, s.projectId, s.reviewerId, [o]);
    await s.rollup();
    // Late feedback: the accepted output was wrong after all.
    await insertFeedbackLabels(ctx.store.client, {
      projectId: s.projectId,
      actor: "sdk:test",
      items: [{ runId: o.event.runId, stepId: o.event.stepId, correct: false }],
      now: T0 + 10 * H,
    });
    await s.rollup();
    const row = find(await readRollups(ctx.store.client, { projectId: s.projectId, from: T0, to: T0 + H }), "classify");
    const bins = labelBins([row]);
    expect(bins[11]).toMatchObject({ n: 1, ny: 0, w: 1, wy: 0 });
    expect(row.labels.review).toBeUndefined();
    expect(row.labels.other!["11"]).toMatchObject({ n: 1 });
  });
});
