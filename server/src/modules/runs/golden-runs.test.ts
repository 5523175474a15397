import { uuidv7, type GoldenRunTag, type SeamtraceEvent } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunListResponse, WorkflowListResponse } from "./contract.js";
import type { LabelsResponse } from "../review/contract.js";
import { silentLogger } from "../../app/logger.js";
import { JOBS } from "../../app/jobs.js";
import { Scheduler, type FinishedRun } from "../jobs/scheduler.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { postEvents } from "../../../test-support/events-fixtures.js";
import { call, escalatedRun, reviewedStep } from "../../../test-support/review-fixtures.js";

/**
 * Runs a golden-set evaluation sends (every event tagged `golden`) are stored and open as runs,
 * but stay out of what measures production: the default runs list, the run counts, the review
 * queue, the rollups every analytics job reads, and late-feedback labels.
 */
let ctx: TestContext;
let key: string;
let projectId: string;
let _analyst: { cookie: string };
const H = 3_600_000;
const T0 = Date.UTC(2025, 0, 15, 9, 30); // the review fixtures' time
const result = uuidv7();

/** The escalating fixture run, as an evaluation of case `id` sends it: its events tagged, out of order. */
function goldenRun(id: string, outcome: GoldenRunTag["outcome"], t0: number) {
  const run = escalatedRun(t0);
  const golden: GoldenRunTag = { set: "claims", case: id, result, outcome };
  const spot = reviewedStep(run.runId, "spot_check", { step: "route", startedAt: new Date(t0 + 310).toISOString(), time: new Date(t0 + 320).toISOString() });
  const tag = (events: SeamtraceEvent[]) => events.map((e) => ({ ...e, golden }));
  // The steps before the run.started, in another request: the run is golden from its first event.
  return { ...run, batches: [tag(run.batches[1]!), tag([...run.batches[0]!, spot])] };
}

async function rows(sql: string, args: Array<string | number>) {
  return (await ctx.store.client.execute({ sql, args })).rows.map((r) => Array.from(r));
}

const window = `from=${new Date(T0 - 3 * H - 15 * 60_000).toISOString()}&to=${new Date(T0 + 4 * H + 20 * 60_000).toISOString()}`;

beforeAll(async () => {
  ctx = await createTestContext();
  ({ key, projectId } = await ctx.newProject());
  _analyst = { cookie: (await ctx.newUser(projectId, "analyst")).cookie };
  const production = escalatedRun(T0);
  const golden = [goldenRun("c-1", "fail", T0 + 60_000), goldenRun("c-2", "pass", T0 + 4 * H)];
  for (const batch of [...production.batches, ...golden.flatMap((g) => g.batches)]) {
    const res = await postEvents(ctx, key, { events: batch });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.results?.every((r) => r.status === "accepted")).toBe(true);
  }
  await ctx.deps.projector.sync();
  Object.assign(state, { production, golden });
});
afterAll(() => ctx.close());
const state = {} as { production: ReturnType<typeof escalatedRun>; golden: ReturnType<typeof goldenRun>[] };

describe("golden runs", () => {
  it("are listed only on request, each with its set, case, result and outcome", async () => {
    const list = async (q: string) => (await call<RunListResponse>(ctx, "GET", `/v1/runs?${window}${q}`, { key })).body.items;
    expect((await list("")).map((r) => r.id)).toEqual([state.production.runId]);
    expect((await list("&golden=exclude")).map((r) => r.id)).toEqual([state.production.runId]);
    const only = await list("&golden=only");
    expect(only.map((r) => [r.id, r.golden])).toEqual([
      [state.golden[1]!.runId, { set: "claims", case: "c-2", result, outcome: "pass" }],
      [state.golden[0]!.runId, { set: "claims", case: "c-1", result, outcome: "fail" }],
    ]);
    expect(await list("&golden=include")).toHaveLength(3);
    expect((await list(`&goldenResult=${result}`)).map((r) => r.id)).toEqual(only.map((r) => r.id));
    expect(await list(`&goldenResult=${uuidv7()}`)).toEqual([]);
    expect((await call(ctx, "GET", "/v1/runs?golden=sometimes", { key })).status).toBe(400);
    // The run itself opens as any other, with its DAG.
    const detail = await call<{ run: { golden: unknown; status: string }; steps: unknown[] }>(ctx, "GET", `/v1/runs/${state.golden[0]!.runId}`, { key });
    expect(detail.body.run).toMatchObject({ status: "paused", golden: { case: "c-1", outcome: "fail" } });
    expect(detail.body.steps).toHaveLength(5);
  });

  it("are not counted as runs of their workflow", async () => {
    const res = await call<WorkflowListResponse>(ctx, "GET", `/v1/workflows?${window}`, { key });
    expect(res.body.items.find((w) => w.name === "claims")).toMatchObject({ runCount: 1, versions: [{ version: "3", runCount: 1 }] });
    // Whole hours come from run_hours, the partial hours at the edges (c-2 is in one) from runs:
    // neither counts a golden run.
    expect(await rows("SELECT sum(runs) FROM run_hours WHERE project_id = ?", [projectId])).toEqual([[1]]);
  });

  it("send nothing to the review queue, though their gates escalated and a step was sampled", async () => {
    expect(await rows("SELECT run_id FROM escalations WHERE project_id = ?", [projectId])).toEqual([[state.production.runId]]);
  });

  it("are left out of the rollups that calibration, drift and auto-tighten read", async () => {
    const scheduler = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: () => T0 + 48 * H }, JOBS);
    const run = (await scheduler.run("rollup", { trigger: "manual", actor: "cli" })) as FinishedRun;
    expect(run.outcome).toBe("ok");
    // Only the production run's four steps (and its all-steps row): no route step, no golden hour.
    expect(await rows("SELECT step, hour, steps, escalated FROM rollup_hours WHERE project_id = ? ORDER BY step", [projectId])).toEqual([
      ["", T0 - (T0 % H), 4, 1],
      ["classify", T0 - (T0 % H), 1, 0],
      ["extract", T0 - (T0 % H), 1, 0],
      ["match-policy", T0 - (T0 % H), 1, 0],
      ["reserve", T0 - (T0 % H), 1, 1],
    ]);
  });

  it("refuse late-feedback labels, which would put an evaluation into calibration", async () => {
    const g = state.golden[0]!;
    const res = await call<LabelsResponse>(
      ctx,
      "POST",
      "/v1/labels",
      { key },
      {
        labels: [
          { runId: g.runId, stepId: g.classify.stepId, correct: false },
          { runId: state.production.runId, stepId: state.production.classify.stepId, correct: true },
        ],
      },
    );
    expect(res.status).toBe(207);
    expect(res.body.results.map((r) => [r.status, r.code])).toEqual([
      ["rejected", "golden_run"],
      ["accepted", undefined],
    ]);
  });
});
