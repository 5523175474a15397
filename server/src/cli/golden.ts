/**
 * `seamtrace golden run`: the executor lives in @seamtrace/golden (which depends on the SDK
 * only); this file parses flags, prints, and maps the outcome to exit codes. The server depends
 * on golden, never the reverse, so the executor can run in CI without a store.
 */
import {
  goldenResultPayload,
  goldenRunCommand,
  GoldenUsageError,
  OUTPUT_FORMATS,
  sendGoldenResult,
  serverFromEnv,
  type GoldenRunFlags,
} from "@seamtrace/golden";
import { Option, type Command } from "commander";

/** What the golden commands borrow from cli.ts. */
export interface GoldenCliKit {
  print(json: boolean, value: unknown, human: () => string): void;
  failure(message: string): Error;
  usage(message: string): Error;
}

/** The result as `POST /v1/golden/results` takes it (built and sent by @seamtrace/golden, which both CLIs share). */
export { goldenResultPayload as goldenResultBodyOf, sendGoldenResult };

/** A deprecation goes to stderr, apart from the output a script may parse. */
export const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);

export function registerGoldenCommands(program: Command, kit: GoldenCliKit): void {
  const golden = program.command("golden").description("Golden sets: run known-good cases through a workflow and catch regressions");
  golden
    .command("run")
    .description("Run every case of <set> (JSONL) through the workflow, compare each step, and fail (exit 1) on a regression against the stored baseline")
    .argument("<set>", "golden set file, e.g. golden/sets/claims.jsonl")
    .requiredOption("--workflow <module>", "JS module exporting createGoldenWorkflow(st) and optionally comparators")
    .option("--baseline <file>", "baseline file (default: <set>.baseline.json beside the set)")
    .option("--update-baseline", "store this run as the baseline instead of comparing")
    .option("--trials <n>", "run each case n times (steps that are not deterministic); the regression tests use every run", "1")
    .option("--alpha <p>", "significance level of the paired regression tests (exact McNemar on each step's newly failing vs newly passing cases)", "0.05")
    .option("--max-new-failures <n>", "instead of the test: a step regresses when more than n of its cases newly fail")
    .addOption(new Option("--tolerance <x>").hideHelp()) // retired: refused with what replaced it
    .option("--concurrency <n>", "cases run at once", "8")
    .option("--junit <file>", "write JUnit XML for CI (only regressions fail; known failures are skipped with their reason)")
    .addOption(new Option("--format <format>", "output format").choices([...OUTPUT_FORMATS]))
    .option("--no-progress", "no progress bar")
    .addOption(new Option("--json", "machine-readable output (summary, comparison, regressions; no per-case results); same as --format json"))
    .option("--server <url>", "send the result and each case's run to this Seamtrace server (default: SEAMTRACE_ENDPOINT)")
    .addOption(new Option("--api-key <key>", "the project's API key for --server").env("SEAMTRACE_API_KEY"))
    .action(async (set: string, opts: GoldenRunFlags) => {
      opts.server ??= serverFromEnv(process.env, warn);
      let outcome: Awaited<ReturnType<typeof goldenRunCommand>>;
      try {
        outcome = await goldenRunCommand(set, opts, process.stderr.isTTY ? { progress: process.stderr } : {});
      } catch (err) {
        if (err instanceof GoldenUsageError) throw kit.usage(err.message);
        throw err;
      }
      kit.print(false, null, () => outcome.output);
      if (outcome.problems.length > 0) throw kit.failure(outcome.problems.join("\nerror: "));
    });
}
