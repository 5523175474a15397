/**
 * `seamtrace golden run`: the executor lives in @seamtrace/golden (which depends on the SDK
 * only); this file parses flags, prints, and maps the outcome to exit codes. The server depends
 * on golden, never the reverse, so the executor can run in CI without a store.
 */
import { formatSummaryTable, goldenRun, GoldenSetError, type GoldenRunReport } from "@seamtrace/golden";
import { Option, type Command } from "commander";
import { existsSync } from "node:fs";

/** What the golden commands borrow from cli.ts. */
export interface GoldenCliKit {
  print(json: boolean, value: unknown, human: () => string): void;
  failure(message: string): Error;
  usage(message: string): Error;
}

interface RunFlags {
  workflow: string;
  baseline?: string;
  updateBaseline?: boolean;
  tolerance: string;
  concurrency: string;
  junit?: string;
  progress: boolean;
  json?: boolean;
}

export function registerGoldenCommands(program: Command, kit: GoldenCliKit): void {
  const golden = program.command("golden").description("Golden sets: run known-good cases through a workflow and catch regressions");
  golden
    .command("run")
    .description("Run every case of <set> (JSONL) through the workflow, compare each step, and fail (exit 1) on a regression against the stored baseline")
    .argument("<set>", "golden set file, e.g. golden/sets/claims.jsonl")
    .requiredOption("--workflow <module>", "JS module exporting createGoldenWorkflow(st) and optionally comparators")
    .option("--baseline <file>", "baseline file (default: <set>.baseline.json beside the set)")
    .option("--update-baseline", "store this run as the baseline instead of comparing")
    .option("--tolerance <x>", "accuracy drop tolerated before it is a regression (absolute)", "0.02")
    .option("--concurrency <n>", "cases run at once", "8")
    .option("--junit <file>", "write JUnit XML for CI")
    .option("--no-progress", "no progress bar")
    .addOption(new Option("--json", "machine-readable output (summary, regressions; no per-case results)"))
    .action(async (set: string, opts: RunFlags) => {
      const tolerance = Number(opts.tolerance);
      const concurrency = Number(opts.concurrency);
      if (!(tolerance >= 0 && tolerance <= 1)) throw kit.usage("--tolerance: a number from 0 to 1");
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw kit.usage("--concurrency: a whole number from 1 to 256");
      if (!existsSync(set)) throw kit.usage(`golden set ${set} not found`);
      if (!existsSync(opts.workflow)) throw kit.usage(`--workflow: ${opts.workflow} not found`);
      let report: GoldenRunReport;
      try {
        report = await goldenRun({
          set,
          workflow: opts.workflow,
          updateBaseline: !!opts.updateBaseline,
          tolerance,
          concurrency,
          ...(opts.baseline !== undefined && { baseline: opts.baseline }),
          ...(opts.junit !== undefined && { junit: opts.junit }),
          ...(opts.progress && !opts.json && process.stderr.isTTY && { progress: process.stderr }),
        });
      } catch (err) {
        if (err instanceof GoldenSetError) throw kit.usage(err.message);
        throw err;
      }
      const { results: _results, ...brief } = report;
      kit.print(!!opts.json, brief, () => humanReport(report));
      if (report.baseline.state === "mismatch") {
        throw kit.failure(`baseline ${report.baseline.path} was measured on another version of the set (${report.baseline.setVersion?.slice(0, 12)} ≠ ${report.setVersion.slice(0, 12)}); rerun with --update-baseline once the change is reviewed`);
      }
      if (report.regressions.length > 0) {
        throw kit.failure(`regression in ${report.regressions.map((r) => r.message).join("; ")}`);
      }
    });
}

function humanReport(report: GoldenRunReport): string {
  const lines = [`${report.set} (version ${report.setVersion.slice(0, 12)}) · ${report.workflow ?? "?"}@${report.version ?? "?"}`, formatSummaryTable(report.summary)];
  if (report.baseline.state === "stored") lines.push(`baseline stored in ${report.baseline.path}`);
  if (report.baseline.state === "none") lines.push(`no baseline at ${report.baseline.path}; store one with --update-baseline`);
  if (report.baseline.state === "compared" && report.regressions.length === 0) lines.push("no regression against the baseline");
  return lines.join("\n");
}
