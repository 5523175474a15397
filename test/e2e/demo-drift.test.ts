import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../../server/test-support/testing.js";
import { call } from "../../server/test-support/review-fixtures.js";
import { loadConfig } from "../../server/src/app/config.js";
import { runDemo } from "../../server/src/cli/demo/run-demo.js";
import { DAY_MS, planDays, type DemoDayPlan } from "../../server/src/cli/demo/plan.js";
import { getProjectByName } from "../../server/src/modules/auth/projects-store.js";

/**
 * The drift `seamtrace demo` injects, as the drift job and the alerts then report it. The demo
 * (7 days of 150 claims, seed 1: what `seamtrace demo` does by default) shifts its traffic on
 * days 3–5 (shift ⅓, ⅔, 1 on version 1), after two settled days; version 2 serves days 6–7 on
 * fully shifted traffic. The shift makes claims larger (loss scale ×1 → ×2.5), states fewer
 * amounts and dates, and sends more cyber claims and typos; so the extracted amount, the
 * reserve and the route drift, and the classifier grows less sure. The drift job compares each
 * day with the 7 days before it, so a verdict moves only on days whose traffic differs from what
 * came before: none on day 2 (shift 0 against 0) or day 7 (version 2 at shift 1 against its own
 * day 6 at shift 1). Read back through the HTTP API, as the dashboard reads it.
 */

interface DriftTestView {
  series: string;
  level: string;
}
interface MetricItem {
  version: string;
  step: string | null;
  at: string;
  value: number;
  details: { level: string; tests: DriftTestView[] };
}
interface AlertItem {
  metric: string;
  workflow: string;
  version: string;
  step: string | null;
  status: string;
  message: string | null;
  cause: { series: string; psi: number | null } | null;
  firedAt: string;
  resolvedAt: string | null;
}

const END_AT = Date.UTC(2026, 10, 24, 2, 40);
let dir: string;
let plan: DemoDayPlan[];
let ctx: TestContext;
let analyst: { cookie: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "seamtrace-demo-drift-"));
  const config = loadConfig({ SEAMTRACE_DATA_DIR: dir, SEAMTRACE_SECRET: "s".repeat(40) });
  await runDemo({ config, days: 7, runsPerDay: 150, seed: 1, force: false, endAt: END_AT });
  plan = planDays(7, END_AT);
  ctx = await createTestContext({ SEAMTRACE_DATA_DIR: dir });
  const project = (await getProjectByName(ctx.store.db, "default"))!;
  analyst = await ctx.newUser(project.id, "analyst");
}, 900_000);
afterAll(() => {
  ctx?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The demo's day (1-based, as it prints them) whose end a job ran at. */
const dayOf = (at: string) => Math.round((Date.parse(at) - plan[0]!.start) / DAY_MS);
const window = () => ({ from: new Date(plan[0]!.start).toISOString(), to: new Date(plan.at(-1)!.start + 2 * DAY_MS).toISOString() });

async function verdicts(): Promise<MetricItem[]> {
  const res = await call<{ items: MetricItem[] }>(
    ctx,
    "GET",
    `/v1/metrics?${new URLSearchParams({ metric: "drift.level", workflow: "claims", ...window() })}`,
    analyst,
  );
  expect(res.status).toBe(200);
  return res.body.items;
}

/** Per day: "version step: series, …" for every series the drift job judged at alert level. */
function alertedByDay(items: MetricItem[]): Record<number, string[]> {
  const out: Record<number, string[]> = {};
  for (const m of items) {
    const alerted = m.details.tests.filter((t) => t.level === "alert").map((t) => t.series);
    if (alerted.length === 0) continue;
    (out[dayOf(m.at)] ??= []).push(`v${m.version} ${m.step ?? "(end to end)"}: ${alerted.sort().join(", ")}`);
  }
  for (const d of Object.values(out)) d.sort();
  return out;
}

describe("seamtrace demo's drift, as the drift job and the alerts report it", () => {
  it("judges a series only once it has a baseline, and every series it judges on every later day", async () => {
    const items = await verdicts();
    const judged = (version: string) => [...new Set(items.filter((m) => m.version === version).map((m) => dayOf(m.at)))].sort();
    // Day 1 has no history; version 2 has none before day 6.
    expect(judged("1")).toEqual([2, 3, 4, 5]);
    expect(judged("2")).toEqual([7]);
    const steps = [...new Set(items.map((m) => m.step ?? ""))].sort();
    expect(steps).toEqual(["", "classify", "extract", "match-policy", "reserve", "route"]);
    for (const day of [2, 3, 4, 5]) expect(items.filter((m) => m.version === "1" && dayOf(m.at) === day)).toHaveLength(steps.length);
  });

  it("alerts on the drifted steps and features on the days the traffic shifts, and on nothing else", async () => {
    const items = await verdicts();
    // Undrifted days: every series judged ok.
    for (const m of items.filter((x) => [2, 7].includes(dayOf(x.at)))) expect([m.step, dayOf(m.at), m.details.level]).toEqual([m.step, dayOf(m.at), "ok"]);
    expect(alertedByDay(items)).toEqual({
      // Shift ⅓: the amounts grow, and with them the reserve and the route it decides.
      3: ["v1 extract: f:amount", "v1 reserve: f:reserve, output", "v1 route: f:route, output"],
      // Shift ⅔: fewer amounts stated (the reserve falls back on other evidence), and the
      // classifier, meeting cyber claims and misleading narratives, is less sure.
      4: [
        "v1 classify: confidence",
        "v1 extract: f:amount, f:hasAmount",
        "v1 reserve: f:amountStated, f:evidence, f:reserve, output",
        "v1 route: f:route, output",
      ],
      // Shift 1 against a baseline that already holds the shifted days: the amounts still move.
      5: ["v1 extract: f:amount", "v1 reserve: f:reserve, output", "v1 route: f:route, output"],
    });
    // Matching a policy number barely changes (a few more typos and missing numbers): never at alert.
    expect(items.filter((m) => m.step === "match-policy" && m.value === 2)).toEqual([]);
  });

  it("fires one drift alert per drifted step when its drift begins, naming the workflow, step, feature and figures", async () => {
    const res = await call<{ items: AlertItem[] }>(ctx, "GET", `/v1/alerts?${new URLSearchParams({ status: "all", ...window() })}`, analyst);
    expect(res.status).toBe(200);
    const drift = res.body.items.filter((a) => a.metric === "drift.level");
    const seen = drift
      .map((a) => ({
        step: a.step,
        version: a.version,
        fired: dayOf(a.firedAt),
        resolved: a.resolvedAt === null ? null : dayOf(a.resolvedAt),
        feature: a.cause?.series,
      }))
      .sort((a, b) => a.fired - b.fired || String(a.step).localeCompare(String(b.step)));
    expect(seen).toEqual([
      { step: "extract", version: "1", fired: 3, resolved: null, feature: "f:amount" },
      { step: "reserve", version: "1", fired: 3, resolved: null, feature: "f:reserve" },
      { step: "route", version: "1", fired: 3, resolved: null, feature: "f:route" },
      // The classifier's confidence settles once the baseline holds shifted days.
      { step: "classify", version: "1", fired: 4, resolved: 5, feature: "confidence" },
    ]);
    for (const a of drift) {
      expect(a.message).toMatch(new RegExp(`^Drift in claims v1 / ${a.step}: `));
      // The message keeps the figures that fired it; `cause` is the latest drift value's.
      const feature = a.cause!.series.startsWith("f:") ? `feature ${a.cause!.series.slice(2)}` : a.cause!.series;
      expect(a.message).toMatch(new RegExp(`: ${feature} \\(PSI \\d\\.\\d{3}, (W1/sd|JS) \\d\\.\\d{3}, adjusted p [^,]+, n \\d+/\\d+\\)`));
    }
  });
});
