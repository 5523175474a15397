/**
 * How a golden run is shown: a terminal table (cli-table3) with the case-by-case comparison
 * under it, and Markdown for a pull-request comment. JUnit XML is junit.ts.
 */
import Table from "cli-table3";
import { formatP, type GoldenComparison, type StepComparison } from "./compare.js";
import type { GoldenRunReport } from "./golden-run.js";
import type { GoldenSummary } from "./summary.js";

const pct = (x: number | null | undefined) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null | undefined) => (x === null || x === undefined ? "—" : x.toFixed(3));
const pOf = (x: number | null) => (x === null ? "—" : formatP(x).replace(/^p /, "").replace(/^= /, ""));

/** Changes listed in full in the terminal and the Markdown; `--json` lists all. */
export const LISTED_CHANGES = 20;

/** The per-step table and the totals under it, for a terminal. */
export function formatSummaryTable(summary: GoldenSummary, options: { color?: boolean } = {}): string {
  const trials = summary.trials ?? 1;
  const head = ["step", trials > 1 ? "runs" : "cases", "reached", "correct", trials > 1 ? "pass rate" : "accuracy", "escalated", "brier", "ECE"];
  if (trials > 1) head.push("sd between trials", "flaky cases");
  const table = new Table({ head, style: options.color ? {} : { head: [], border: [] } });
  for (const s of summary.steps) {
    const row: Array<string | number> = [
      s.step,
      s.expected,
      s.reached,
      s.correct,
      pct(s.accuracy),
      s.escalated,
      num(s.calibration.brier),
      num(s.calibration.ece),
    ];
    if (trials > 1) row.push(s.trials?.variance === null || s.trials === undefined ? "—" : pct(Math.sqrt(s.trials.variance)), s.trials?.flakyCases ?? 0);
    table.push(row);
  }
  const runs = Object.entries(summary.runs)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const what = trials > 1 ? `cases ${summary.cases} × ${trials} runs` : `cases ${summary.cases}`;
  return [
    table.toString(),
    `${what} (${runs})  end-to-end accuracy ${pct(summary.endToEndAccuracy)} of ${summary.completed} completed  escalation rate ${pct(summary.escalationRate)}`,
  ].join("\n");
}

function verdicts(s: StepComparison): string[] {
  const out: string[] = [];
  if (s.accuracy.regressed) out.push("accuracy");
  if (s.calibration.regressed) out.push("calibration");
  if (s.escalation.regressed) out.push("escalations");
  return out;
}

/** The comparison with the baseline, for a terminal: per step, end to end, then the changed cases. */
export function formatComparison(c: GoldenComparison, options: { color?: boolean } = {}): string {
  const table = new Table({
    head: ["vs baseline", "accuracy", "new ✗", "new ✓", "p", "brier", "ECE", "escalated", "regressed"],
    style: options.color ? {} : { head: [], border: [] },
  });
  const arrow = (a: string, b: string) => (a === b ? b : `${a} → ${b}`);
  for (const s of c.steps) {
    table.push([
      s.step,
      arrow(pct(s.accuracy.baseline), pct(s.accuracy.current)),
      s.newFailures,
      s.newPasses,
      pOf(s.accuracy.pValue),
      arrow(num(s.calibration.baseline?.brier), num(s.calibration.current?.brier)),
      arrow(num(s.calibration.baseline?.ece), num(s.calibration.current?.ece)),
      arrow(pct(s.escalation.baseline), pct(s.escalation.current)),
      verdicts(s).join(", ") || "no",
    ]);
  }
  const e = c.endToEnd;
  const rule =
    c.rule.maxNewFailures !== undefined
      ? `regression: more than ${c.rule.maxNewFailures} newly failing cases`
      : `regression: one-sided paired tests at α = ${c.rule.alpha}`;
  const lines = [
    table.toString(),
    `end-to-end accuracy of completed runs ${arrow(pct(e.baseline), pct(e.current))}; ${e.newlyWrong} cases newly complete wrong, ${e.noLongerWrong} no longer (p ${pOf(e.pValue)})  ·  ${rule}`,
  ];
  const failures = c.changes.filter((x) => x.change === "new-failure");
  const passes = c.changes.filter((x) => x.change === "new-pass");
  if (failures.length > 0) {
    lines.push(`newly failing (${failures.length}):`);
    for (const f of failures.slice(0, LISTED_CHANGES))
      lines.push(`  ${f.step}  ${f.case}  ${f.baseline} → ${f.current}${f.reason ? `: ${oneLine(f.reason, 160)}` : ""}`);
    if (failures.length > LISTED_CHANGES) lines.push(`  … and ${failures.length - LISTED_CHANGES} more (--json lists them all)`);
  }
  if (passes.length > 0) {
    lines.push(`newly passing (${passes.length}):`);
    for (const p of passes.slice(0, LISTED_CHANGES)) lines.push(`  ${p.step}  ${p.case}  ${p.baseline} → ${p.current}`);
    if (passes.length > LISTED_CHANGES) lines.push(`  … and ${passes.length - LISTED_CHANGES} more`);
  }
  return lines.join("\n");
}

/** The whole report for a terminal. */
export function formatReport(report: GoldenRunReport): string {
  const trials = report.trials > 1 ? ` · ${report.trials} runs per case` : "";
  const lines = [
    `${report.set} (version ${report.setVersion.slice(0, 12)}) · ${report.workflow ?? "?"}@${report.version ?? "?"}${trials}`,
    formatSummaryTable(report.summary),
  ];
  if (report.comparison)
    lines.push(`compared with ${report.baseline.path} (${report.workflow ?? "?"}@${report.baseline.version ?? "?"})`, formatComparison(report.comparison));
  if (report.baseline.state === "stored") lines.push(`baseline stored in ${report.baseline.path}`);
  if (report.baseline.state === "none")
    lines.push(report.baseline.path ? `no baseline at ${report.baseline.path}; store one with --update-baseline` : "no baseline to compare with");
  if (report.baseline.state === "compared" && report.regressions.length === 0) lines.push("no regression against the baseline");
  return lines.join("\n");
}

/**
 * Untrusted text (model outputs in reasons) rendered as text: the characters that open code,
 * emphasis, links, HTML or a table cell are escaped. Text never starts a line here, so
 * line-start markers (#, -, +) need nothing.
 */
function md(s: string, max = 200): string {
  return oneLine(s, max).replace(/[\\`*_[\]<>|~]/g, (c) => `\\${c}`);
}

function oneLine(s: string, max: number): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/**
 * The report as Markdown for a pull-request comment: the verdict, the regressions, a per-step
 * table against the baseline, and the newly failing and passing cases (folded).
 * @example
 * await writeFile("golden.md", formatMarkdown(report)); // then: gh pr comment --body-file golden.md
 */
export function formatMarkdown(report: GoldenRunReport): string {
  const c = report.comparison;
  const n = report.regressions.length;
  const problem = report.baseline.state === "mismatch" || report.baseline.state === "outdated" || report.baseline.state === "unreadable";
  const icon = report.failed ? "❌" : "✅";
  const verdict = n > 0 ? `${n} regression${n === 1 ? "" : "s"}` : problem ? "baseline not comparable" : c ? "no regression" : "no baseline to compare with";
  const out = [`### ${icon} Golden set \`${md(report.set, 120)}\`: ${verdict}`, ""];
  const runs = report.trials > 1 ? ` × ${report.trials} runs` : "";
  out.push(
    `\`${md(`${report.workflow ?? "?"}@${report.version ?? "?"}`, 120)}\`${c ? ` against baseline \`${md(`${report.workflow ?? "?"}@${report.baseline.version ?? "?"}`, 120)}\`` : ""} · ${report.summary.cases} cases${runs} · set version \`${report.setVersion.slice(0, 12)}\``,
    "",
  );
  if (problem && report.baseline.message) out.push(`> ${md(report.baseline.message, 400)}`, "");
  for (const r of report.regressions) out.push(`- **${md(r.what, 80)}** (${r.kind}): ${md(r.message, 400)}`);
  if (n > 0) out.push("");
  if (c) {
    out.push("| step | accuracy | baseline | new failures | new passes | p | Brier | baseline Brier | ECE | escalated | baseline escalated | regressed |");
    out.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (const s of c.steps) {
      out.push(
        `| ${md(s.step, 60)} | ${pct(s.accuracy.current)} | ${pct(s.accuracy.baseline)} | ${s.newFailures} | ${s.newPasses} | ${pOf(s.accuracy.pValue)} | ${num(s.calibration.current?.brier)} | ${num(s.calibration.baseline?.brier)} | ${num(s.calibration.current?.ece)} | ${pct(s.escalation.current)} | ${pct(s.escalation.baseline)} | ${verdicts(s).length ? `❌ ${verdicts(s).join(", ")}` : "—"} |`,
      );
    }
    const e = c.endToEnd;
    out.push(
      "",
      `End to end: ${pct(e.current)} of completed runs right (baseline ${pct(e.baseline)}); ${e.newlyWrong} cases newly complete with a wrong output, ${e.noLongerWrong} no longer.`,
      "",
    );
    for (const [kind, label] of [
      ["new-failure", "newly failing"],
      ["new-pass", "newly passing"],
    ] as const) {
      const list = c.changes.filter((x) => x.change === kind);
      if (list.length === 0) continue;
      out.push(`<details><summary>${list.length} ${label} case × step pairs</summary>`, "", "| step | case | baseline | now | why |", "|---|---|---|---|---|");
      for (const x of list.slice(0, LISTED_CHANGES))
        out.push(`| ${md(x.step, 60)} | ${md(x.case, 80)} | ${x.baseline} | ${x.current} | ${x.reason ? md(x.reason) : ""} |`);
      if (list.length > LISTED_CHANGES) out.push("", `… and ${list.length - LISTED_CHANGES} more (the JSON output and the JUnit file list them all).`);
      out.push("", "</details>", "");
    }
  } else {
    out.push("| step | accuracy | escalated | Brier | ECE |", "|---|---:|---:|---:|---:|");
    for (const s of report.summary.steps)
      out.push(`| ${md(s.step, 60)} | ${pct(s.accuracy)} | ${s.escalated} | ${num(s.calibration.brier)} | ${num(s.calibration.ece)} |`);
    out.push("");
  }
  return out.join("\n");
}
