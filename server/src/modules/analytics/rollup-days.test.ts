import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dayRows, labelBins, type RollupRow } from "./maths/rollup.js";
import { latencyOf, ratesOf } from "./maths/series.js";
import { silentLogger } from "../../app/logger.js";
import { JOBS } from "../../app/jobs.js";
import { Scheduler, type FinishedRun } from "../jobs/scheduler.js";
import { beta, ingestStream, reviewStream, simulateStream } from "../../../test-support/stream-fixtures.js";
import { insertFeedbackLabels } from "../review/labels-store.js";
import {
  ensureRollupDays,
  loadRollupDays,
  readRollups,
  readRollupsByDay,
  rebuildRollupDays,
  rollupsByDayStatement,
  seriesInWindowStatement,
} from "./rollups-store.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";

const H = 3_600_000;
const DAY = 24 * H;
// Mid-morning, so the stream starts and ends inside a day.
const T0 = Date.UTC(2026, 2, 2, 10);
const END = T0 + 60 * H;

let ctx: TestContext;
let projectId: string;

beforeAll(async () => {
  ctx = await createTestContext();
  const p = await ctx.newProject();
  projectId = p.projectId;
  const reviewer = await ctx.newUser(projectId, "reviewer");
  const scheduler = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: () => END + DAY }, JOBS);
  const rollup = async () => expect(((await scheduler.run("rollup", { trigger: "manual", actor: "cli" })) as FinishedRun).outcome).toBe("ok");
  const stream = (version: string, seed: number) =>
    simulateStream({
      version,
      from: T0,
      hours: 60,
      perHour: 12,
      confidence: (r) => beta(r, 5, 2),
      pCorrect: (c) => c,
      policy: { minConfidence: 0.6, spotCheckRate: 0.3 },
      seed,
    });
  const v1 = stream("1", 3);
  const v2 = stream("2", 4);
  // Folded in several runs, so daily rows are added to as well as written fresh; the reviews
  // land days late, in the hours of the outputs they label.
  await ingestStream(ctx.store, projectId, p.keyId, v1);
  await rollup();
  await ingestStream(ctx.store, projectId, p.keyId, v2);
  await reviewStream(ctx.store, projectId, reviewer.userId, v1, ["escalate", "spot_check"], END + 2 * H);
  await rollup();
  await reviewStream(ctx.store, projectId, reviewer.userId, v2, ["escalate", "spot_check"], END + 3 * H);
  // Late feedback replaces some reviewed labels: the daily rows must take the old ones back out.
  const reviewed = v1.filter((o) => o.review !== null).slice(0, 20);
  await insertFeedbackLabels(ctx.store.client, {
    projectId,
    actor: "sdk:test",
    items: reviewed.map((o) => ({ runId: o.event.runId, stepId: o.event.stepId, correct: !o.correct })),
    now: END + 4 * H,
  });
  await rollup();
});
afterAll(() => ctx.close());

const everything = { from: 0, to: END + 10 * DAY };

async function storedDays(): Promise<Map<string, RollupRow>> {
  const rs = await ctx.store.client.execute("SELECT project_id, workflow, version, step, day FROM rollup_days");
  const keys = rs.rows.map((r) => ({ projectId: String(r[0]), workflow: String(r[1]), version: String(r[2]), step: String(r[3]), hour: Number(r[4]) }));
  return loadRollupDays(ctx.store.client, keys);
}

/** Two rows hold the same sums: counts and histograms exactly, the labels' float sums to 1e-9. */
function expectSameSums(actual: RollupRow, expected: RollupRow): void {
  const { labels: la, samples: _sa, categories: _ca, ...restA } = actual;
  const { labels: le, samples: _se, categories: _ce, ...restE } = expected;
  expect(restA).toEqual(restE);
  const ba = labelBins([actual]);
  const be = labelBins([expected]);
  be.forEach((b, i) => {
    for (const [field, v] of Object.entries(b)) expect(ba[i]![field as keyof typeof b], `bin ${i} ${field}`).toBeCloseTo(v, 9);
  });
  expect(Object.keys(la).sort()).toEqual(Object.keys(le).sort());
}

describe("daily rollups", () => {
  it("hold, per series and UTC day, the sums of that day's hourly rows, late and replaced labels included", async () => {
    const hourly = await readRollups(ctx.store.client, { projectId, ...everything, light: true });
    const expected = dayRows(hourly);
    const stored = await storedDays();
    // 2 versions × (step + workflow row) × the 3 days that 60 hours from 10:00 touch.
    expect(expected.size).toBe(12);
    expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [k, row] of expected) expectSameSums(stored.get(k)!, row);
    // The labels are in them (the reviews and the feedback), not only the counts.
    expect(labelBins([...stored.values()]).reduce((s, b) => s + b.n, 0)).toBeGreaterThan(100);
  });

  it("answer a window cut mid-day with daily rows for its whole days and hourly rows at its edges, summing to the same", async () => {
    const w = { from: T0 + 3 * H, to: T0 + 50 * H }; // 13:00 on day 1 to 12:00 on day 3
    const series = { projectId, workflow: "claims", version: "1", step: "classify" };
    const byDay = await readRollupsByDay(ctx.store.client, { ...series, ...w });
    const byHour = await readRollups(ctx.store.client, { ...series, ...w, light: true });
    expect(byHour).toHaveLength(47);
    // 11 hours of day 1, day 2 as one row, 12 hours of day 3.
    expect(byDay).toHaveLength(11 + 1 + 12);
    expect(byDay.filter((r) => r.key.hour === T0 + 14 * H)).toMatchObject([{ steps: 24 * 12 }]);
    expect(ratesOf(byDay)).toEqual(ratesOf(byHour));
    expect(latencyOf(byDay)).toEqual(latencyOf(byHour));
    const [a, b] = [labelBins(byDay), labelBins(byHour)];
    b.forEach((bin, i) => {
      for (const [field, v] of Object.entries(bin)) expect(a[i]![field as keyof typeof bin]).toBeCloseTo(v, 9);
    });
    // Rows come in series then time order, as readRollups gives them.
    const times = byDay.map((r) => r.key.hour);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    // A window inside one day reads the hourly rows alone.
    expect(await readRollupsByDay(ctx.store.client, { ...series, from: T0 + 3 * H, to: T0 + 9 * H })).toHaveLength(6);
  });

  it("are read through each table's series index, not every series of the project in the window", async () => {
    const stmt = rollupsByDayStatement({ projectId, workflow: "claims", step: "", from: T0 + 3 * H, to: T0 + 50 * H });
    const rs = await ctx.store.client.execute({ sql: `EXPLAIN QUERY PLAN ${stmt.sql}`, args: stmt.args });
    const plan = rs.rows.map((r) => String(r["detail"])).join("\n");
    expect(plan).toContain("rollup_days USING INDEX rollup_days_series_idx (project_id=? AND workflow=? AND step=? AND day>? AND day<?)");
    expect(plan).toContain("rollup_hours USING INDEX rollup_hours_series_idx (project_id=? AND workflow=? AND step=? AND hour>? AND hour<?)");
    expect(plan).not.toContain("rollup_hours_project_idx");
  });

  it("list a project's series in a window from an index alone, without looking up the (large) rows", async () => {
    const stmt = seriesInWindowStatement(T0, END, projectId);
    const rs = await ctx.store.client.execute({ sql: `EXPLAIN QUERY PLAN ${stmt.sql}`, args: stmt.args });
    expect(rs.rows.map((r) => String(r["detail"])).join("\n")).toContain("USING COVERING INDEX rollup_hours_project_idx (project_id=? AND hour>? AND hour<?)");
  });

  it("are built from the hourly rows once for a store rolled up before they existed, and rebuilt from a day on", async () => {
    const before = await storedDays();
    await ctx.store.client.execute("DELETE FROM rollup_days");
    await ctx.store.client.execute("DELETE FROM projections WHERE name = 'rollup_days'");
    await ensureRollupDays(ctx.store.client);
    const built = await storedDays();
    expect([...built.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [k, row] of before) expectSameSums(built.get(k)!, row);
    // Built once: a second call leaves them be.
    await ctx.store.client.execute("DELETE FROM rollup_days");
    await ensureRollupDays(ctx.store.client);
    expect((await storedDays()).size).toBe(0);
    // From a day on (bench/jobs.ts after deleting a window's hours): earlier days are kept as they are.
    const day2 = T0 - 10 * H + DAY;
    await withWriteLock(ctx.store.client, async (tx) => {
      await rebuildRollupDays(tx);
      await tx.execute({ sql: "UPDATE rollup_days SET steps = -1 WHERE day < ?", args: [day2] });
      const r = await rebuildRollupDays(tx, day2 + 5 * H);
      expect(r.days).toBe(8);
      return { commit: true, value: undefined };
    });
    const partly = await storedDays();
    expect(partly.size).toBe(12);
    for (const [k, row] of partly) {
      if (row.key.hour < day2) expect(row.steps).toBe(-1);
      else expectSameSums(row, before.get(k)!);
    }
  });
});

describe("rollup reads", () => {
  it("read the counts alone when asked, with no histograms or labels to parse", async () => {
    const w = { projectId, workflow: "claims", from: T0, to: END };
    const light = await readRollups(ctx.store.client, { ...w, light: true });
    const counts = await readRollups(ctx.store.client, { ...w, countsOnly: true });
    expect(counts.map((r) => r.key)).toEqual(light.map((r) => r.key));
    expect(counts.map((r) => ratesOf([r]))).toEqual(light.map((r) => ratesOf([r])));
    expect(light.some((r) => Object.keys(r.labels).length > 0)).toBe(true);
    for (const r of counts) expect([r.labels, r.latency, r.confidence.every((n) => n === 0)]).toEqual([{}, {}, true]);
  });
});
