/**
 * `seamtrace demo`: fills a fresh store with days of claims traffic, reviews, drift, an
 * auto-tighten, a corrections export and a retrain (demo/run-demo.ts), printing as it goes and
 * a table at the end. This file parses flags, prints, and maps outcomes to exit codes.
 */
import { Option, type Command } from "commander";
import { loadConfig } from "../app/config.js";
import { retrainCheck } from "./demo/retrain-check.js";
import { DemoRefused, pct, runDemo, type DemoReport } from "./demo/run-demo.js";

export interface DemoCliKit {
  print(json: boolean, value: unknown, human: () => string): void;
  failure(message: string): Error;
  usage(message: string): Error;
  table(rows: Array<Record<string, string>>): string;
}

interface Flags {
  days: string;
  runsPerDay: string;
  seed: string;
  force?: boolean;
  json?: boolean;
}

export function registerDemoCommands(program: Command, kit: DemoCliKit): void {
  program
    .command("demo")
    .description(
      "Fill a fresh store (SEAMTRACE_DATA_DIR or DATABASE_URL) with days of claims traffic through a real server and the SDK: " +
        "drift, escalations and spot checks decided by simulated reviewers, the analytics jobs (with an auto-tighten), " +
        "a corrections export, a retrain, and the new version escalating less. Then `npm start` shows it in the dashboard.",
    )
    .option("--days <n>", "days of traffic (at least 3)", "7")
    .option("--runs-per-day <n>", "claims per day", "150")
    .option("--seed <n>", "generator seed", "1")
    .option("--force", "run even if the store already holds runs (adds to them)")
    .addOption(new Option("--json", "machine-readable report on stdout (progress goes to stderr)"))
    .action(async (opts: Flags) => {
      const days = whole(opts.days, "--days", 3, 90, kit);
      const runsPerDay = whole(opts.runsPerDay, "--runs-per-day", 10, 5_000, kit);
      const seed = whole(opts.seed, "--seed", 0, 2 ** 31 - 1, kit);
      const config = loadConfig();
      const started = Date.now();
      const progress = (line: string) => (opts.json ? process.stderr : process.stdout).write(line + "\n");
      let report: DemoReport;
      try {
        report = await runDemo({ config, days, runsPerDay, seed, force: !!opts.force, progress });
      } catch (err) {
        if (err instanceof DemoRefused) throw kit.usage(err.message);
        throw err;
      }
      const wallMs = Date.now() - started;
      const check = retrainCheck(report.before, report.after);
      kit.print(!!opts.json, { ...report, wallMs, check }, () => formatReport(report, wallMs, kit.table));
      // The table says it too; with --json the reader of stderr is told why nothing was judged.
      if (opts.json && check.status === "skipped") progress(`check ${check.message}`);
      if (check.status === "failed") throw kit.failure(check.message);
    });
}

function whole(raw: string, flag: string, min: number, max: number, kit: DemoCliKit): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw kit.usage(`${flag}: a whole number from ${min} to ${max}`);
  return n;
}

export function formatReport(r: DemoReport, wallMs: number, table: DemoCliKit["table"]): string {
  const rows = r.days.map((d) => ({
    day: String(d.day),
    date: d.date,
    version: `v${d.version}`,
    shift: d.shift.toFixed(2),
    runs: String(d.runs),
    escalated: String(d.escalatedRuns),
    rate: pct(d.escalationRate),
    reviews: String(d.decisions),
    corrections: String(d.corrections),
    "auto-tighten": d.tightened.map((t) => `${t.step} ${t.before ?? "-"}→${t.after}`).join(", "),
  }));
  const tightened = r.thresholdChanges.map((c) => `${c.step} ${c.before ?? "-"}→${c.after} (${c.status}, on v${c.version})`);
  return [
    "",
    table(rows),
    "",
    `Escalation rate on the drifted traffic: v${r.before.version} ${pct(r.before.escalationRate)} (${r.before.runs} runs) → v${r.after.version} ${pct(r.after.escalationRate)} (${r.after.runs} runs) after retraining.`,
    `Check: ${retrainCheck(r.before, r.after).message}.`,
    `Auto-tighten: ${tightened.length > 0 ? tightened.join("; ") : "none"}.`,
    `Corrections export: ${r.export.rows} rows → ${r.export.file} (audited as export.corrections).`,
    `Model v${r.retrain.version}: ${r.modelFile}`,
    ...r.retrain.warnings.map((w) => `Retrain warning: ${w}`),
    `Took ${(wallMs / 1000).toFixed(1)} s. See it in the dashboard: create a user with`,
    `  seamtrace users create --email you@example.com --role admin --password-stdin`,
    `then \`npm start\` with the same SEAMTRACE_DATA_DIR / DATABASE_URL and open the overview, escalation trends, calibration and thresholds pages.`,
  ].join("\n");
}
