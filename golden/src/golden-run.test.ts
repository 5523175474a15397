import { claimCases, defaultModelParams, type ModelParams } from "@seamtrace/example-claims";
import { comparators as claimsComparators, createGoldenWorkflow as claimsGolden } from "@seamtrace/example-claims/golden";
import type { Seamtrace } from "@seamtrace/sdk";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GoldenWorkflowModule } from "./executor.js";
import { goldenRun } from "./golden-run.js";
import { serializeGoldenSet, type GoldenCase } from "./golden-set.js";
import { formatSummaryTable } from "./report.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "golden-run-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/**
 * A two-step workflow: `double` then `label`. Version "bad" mislabels every third input, as a
 * regressed model would; `double` stays right, so only `label` may be named.
 */
function toyModule(version: "good" | "bad"): GoldenWorkflowModule {
  return {
    createGoldenWorkflow(st: Seamtrace) {
      const wf = st.workflow("toy", { version, policy: { minConfidence: 0.5, onLow: "escalate" } });
      return {
        run: (input) =>
          wf.run({ input }, async (run) => {
            const n = input as number;
            const d = await run.step("double", { input: n }, () => ({ value: n * 2, confidence: 0.95 }));
            const wrong = version === "bad" && n % 3 === 0;
            const l = await run.step("label", { from: [d] }, () => ({
              value: wrong ? "odd" : d.value % 4 === 0 ? "four" : "two",
              confidence: n === 7 ? 0.1 : 0.9,
            }));
            return l.value;
          }),
      };
    },
  };
}
const toyCases: GoldenCase[] = Array.from({ length: 30 }, (_, i) => ({
  id: `n${i + 1}`,
  input: i + 1,
  expected: { double: (i + 1) * 2, label: ((i + 1) * 2) % 4 === 0 ? "four" : "two" },
}));

describe("goldenRun", () => {
  it("measures accuracy, escalation and calibration per step, and passes against its own baseline", async () => {
    const set = join(dir, "toy.jsonl");
    await writeFile(set, serializeGoldenSet(toyCases));
    const stored = await goldenRun({ set, workflow: toyModule("good"), updateBaseline: true, now: () => new Date(0) });
    expect(stored.baseline.state).toBe("stored");
    expect(stored.summary.cases).toBe(30);
    // Input 7's label has confidence 0.1: escalated at its gate, so that run stops there.
    expect(stored.summary.runs).toEqual({ completed: 29, escalated: 1 });
    expect(stored.summary.escalationRate).toBeCloseTo(1 / 30);
    expect(stored.summary.steps.map((s) => [s.step, s.reached, s.correct, s.escalated])).toEqual([
      ["double", 30, 30, 0],
      ["label", 30, 30, 1],
    ]);
    expect(stored.summary.endToEndAccuracy).toBe(1);
    expect(stored.summary.steps[0]!.calibration.brier).toBeCloseTo(0.05 ** 2);
    expect(stored.workflow).toBe("toy");

    const again = await goldenRun({ set, workflow: toyModule("good") });
    expect(again.baseline.state).toBe("compared");
    expect(again.regressions).toEqual([]);
    expect(again.failed).toBe(false);
    expect(formatSummaryTable(again.summary)).toMatch(/label .*100\.0%/);
  });

  it("fails a regressing version, naming the step that got worse, and writes its new failures to JUnit", async () => {
    const set = join(dir, "toy.jsonl");
    const junit = join(dir, "out", "junit.xml");
    const report = await goldenRun({ set, workflow: toyModule("bad"), junit });
    expect(report.failed).toBe(true);
    expect(report.regressions[0]).toMatchObject({
      what: "label",
      kind: "accuracy",
      baseline: 1,
      current: 20 / 30,
      newFailures: 10,
      newPasses: 0,
      pValue: 0.5 ** 10,
    });
    // Confidently wrong (0.9) on ten cases: label's calibration got worse too; double is never named.
    expect(report.regressions.map((r) => [r.what, r.kind])).toEqual([
      ["label", "accuracy"],
      ["label", "calibration"],
      ["end-to-end", "end-to-end"],
    ]);
    expect(report.regressions[0]!.message).toBe(
      'step "label": 10 newly failing cases, 0 newly passing (exact McNemar p = 0.000977); accuracy 66.7%, baseline 100.0%',
    );
    expect(report.comparison!.changes.filter((c) => c.change === "new-failure").map((c) => c.case)).toEqual([
      "n3",
      "n6",
      "n9",
      "n12",
      "n15",
      "n18",
      "n21",
      "n24",
      "n27",
      "n30",
    ]);
    const xml = await readFile(junit, "utf8");
    expect(xml).toContain('<testsuite name="toy.jsonl › label" tests="30" failures="10" errors="0" skipped="0">');
    expect(xml).toMatch(/<testcase classname="toy.jsonl.label" name="n3">\s*<failure message="&quot;odd&quot; ≠ expected &quot;two&quot;" type="mismatch">/);
  });

  it("refuses to compare with a baseline of another version of the set", async () => {
    const set = join(dir, "toy.jsonl");
    const other = join(dir, "toy2.jsonl");
    await writeFile(other, serializeGoldenSet(toyCases.slice(1)));
    const report = await goldenRun({ set: other, workflow: toyModule("good"), baseline: join(dir, "toy.baseline.json") });
    expect(report.baseline.state).toBe("mismatch");
    expect(report.failed).toBe(true);
    expect(set).not.toBe(other);
  });

  it("records a step that throws as failed and the cases after it as not reached", async () => {
    const set = join(dir, "throw.jsonl");
    await writeFile(set, serializeGoldenSet([{ id: "x", input: 1, expected: { a: 1, b: 2 } }]));
    const mod: GoldenWorkflowModule = {
      createGoldenWorkflow: (st) => {
        const wf = st.workflow("throws");
        return {
          run: (input) =>
            wf.run({ input }, async (run) => {
              await run.step("a", {}, () => {
                throw new Error("model down");
              });
              return (await run.step("b", {}, () => ({ value: 2 }))).value;
            }),
        };
      },
    };
    const report = await goldenRun({ set, workflow: mod });
    expect(report.results[0]!.run).toBe("failed");
    expect(report.results[0]!.steps).toEqual({ a: { status: "failed", reason: "Error: model down" }, b: { status: "not-reached" } });
    expect(report.summary.steps[0]).toMatchObject({ step: "a", reached: 1, failed: 1, accuracy: 0 });
  });
});

describe("goldenRun on the claims example", () => {
  const cases: GoldenCase[] = [...claimCases({ seed: 11, count: 40 })].map((c) => ({ id: c.id, input: c.email, expected: { ...c.truth }, tags: c.tags }));
  const claimsModule = (params: ModelParams = defaultModelParams): GoldenWorkflowModule => ({
    createGoldenWorkflow: (st) => claimsGolden(st, { params, version: params.version }),
    comparators: claimsComparators,
  });

  it("runs the instrumented workflow and names classify when the classifier regresses", async () => {
    const set = join(dir, "claims.jsonl");
    await writeFile(set, serializeGoldenSet(cases));
    const base = await goldenRun({ set, workflow: claimsModule(), updateBaseline: true });
    expect(base.summary.steps.map((s) => s.step)).toEqual(["extract", "classify", "match-policy", "reserve", "route"]);
    const classify = base.summary.steps[1]!;
    expect(classify.reached).toBeGreaterThan(0);
    expect(classify.accuracy).toBeGreaterThan(0.6);

    // A "retrained" classifier that lost its auto vocabulary.
    const weights = { ...defaultModelParams.classify.weights, auto: {} };
    const broken: ModelParams = { ...defaultModelParams, version: "broken", classify: { ...defaultModelParams.classify, weights } };
    const worse = await goldenRun({ set, workflow: claimsModule(broken) });
    expect(worse.failed).toBe(true);
    expect(worse.regressions[0]?.what).toBe("classify");
  });
});
