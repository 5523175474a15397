/**
 * How a golden run is shown: a terminal table (cli-table3) and JUnit XML for CI
 * (junit-report-builder: one suite per step, one test case per golden case).
 */
import Table from "cli-table3";
import junitModule, { type Builder } from "junit-report-builder";
import type { CaseResult } from "./executor.js";
import type { GoldenSummary } from "./summary.js";

// The package's types declare an ES default export, but it is CommonJS (`module.exports = builder`),
// so under NodeNext the default import is the builder itself.
const junit = junitModule as unknown as Builder;

const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null) => (x === null ? "—" : x.toFixed(3));

/** The per-step table and the totals under it, for a terminal. */
export function formatSummaryTable(summary: GoldenSummary, options: { color?: boolean } = {}): string {
  const table = new Table({
    head: ["step", "cases", "reached", "correct", "accuracy", "escalated", "brier", "ECE"],
    style: options.color ? {} : { head: [], border: [] },
  });
  for (const s of summary.steps) {
    table.push([s.step, s.expected, s.reached, s.correct, pct(s.accuracy), s.escalated, num(s.calibration.brier), num(s.calibration.ece)]);
  }
  const runs = Object.entries(summary.runs)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  return [
    table.toString(),
    `cases ${summary.cases} (${runs})  end-to-end accuracy ${pct(summary.endToEndAccuracy)} of ${summary.completed} completed  escalation rate ${pct(summary.escalationRate)}`,
  ].join("\n");
}

/** JUnit XML: a suite per expected step; a case fails when its step was wrong, failed or not reached. */
export function junitXml(results: readonly CaseResult[], options: { set: string }): string {
  const builder = junit.newBuilder();
  const suites = new Map<string, ReturnType<typeof builder.testSuite>>();
  for (const r of results) {
    for (const [step, o] of Object.entries(r.steps)) {
      let suite = suites.get(step);
      if (!suite) suites.set(step, (suite = builder.testSuite().name(`${options.set} › ${step}`)));
      const tc = suite.testCase().className(`${options.set}.${step}`).name(r.id);
      if (o.status === "wrong") tc.failure(o.reason ?? "output differs from expected", "mismatch");
      else if (o.status === "failed") tc.error(o.reason ?? "step failed", "step-failed");
      else if (o.status === "not-reached") tc.skipped();
    }
  }
  return builder.build();
}
