import type { Seamtrace } from "@seamtrace/sdk";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GoldenWorkflowModule } from "./executor.js";
import { runGoldenSet } from "./golden-run.js";
import { serializeGoldenSet, type GoldenCase } from "./golden-set.js";
import { formatMarkdown } from "./report.js";

/**
 * classify → reserve → route over 320 cases, each step's behaviour per case set by a variant:
 * which cases it gets wrong, with what confidence, and (for trials) how often at random. The
 * policy escalates below 0.6, so a low-confidence classify stops the run before reserve.
 */
const N = 320;
type Step = "classify" | "reserve" | "route";
interface Variant {
  version: string;
  /** Cases (by index) a step gets wrong. */
  wrong?: Partial<Record<Step, (i: number) => boolean>>;
  /** A step's confidence, per case and whether it is right. Default 0.9. */
  confidence?: Partial<Record<Step, (i: number, right: boolean) => number>>;
  /** Chance that classify is wrong on a run, for flaky cases (seeded by case, run and seed). */
  flaky?: { cases: (i: number) => boolean; rate: number; seed: string };
}
const draw = (...parts: Array<string | number>) => createHash("sha256").update(parts.join(":")).digest().readUInt32BE(0) / 2 ** 32;
const truth = (i: number) => ({ classify: i % 2 === 0 ? "auto" : "home", reserve: i % 2 === 0 ? 1000 : 5000, route: i % 2 === 0 ? "fast" : "review" });

function toy(v: Variant): GoldenWorkflowModule {
  const runs = new Map<number, number>();
  return {
    createGoldenWorkflow(st: Seamtrace) {
      const wf = st.workflow("toy", { version: v.version, policy: { minConfidence: 0.6, onLow: "escalate" } });
      const out = (step: Step, i: number, right: boolean, value: unknown, wrongValue: unknown) => ({
        value: right ? value : wrongValue,
        confidence: v.confidence?.[step]?.(i, right) ?? 0.9,
      });
      return {
        run: (input) =>
          wf.run({ input }, async (run) => {
            const i = input as number;
            const t = truth(i);
            const trial = runs.get(i) ?? 0;
            runs.set(i, trial + 1);
            const flakyWrong = v.flaky?.cases(i) === true && draw(v.flaky.seed, i, trial) < v.flaky.rate;
            const cRight = !(v.wrong?.classify?.(i) ?? false) && !flakyWrong;
            const c = await run.step("classify", () => out("classify", i, cRight, t.classify, "other"));
            const rRight = c.value === t.classify && !(v.wrong?.reserve?.(i) ?? false);
            const r = await run.step("reserve", { from: [c] }, () => out("reserve", i, rRight, t.reserve, 99));
            const oRight = r.value === t.reserve && !(v.wrong?.route?.(i) ?? false);
            return (await run.step("route", { from: [r] }, () => out("route", i, oRight, t.route, "hold"))).value;
          }),
      };
    },
  };
}

const cases: GoldenCase[] = Array.from({ length: N }, (_, i) => ({ id: `c${i}`, input: i, expected: truth(i) }));
/** The accepted version: classify wrong on every 13th case (and escalates there), route wrong on case 5. */
const base: Variant = {
  version: "1",
  wrong: { classify: (i) => i % 13 === 0, route: (i) => i === 5 },
  confidence: { classify: (_i, right) => (right ? 0.9 : 0.5) },
};
const extend = (version: string, change: (v: Variant) => Variant): Variant =>
  change({ ...base, version, wrong: { ...base.wrong }, confidence: { ...base.confidence } });

let dir: string;
let set: string;
let baseline: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "golden-compare-"));
  set = join(dir, "toy.jsonl");
  baseline = join(dir, "toy.baseline.json");
  await writeFile(set, serializeGoldenSet(cases));
  const stored = await runGoldenSet({ set, workflow: toy(base), updateBaseline: true, now: () => new Date(0) });
  expect(stored.baseline.state).toBe("stored");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("regressions decided case by case", () => {
  it("passes the unchanged workflow with no change listed, and JUnit has no failure", async () => {
    const junit = join(dir, "same.xml");
    const r = await runGoldenSet({ set, workflow: toy(base), junit });
    expect(r.failed).toBe(false);
    expect(r.comparison!.changes).toEqual([]);
    const xml = await readFile(junit, "utf8");
    expect(xml).toMatch(/<testsuites name="golden toy.jsonl" tests="\d+" failures="0" errors="0">/);
    // A case failing in the baseline too is skipped with its reason, not failed.
    expect(xml).toMatch(
      /<testcase classname="toy.jsonl.classify" name="c0">\s*<skipped message="already failing in the baseline: &quot;other&quot; ≠ expected &quot;auto&quot;"\/>/,
    );
    expect(xml).toMatch(/<testcase classname="toy.jsonl.reserve" name="c0">\s*<skipped message="not reached: the run ended escalated before this step"\/>/);
  });

  it("fails on 5 newly failing classify cases (exact McNemar p = 1/32), which the old 0.02 tolerance let pass", async () => {
    const five = new Set([2, 4, 6, 8, 10]);
    const r = await runGoldenSet({
      set,
      workflow: toy(extend("five", (v) => ({ ...v, wrong: { ...v.wrong, classify: (i) => i % 13 === 0 || five.has(i) } }))),
    });
    const classify = r.comparison!.steps.find((s) => s.step === "classify")!;
    expect(classify).toMatchObject({ newFailures: 5, newPasses: 0, accuracy: { pValue: 1 / 32, regressed: true } });
    // The accuracy drop the old rule compared with its tolerance: under 2 points.
    expect(classify.accuracy.baseline! - classify.accuracy.current!).toBeLessThan(0.02);
    expect(r.regressions[0]).toMatchObject({ what: "classify", kind: "accuracy", newFailures: 5 });
    expect(r.comparison!.changes.map((c) => `${c.step}:${c.case}:${c.baseline}→${c.current}`).slice(0, 5)).toEqual(
      [2, 4, 6, 8, 10].map((i) => `classify:c${i}:pass→fail`),
    );
    expect(r.failed).toBe(true);
  });

  it("leaves 3 newly failing reserve cases to the count rule (p = 1/8 cannot reach 0.05), which --max-new-failures 0 fails", async () => {
    const three = new Set([20, 40, 60]);
    const variant = toy(extend("three", (v) => ({ ...v, wrong: { ...v.wrong, reserve: (i) => three.has(i) } })));
    const tested = await runGoldenSet({ set, workflow: variant });
    const reserve = tested.comparison!.steps.find((s) => s.step === "reserve")!;
    expect(reserve).toMatchObject({ newFailures: 3, accuracy: { pValue: 1 / 8, regressed: false } });
    expect(tested.regressions.filter((r) => r.kind === "accuracy")).toEqual([]);
    const counted = await runGoldenSet({
      set,
      workflow: toy(extend("three", (v) => ({ ...v, wrong: { ...v.wrong, reserve: (i) => three.has(i) } }))),
      maxNewFailures: 0,
    });
    expect(counted.regressions.map((r) => [r.what, r.kind])).toContainEqual(["reserve", "accuracy"]);
    expect(counted.regressions.find((r) => r.what === "reserve")!.message).toContain("more than --max-new-failures 0");
    expect(counted.failed).toBe(true);
  });

  it("does not blame a step whose accuracy moved only because fewer cases reached it", async () => {
    // classify is now unsure (0.5) on 10 more cases it gets right: they escalate there, route never sees them.
    const unsure = new Set([100, 102, 106, 108, 110, 112, 114, 116, 118, 120]);
    const r = await runGoldenSet({
      set,
      workflow: toy(extend("unsure", (v) => ({ ...v, confidence: { classify: (i, right) => (right && !unsure.has(i) ? 0.9 : 0.5) } }))),
    });
    const route = r.comparison!.steps.find((s) => s.step === "route")!;
    // The old rule at tolerance 0 compared these two ratios and called route a regression.
    expect(route.accuracy.current!).toBeLessThan(route.accuracy.baseline!);
    expect(route).toMatchObject({ newFailures: 0, newPasses: 0, newlyNotReached: 10, accuracy: { regressed: false } });
    expect(r.regressions.map((x) => [x.what, x.kind])).toEqual([
      ["classify", "calibration"],
      ["classify", "escalation"],
    ]);
  });

  it("blames an over-confident classify on classify's calibration, not on the reserve step it now feeds wrong values", async () => {
    const r = await runGoldenSet({ set, workflow: toy(extend("sure", (v) => ({ ...v, confidence: { classify: () => 0.99 } }))) });
    const classify = r.comparison!.steps.find((s) => s.step === "classify")!;
    expect(classify.calibration.regressed).toBe(true);
    expect(classify.calibration.current!.brier!).toBeGreaterThan(classify.calibration.baseline!.brier!);
    expect(classify.escalation).toMatchObject({ newlyEscalated: 0, noLongerEscalated: 25 });
    const reserve = r.comparison!.steps.find((s) => s.step === "reserve")!;
    expect(reserve).toMatchObject({ newFailures: 0, newlyReached: 25, accuracy: { regressed: false }, calibration: { regressed: false } });
    expect(r.regressions.map((x) => [x.what, x.kind])).toEqual([
      ["classify", "calibration"],
      ["end-to-end", "end-to-end"],
    ]);
    expect(r.comparison!.endToEnd).toMatchObject({ newlyWrong: 25, firstWrongStep: { classify: 25 } });
  });

  it("refuses a baseline written without per-case outcomes, saying how to replace it", async () => {
    const old = join(dir, "old.baseline.json");
    const stored = JSON.parse(await readFile(baseline, "utf8")) as Record<string, unknown>;
    await writeFile(old, JSON.stringify({ set: stored.set, setVersion: stored.setVersion, createdAt: stored.createdAt, summary: stored.summary }));
    const r = await runGoldenSet({ set, workflow: toy(base), baseline: old });
    expect(r.baseline.state).toBe("outdated");
    expect(r.baseline.message).toContain("--update-baseline");
    expect(r.failed).toBe(true);
  });
});

describe("trials", () => {
  const flakyCases = (i: number) => i % 4 === 1;
  const trialsBaseline = () => join(dir, "trials.baseline.json");

  it("runs each case N times and reports pass rate, variance between trials and flaky cases per step", async () => {
    const r = await runGoldenSet({
      set,
      workflow: toy({ ...base, version: "flaky", flaky: { cases: flakyCases, rate: 0.2, seed: "a" } }),
      trials: 5,
      baseline: trialsBaseline(),
      updateBaseline: true,
    });
    expect(r.summary.trials).toBe(5);
    expect(r.summary.runs.completed! + r.summary.runs.escalated!).toBe(5 * N);
    const classify = r.summary.steps.find((s) => s.step === "classify")!;
    expect(classify.expected).toBe(5 * N);
    expect(classify.trials!.flakyCases).toBeGreaterThan(30);
    expect(classify.trials!.variance).toBeGreaterThan(0);
    const stored = JSON.parse(await readFile(trialsBaseline(), "utf8")) as {
      trials: number;
      cases: Record<string, { trials: number; steps: Record<string, { reached: number }> }>;
    };
    expect(stored.trials).toBe(5);
    expect(stored.cases.c1!.steps.classify!.reached).toBe(5);
  });

  it("passes the same flakiness on other draws, and fails a step whose pass rate dropped", async () => {
    const same = await runGoldenSet({
      set,
      workflow: toy({ ...base, version: "flaky", flaky: { cases: flakyCases, rate: 0.2, seed: "b" } }),
      trials: 5,
      baseline: trialsBaseline(),
    });
    const sc = same.comparison!.steps.find((s) => s.step === "classify")!;
    // Cases moved both ways by chance; the paired test over all runs sees no shift.
    expect(sc.newFailures).toBeGreaterThan(0);
    expect(sc.newPasses).toBeGreaterThan(0);
    expect(sc.accuracy.regressed).toBe(false);
    const worse = await runGoldenSet({
      set,
      workflow: toy({ ...base, version: "worse", flaky: { cases: flakyCases, rate: 0.4, seed: "c" } }),
      trials: 5,
      baseline: trialsBaseline(),
    });
    expect(worse.regressions[0]).toMatchObject({ what: "classify", kind: "accuracy" });
    expect(worse.regressions[0]!.message).toContain("exact paired test over 5 vs 5 runs per case");
    expect(worse.comparison!.changes[0]!.current).toMatch(/^\d\/5 passed$/);
  });
});

describe("formatMarkdown", () => {
  it("gives the verdict, the regressions, a per-step table and the new failures, escaping untrusted text", async () => {
    const r = await runGoldenSet({
      set,
      workflow: toy(extend("five", (v) => ({ ...v, wrong: { ...v.wrong, classify: (i) => i % 13 === 0 || (i > 0 && i <= 10 && i % 2 === 0) } }))),
    });
    r.comparison!.changes[0]!.reason = "got `x` | <img src=y>";
    const md = formatMarkdown(r);
    expect(md.split("\n")[0]).toBe("### ❌ Golden set `toy.jsonl`: 3 regressions");
    expect(md).toContain('- **classify** (accuracy): step "classify": 5 newly failing cases');
    expect(md).toContain("| classify | 90.6% | 92.2% | 5 | 0 | 0.0313 |");
    expect(md).toContain("<details><summary>5 newly failing case × step pairs</summary>");
    expect(md).toContain("got \\`x\\` \\| \\<img src=y\\>");
    expect(md).not.toMatch(/[^\\]<img/);
  });
});
