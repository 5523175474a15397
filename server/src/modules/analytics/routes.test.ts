import type { PoliciesResponse } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../app/logger.js";
import { JOBS } from "../../app/jobs.js";
import { Scheduler, type FinishedRun } from "../jobs/scheduler.js";
import { beta, ingestStream, reviewStream, simulateStream } from "../../../test-support/stream-fixtures.js";
import { putPolicy } from "../policies/store.js";
import { recordThresholdChange } from "../policies/thresholds-store.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";

const H = 3_600_000;
const DAY = 24 * H;
const T = Date.UTC(2026, 6, 6);
const isoT = (ms: number) => new Date(ms).toISOString();

let ctx: TestContext;
let projectId: string;
let key: string;
let admin: string;
let analyst: string;
let reviewer: string;
let scheduler: Scheduler;
const clock = T + 2 * DAY + 10 * 60_000;

const run = async (job: string) => {
  const r = (await scheduler.run(job, { trigger: "manual", actor: "cli" })) as FinishedRun;
  expect(r.outcome, `${job}: ${r.error}`).toBe("ok");
  return r;
};

async function send<T = Record<string, unknown>>(method: string, path: string, credential: string, body?: unknown) {
  const headers: Record<string, string> = credential.includes("=") ? { cookie: credential } : { authorization: `Bearer ${credential}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await ctx.app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}
const get = <T = Record<string, unknown>>(path: string, who = analyst) => send<T>("GET", path, who);
const series = (extra: Record<string, string> = {}) =>
  new URLSearchParams({ workflow: "claims", step: "classify", from: isoT(T), to: isoT(T + 2 * DAY), ...extra }).toString();

beforeAll(async () => {
  ctx = await createTestContext({ SEAMTRACE_DRIFT_CURRENT_HOURS: "24", SEAMTRACE_DRIFT_BASELINE_HOURS: "24" });
  const p = await ctx.newProject();
  ({ projectId, key } = p);
  admin = (await ctx.newUser(projectId, "admin")).cookie;
  analyst = (await ctx.newUser(projectId, "analyst")).cookie;
  const rev = await ctx.newUser(projectId, "reviewer");
  reviewer = rev.cookie;
  ctx.deps.now = () => clock;
  scheduler = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: () => clock }, JOBS);
  // Day 1: an overconfident model (right with probability c², not c). Day 2: its inputs shift.
  for (const [day, a] of [
    [0, 8],
    [1, 5],
  ] as const) {
    const outputs = simulateStream({
      from: T + day * DAY,
      hours: 24,
      perHour: 60,
      confidence: (r) => beta(r, a, 2),
      pCorrect: (c) => c * c,
      policy: { minConfidence: 0.7, spotCheckRate: 0.2 },
      features: (r) => ({ amount: Math.round((day ? 2000 : 1000) * (0.5 + r())), channel: r() < (day ? 0.8 : 0.3) ? "email" : "web" }),
      output: (r) => (r() < 0.5 ? "water" : "fire"),
      seed: 7 + day,
    });
    await ingestStream(ctx.store, projectId, p.keyId, outputs);
    await reviewStream(ctx.store, projectId, rev.userId, outputs, ["escalate", "spot_check"], T + (day + 1) * DAY);
  }
  for (const job of ["rollup", "calibration", "escalation", "drift", "alerts", "recalibrate"]) await run(job);
});
afterAll(() => ctx.close());

describe("analytics API", () => {
  it("lists the series with data in a window", async () => {
    const res = await get<{ items: Array<{ workflow: string; version: string; step: string | null }> }>(
      `/v1/analytics/series?from=${isoT(T)}&to=${isoT(T + 2 * DAY)}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      { workflow: "claims", version: "1", step: null },
      { workflow: "claims", version: "1", step: "classify" },
    ]);
  });

  it("answers calibration per step and end to end, over the window and as a daily trend", async () => {
    const res = await get<{
      reliability: { bins: Array<{ wilson: [number, number]; accuracy: number; meanConfidence: number }>; ece: number; brier: number };
      trend: unknown[];
    }>(`/v1/analytics/calibration?${series()}`, key);
    expect(res.status).toBe(200);
    expect(res.body.trend).toHaveLength(2);
    // Overconfident: accuracy sits below confidence, and ECE shows it.
    expect(res.body.reliability.ece).toBeGreaterThan(0.05);
    for (const b of res.body.reliability.bins) expect(b.wilson[0]).toBeLessThanOrEqual(b.accuracy);
    const e2e = await get<{ series: { step: null }; reliability: { count: number } }>(
      `/v1/analytics/calibration?workflow=claims&from=${isoT(T)}&to=${isoT(T + 2 * DAY)}&interval=none`,
    );
    expect(e2e.body.series.step).toBeNull();
    expect(e2e.body.reliability.count).toBeGreaterThan(0);
  });

  it("answers escalation, flag, spot-check and auto-completion rates with change detection", async () => {
    const res = await get<{
      totals: { steps: number; escalationRate: number };
      trend: Array<{ steps: number; changes: { escalation: { changed: boolean; direction: string | null } } }>;
    }>(`/v1/analytics/escalations?${series()}`);
    expect(res.body.totals.steps).toBe(2 * 24 * 60);
    expect(res.body.trend.map((t) => t.steps)).toEqual([1440, 1440]);
    // Day 2's lower confidences escalate far more often: a change, upward.
    expect(res.body.trend[1]!.changes.escalation).toMatchObject({ changed: true, direction: "up" });
  });

  it("answers drift of confidence, numeric and categorical features against the window before", async () => {
    const res = await get<{ level: string; tests: Array<{ series: string; level: string; psi: number | null; pvalue: number | null }> }>(
      `/v1/analytics/drift?workflow=claims&step=classify&from=${isoT(T + DAY)}&to=${isoT(T + 2 * DAY)}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.level).toBe("alert");
    const bySeries = Object.fromEntries(res.body.tests.map((t) => [t.series, t]));
    expect(bySeries.confidence!.level).toBe("alert");
    expect(bySeries["f:amount"]!.level).toBe("alert");
    expect(bySeries["f:channel"]!.level).toBe("alert");
    // The output's categories did not move (water/fire at 50/50 both days).
    expect(bySeries.output!.psi!).toBeLessThan(0.1);
  });

  it("answers drift with both sides' histograms over the same bins and a per-slice PSI/KS trend", async () => {
    type Hist = { kind: string; edges?: number[]; categories?: string[]; baseline: number[]; current: number[] };
    const res = await get<{
      tests: Array<{ series: string; baselineN: number; currentN: number; histogram: Hist | null }>;
      trend: Array<{ from: string; to: string; level: string; tests: Array<{ series: string; psi: number | null; pvalue: number | null }> }>;
    }>(`/v1/analytics/drift?workflow=claims&step=classify&from=${isoT(T + DAY)}&to=${isoT(T + 2 * DAY)}&interval=hour`);
    expect(res.status).toBe(200);
    const bySeries = Object.fromEntries(res.body.tests.map((t) => [t.series, t]));
    const conf = bySeries.confidence!.histogram!;
    expect(conf.kind).toBe("numeric");
    expect(conf.edges).toHaveLength(21);
    expect(conf.baseline.reduce((s, v) => s + v, 0)).toBe(bySeries.confidence!.baselineN);
    expect(conf.current.reduce((s, v) => s + v, 0)).toBe(bySeries.confidence!.currentN);
    const amount = bySeries["f:amount"]!.histogram!;
    expect(amount.edges!.length).toBe(amount.baseline.length + 1);
    expect([...amount.edges!].sort((a, b) => a - b)).toEqual(amount.edges);
    const channel = bySeries["f:channel"]!.histogram!;
    expect(channel.categories!.length).toBe(channel.current.length);
    // One slice per hour of the current day, each tested against the whole baseline.
    expect(res.body.trend).toHaveLength(24);
    expect(res.body.trend[0]!.from).toBe(isoT(T + DAY));
    expect(res.body.trend.every((t) => t.tests.some((x) => x.series === "confidence"))).toBe(true);
  });

  it("answers latency quantiles and evaluator agreement", async () => {
    const lat = await get<{ count: number; p50: number; p99: number }>(`/v1/analytics/latency?${series()}`);
    expect(lat.body.count).toBe(2880);
    expect(lat.body.p50).toBeGreaterThan(20);
    expect(lat.body.p99).toBeLessThan(250);
    const agr = await get<{ matrix: number[][]; n: number; kappa: number; cutoff: number }>(`/v1/analytics/agreement?${series({ cutoff: "0.7" })}`);
    expect(agr.body.cutoff).toBe(0.7);
    expect(agr.body.matrix.flat().reduce((s, v) => s + v, 0)).toBe(agr.body.n);
    expect(agr.body.kappa).toBeGreaterThan(0);
  });

  it("answers the same over a window cut mid-day from the daily rollups as hour by hour", async () => {
    // 05:00 on day 1 to the end of day 2: day 2 is read as one daily row, day 1 as 19 hours.
    const w = (interval: string) => series({ from: isoT(T + 5 * H), interval });
    type Calibration = {
      reliability: { count: number; ece: number; brier: number; bins: Array<{ bin: number; count: number; weight: number; accuracy: number }> };
    };
    const [byDay, byHour] = await Promise.all([
      get<Calibration>(`/v1/analytics/calibration?${w("day")}`),
      get<Calibration>(`/v1/analytics/calibration?${w("hour")}`),
    ]);
    expect(byDay.body.reliability.count).toBeGreaterThan(100);
    expect(byDay.body.reliability.count).toBe(byHour.body.reliability.count);
    expect(byDay.body.reliability.ece).toBeCloseTo(byHour.body.reliability.ece, 9);
    expect(byDay.body.reliability.brier).toBeCloseTo(byHour.body.reliability.brier, 9);
    expect(byDay.body.reliability.bins.map((b) => [b.bin, b.count])).toEqual(byHour.body.reliability.bins.map((b) => [b.bin, b.count]));
    byDay.body.reliability.bins.forEach((b, i) => expect(b.accuracy).toBeCloseTo(byHour.body.reliability.bins[i]!.accuracy, 9));
    type Rates = { totals: { steps: number }; trend: Array<{ steps: number }> };
    const [ratesDay, ratesHour] = await Promise.all([
      get<Rates>(`/v1/analytics/escalations?${w("day")}`),
      get<Rates>(`/v1/analytics/escalations?${w("hour")}`),
    ]);
    expect(ratesDay.body.totals).toEqual(ratesHour.body.totals);
    expect(ratesDay.body.trend.map((t) => t.steps)).toEqual([19 * 60, 24 * 60]);
    const [latDay, latHour] = await Promise.all([get(`/v1/analytics/latency?${w("day")}`), get(`/v1/analytics/latency?${w("hour")}`)]);
    const { trend: _d, ...latDayTotals } = latDay.body;
    const { trend: _h, ...latHourTotals } = latHour.body;
    expect(latDayTotals).toEqual(latHourTotals);
  });

  it("counts the escalation rate per run end to end, beside the rate per step output", async () => {
    const res = await get<{
      totals: { steps: number; escalated: number; escalationRateSteps: number; runs: number; escalatedRuns: number; escalationRateRuns: number };
    }>(`/v1/analytics/escalations?workflow=claims&from=${isoT(T)}&to=${isoT(T + 2 * DAY)}`);
    // One step per run in this stream: as many runs as step outputs, each escalated run one escalated step.
    expect(res.body.totals.runs).toBe(2 * 24 * 60);
    expect(res.body.totals.escalatedRuns).toBe(res.body.totals.escalated);
    expect(res.body.totals.escalationRateRuns).toBeCloseTo(res.body.totals.escalationRateSteps, 12);
    const step = await get<{ totals: { runs: number | null } }>(`/v1/analytics/escalations?${series()}`);
    expect(step.body.totals.runs).toBeNull();
    const stored = await get<{ items: Array<{ metric: string; step: string | null; details: { unit: string } }> }>(
      `/v1/metrics?metric=escalation.rate.runs&workflow=claims&from=${isoT(T)}&to=${isoT(clock + H)}`,
    );
    expect(stored.body.items.length).toBeGreaterThan(0);
    expect(stored.body.items.every((m) => m.step === null && m.details.unit === "runs")).toBe(true);
    // One step per run: the job's window holds as many runs as step outputs, counted alike.
    const steps = await get<{ items: Array<{ at: string; step: string | null; details: { count: number; total: number } }> }>(
      `/v1/metrics?metric=escalation.rate.steps&workflow=claims&from=${isoT(T)}&to=${isoT(clock + H)}`,
    );
    const perRun = stored.body.items as unknown as Array<{ at: string; details: { count: number; total: number } }>;
    expect(perRun.map((m) => [m.at, m.details.total, m.details.count])).toEqual(
      steps.body.items.filter((m) => m.step !== null && perRun.some((r) => r.at === m.at)).map((m) => [m.at, m.details.total, m.details.count]),
    );
    expect(perRun.every((m) => m.details.total > 1)).toBe(true);
  });

  it("serves the jobs' stored metrics as a series", async () => {
    const res = await get<{ items: Array<{ metric: string; value: number; step: string | null }> }>(
      `/v1/metrics?metric=drift.level&workflow=claims&from=${isoT(T)}&to=${isoT(clock + H)}`,
    );
    expect(res.body.items.find((m) => m.step === "classify")).toMatchObject({ value: 2 });
    const ece = await get<{ items: unknown[] }>(`/v1/metrics?metric=calibration.ece&from=${isoT(T)}&to=${isoT(clock + H)}`);
    expect(ece.body.items.length).toBeGreaterThan(0);
  });

  it("bounds every window and keeps reviewers out", async () => {
    expect((await get(`/v1/analytics/calibration?workflow=claims&from=2020-01-01&to=2026-01-01`)).status).toBe(400);
    expect((await get(`/v1/analytics/calibration?${series()}`, reviewer)).status).toBe(403);
    expect((await get(`/v1/analytics/calibration?step=classify`)).status).toBe(400);
  });
});

describe("alerts", () => {
  it("fires a stored rule, shows it, sends it by webhook, and resolves it when the rule goes", async () => {
    const hook = await send("POST", "/v1/webhooks", admin, { url: "https://hooks.example.test/a", events: ["alert.fired", "alert.resolved"] });
    expect(hook.status).toBe(201);
    expect((await send("POST", "/v1/alerts/rules", analyst, { name: "x", metric: "escalation.rate", op: ">", threshold: 0.1 })).status).toBe(403);
    // The metric's old name is still read: the rule is stored under its new one.
    const rule = await send<{ id: string; metric: string }>("POST", "/v1/alerts/rules", admin, {
      name: "Escalations over 10%",
      metric: "escalation.rate",
      op: ">",
      threshold: 0.1,
      step: "classify",
    });
    expect(rule.status).toBe(201);
    expect(rule.body.metric).toBe("escalation.rate.steps");
    await run("alerts");
    const firing = await get<{ items: Array<{ ruleId: string; metric: string; step: string; status: string }> }>("/v1/alerts?status=firing");
    expect(firing.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          ruleId: rule.body.id,
          metric: "escalation.rate.steps",
          step: "classify",
          message: expect.stringMatching(/^escalation\.rate\.steps 0\.\d+ > 0\.1 for claims v\d+ \/ classify$/),
        }),
      ]),
    );
    // The built-in drift rule fired too.
    expect(firing.body.items.some((a) => a.ruleId === "builtin:drift")).toBe(true);
    // Each alert carries its rule's comparison, and a drift alert the test that moved most, so
    // it can be told in words ("drift on classify · amount: PSI 0.31 ≥ 0.25").
    const worded = firing.body.items as unknown as Array<{
      ruleId: string;
      step: string;
      op: string | null;
      cause: { series: string; psi: number | null; level: string } | null;
    }>;
    expect(worded.find((a) => a.ruleId === rule.body.id)).toMatchObject({ op: ">", cause: null });
    const drift = worded.find((a) => a.ruleId === "builtin:drift" && a.step === "classify")!;
    expect(drift.op).toBe(">=");
    expect(drift.cause).toMatchObject({ level: "alert", series: expect.stringMatching(/^(confidence|output|f:amount|f:channel)$/) });
    // The drift job stored every test of that value; the cause is the one with the largest PSI.
    const stored = await ctx.store.client.execute({
      sql: "SELECT details FROM metrics WHERE project_id = ? AND metric = 'drift.level' AND step = 'classify' ORDER BY at DESC LIMIT 1",
      args: [projectId],
    });
    const tests = (JSON.parse(String(stored.rows[0]![0])) as { tests: Array<{ series: string; psi: number | null; level: string }> }).tests;
    const worst = tests.filter((t) => t.level === "alert").sort((x, y) => (y.psi ?? -1) - (x.psi ?? -1))[0]!;
    expect(drift.cause).toMatchObject({ series: worst.series, psi: worst.psi });

    expect((await send("DELETE", `/v1/alerts/rules/${rule.body.id}`, admin)).status).toBe(204);
    await run("alerts");
    const all = await get<{ items: Array<{ ruleId: string; status: string }> }>(`/v1/alerts?status=all&from=${isoT(T)}&to=${isoT(clock + H)}`);
    expect(all.body.items.find((a) => a.ruleId === rule.body.id)!.status).toBe("resolved");
    const events = await ctx.store.client.execute({ sql: "SELECT event FROM webhook_deliveries WHERE project_id = ?", args: [projectId] });
    expect(events.rows.map((r) => r.event)).toEqual(expect.arrayContaining(["alert.fired", "alert.resolved"]));
  });

  it("lists rules with the built-in drift rule first", async () => {
    const res = await get<{ items: Array<{ id: string }> }>("/v1/alerts/rules", key);
    expect(res.body.items[0]!.id).toBe("builtin:drift");
  });
});

describe("recalibration", () => {
  it("fits an isotonic map from the labels and serves it with the policies", async () => {
    const maps = await get<{ items: Array<{ workflow: string; step: string; version: string; x: number[]; y: number[] }> }>("/v1/analytics/calibration-maps");
    const map = maps.body.items.find((m) => m.step === "classify")!;
    expect(map.version).toBe("1");
    for (let i = 1; i < map.y.length; i++) expect(map.y[i]!).toBeGreaterThanOrEqual(map.y[i - 1]!);
    const res = await ctx.app.request("/v1/policies", { headers: { authorization: `Bearer ${key}` } });
    const body = (await res.json()) as PoliciesResponse;
    const served = body.calibrations!.find((m) => m.step === "classify")!;
    // The truth is c²: around 0.9 the map should say about 0.81, not 0.9.
    const i = served.x.findIndex((x) => x >= 0.9);
    expect(served.y[i]!).toBeGreaterThan(0.7);
    expect(served.y[i]!).toBeLessThan(0.88);
  });
});

describe("threshold changes", () => {
  it("lists an auto-tightening with its evidence and lets an admin revert it once", async () => {
    await putPolicy(ctx.store.client, {
      projectId,
      workflow: "claims",
      step: "classify",
      patch: { minConfidence: 0.85 },
      actor: "system:auto-tighten",
      now: clock,
    });
    const id = await recordThresholdChange(ctx.store.client, {
      projectId,
      workflow: "claims",
      step: "classify",
      version: "1",
      before: 0.7,
      after: 0.85,
      evidence: { reason: "test" },
      policyRevision: 1,
      now: clock,
    });
    const list = await get<{ items: Array<{ id: string; evidence: unknown }> }>("/v1/thresholds/changes?workflow=claims");
    expect(list.body.items[0]).toMatchObject({ id, evidence: { reason: "test" } });
    expect((await send("POST", `/v1/thresholds/changes/${id}/revert`, analyst, {})).status).toBe(403);
    const reverted = await send<{ status: string; policy: { minConfidence: number } }>("POST", `/v1/thresholds/changes/${id}/revert`, admin, {
      reason: "false alarm",
    });
    expect(reverted.status).toBe(200);
    expect(reverted.body).toMatchObject({ status: "reverted", policy: { minConfidence: 0.7 } });
    expect((await send("POST", `/v1/thresholds/changes/${id}/revert`, admin, {})).status).toBe(409);
  });

  it("refuses to revert a tightening the policy has moved on from", async () => {
    await putPolicy(ctx.store.client, {
      projectId,
      workflow: "claims",
      step: "classify",
      patch: { minConfidence: 0.9 },
      actor: "system:auto-tighten",
      now: clock,
    });
    const id = await recordThresholdChange(ctx.store.client, {
      projectId,
      workflow: "claims",
      step: "classify",
      version: "1",
      before: 0.7,
      after: 0.9,
      evidence: {},
      policyRevision: 3,
      now: clock,
    });
    await putPolicy(ctx.store.client, { projectId, workflow: "claims", step: "classify", patch: { minConfidence: 0.95 }, actor: "user:someone", now: clock });
    const res = await send<{ error: { code: string } }>("POST", `/v1/thresholds/changes/${id}/revert`, admin, {});
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("policy_changed");
  });
});
