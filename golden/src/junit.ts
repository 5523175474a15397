/**
 * JUnit XML for CI, red exactly when the run fails: a `<failure>` is a newly failing case of a
 * step that regressed (or a regression check, or a baseline that cannot be compared); a case
 * that fails now but did in the baseline too, or fails newly within the rule, or was not reached
 * is `<skipped>` with the reason. One suite per step (a test case per golden case) and a
 * `checks` suite (baseline, calibration and escalations per step, end to end). Valid against
 * the Jenkins xUnit plugin's junit-10.xsd, the schema most JUnit consumers follow.
 */
import { caseRecords, stepStanding, type CaseRecord } from "./case-records.js";
import { formatP, type StepComparison } from "./compare.js";
import { trialsOf, type CaseResult } from "./executor.js";
import type { GoldenRunReport } from "./run-report.js";

type Outcome = { kind: "pass" } | { kind: "failure"; message: string; type: string; details?: string } | { kind: "skipped"; message: string };
interface TestCase {
  name: string;
  outcome: Outcome;
}

/**
 * The report as JUnit XML. `baseline` (the baseline's per-case records) lets a skip say how the
 * case stood in the baseline.
 * @example
 * await writeFile("junit.xml", junitXml(report, { baseline: baselineFile.cases }));
 */
export function junitXml(report: GoldenRunReport, options: { baseline?: Readonly<Record<string, CaseRecord>> } = {}): string {
  const records = caseRecords(report.results);
  const comparison = report.comparison;
  const changes = new Map((comparison?.changes ?? []).map((c) => [`${c.step}\u0000${c.case}`, c]));
  const stepComparisons = new Map((comparison?.steps ?? []).map((s) => [s.step, s]));
  const suites: Array<{ name: string; classname: string; cases: TestCase[] }> = [];
  const byStep = new Map<string, TestCase[]>();
  for (const s of report.summary.steps) byStep.set(s.step, []);

  for (const r of report.results) {
    const rec = records[r.id]!;
    for (const step of Object.keys(rec.steps)) {
      let list = byStep.get(step);
      if (!list) byStep.set(step, (list = []));
      list.push({
        name: r.id,
        outcome: caseOutcome(r, step, rec, report, changes.get(`${step}\u0000${r.id}`), stepComparisons.get(step), options.baseline?.[r.id]),
      });
    }
  }
  for (const [step, cases] of byStep) suites.push({ name: `${report.set} › ${step}`, classname: `${report.set}.${step}`, cases });
  suites.push({ name: `${report.set} › checks`, classname: `${report.set}.checks`, cases: checks(report) });

  const count = (cases: TestCase[], kind: Outcome["kind"]) => cases.filter((c) => c.outcome.kind === kind).length;
  const all = suites.flatMap((s) => s.cases);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="${attr(`golden ${report.set}`)}" tests="${all.length}" failures="${count(all, "failure")}" errors="0">`);
  for (const s of suites) {
    out.push(
      `  <testsuite name="${attr(s.name)}" tests="${s.cases.length}" failures="${count(s.cases, "failure")}" errors="0" skipped="${count(s.cases, "skipped")}">`,
    );
    for (const c of s.cases) {
      const head = `    <testcase classname="${attr(s.classname)}" name="${attr(c.name)}"`;
      const o = c.outcome;
      if (o.kind === "pass") out.push(`${head}/>`);
      else if (o.kind === "skipped") out.push(`${head}>`, `      <skipped message="${attr(o.message)}"/>`, "    </testcase>");
      else
        out.push(`${head}>`, `      <failure message="${attr(o.message)}" type="${attr(o.type)}">${text(o.details ?? o.message)}</failure>`, "    </testcase>");
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>", "");
  return out.join("\n");
}

function caseOutcome(
  r: CaseResult,
  step: string,
  rec: CaseRecord,
  report: GoldenRunReport,
  change: { change: string; baseline: string; current: string } | undefined,
  sc: StepComparison | undefined,
  base: CaseRecord | undefined,
): Outcome {
  const s = rec.steps[step];
  const standing = stepStanding(s);
  if (standing === "passing") return { kind: "pass" };
  const runs = trialsOf(r);
  if (standing === "not-reached") {
    const how = [...new Set(runs.map((t) => t.run))].join(" or ");
    return { kind: "skipped", message: `not reached: the run ${how === "error" ? "threw" : `ended ${how}`} before this step` };
  }
  const failing = runs.map((t) => t.steps[step]).find((o) => o?.status === "wrong" || o?.status === "failed");
  const reason = failing?.reason ?? (failing?.status === "failed" ? "the step failed" : "output differs from expected");
  const ofRuns = rec.trials > 1 ? ` (${s!.passed}/${s!.reached} runs passed)` : "";
  if (!report.comparison) {
    if (report.baseline.state === "stored") return { kind: "skipped", message: `failing in the baseline this run stored${ofRuns}: ${reason}` };
    return { kind: "skipped", message: `failing, with no baseline to compare with${ofRuns}: ${reason}` };
  }
  if (change?.change === "new-failure") {
    const counts = `${sc?.newFailures ?? 0} newly failing, ${sc?.newPasses ?? 0} newly passing`;
    const test =
      sc?.accuracy.pValue !== null && sc?.accuracy.pValue !== undefined && report.comparison.rule.maxNewFailures === undefined
        ? `, ${formatP(sc.accuracy.pValue)}`
        : "";
    if (sc?.accuracy.regressed) {
      return {
        kind: "failure",
        type: failing?.status === "failed" ? "step-failed" : "mismatch",
        message: reason,
        details: `${reason}\nbaseline: ${change.baseline}; now: ${change.current}\nstep "${step}" regressed: ${counts}${test}`,
      };
    }
    return { kind: "skipped", message: `newly failing (baseline: ${change.baseline}) but step "${step}" did not regress (${counts}${test}): ${reason}` };
  }
  const then = base?.steps[step];
  if (base && stepStanding(then) === "not-reached") return { kind: "skipped", message: `failing, and not reached in the baseline${ofRuns}: ${reason}` };
  return { kind: "skipped", message: `already failing in the baseline${ofRuns}: ${reason}` };
}

function checks(report: GoldenRunReport): TestCase[] {
  const out: TestCase[] = [];
  const state = report.baseline.state;
  const fail = (message: string, type: string): Outcome => ({ kind: "failure", message, type });
  if (state === "compared") out.push({ name: "baseline", outcome: { kind: "pass" } });
  else if (state === "stored") out.push({ name: "baseline", outcome: { kind: "skipped", message: `stored by this run in ${report.baseline.path}` } });
  else if (state === "none")
    out.push({
      name: "baseline",
      outcome: { kind: "skipped", message: `no baseline${report.baseline.path ? ` at ${report.baseline.path}` : ""}: store one with --update-baseline` },
    });
  else out.push({ name: "baseline", outcome: fail(report.baseline.message ?? `baseline ${state}`, `baseline-${state}`) });

  const regression = new Map(report.regressions.map((r) => [`${r.kind}\u0000${r.what}`, r]));
  const check = (name: string, key: string): TestCase => {
    const r = regression.get(key);
    if (r) return { name, outcome: fail(r.message, "regression") };
    return { name, outcome: report.comparison ? { kind: "pass" } : { kind: "skipped", message: "no baseline to compare with" } };
  };
  for (const s of report.summary.steps) {
    out.push(check(`${s.step} calibration`, `calibration\u0000${s.step}`));
    out.push(check(`${s.step} escalations`, `escalation\u0000${s.step}`));
  }
  out.push(check("end-to-end", "end-to-end\u0000end-to-end"));
  return out;
}

/** XML 1.0 allows neither these control characters nor lone surrogates, even escaped. */
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function text(s: string): string {
  return s.replace(INVALID_XML, "\uFFFD").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Attribute values keep their line breaks and tabs as character references (a parser would fold them to spaces). */
function attr(s: string): string {
  return text(s).replace(/"/g, "&quot;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;");
}
