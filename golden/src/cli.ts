#!/usr/bin/env node
/**
 * `seamtrace-golden`: the golden executor's own command line, for a project that installs only
 * @seamtrace/golden (`npx seamtrace-golden run set.jsonl --workflow golden.mjs`). The same
 * command as `seamtrace golden run`, with the same flags and exit codes: 0 ok, 1 a check failed
 * (a regression, a baseline that cannot be compared, a result that could not be sent), 2 usage.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { goldenRunCommand, GoldenUsageError, OUTPUT_FORMATS, type GoldenRunFlags } from "./run-command.js";
import { serverFromEnv } from "./server-env.js";

const HELP = `Usage: seamtrace-golden run <set.jsonl> --workflow <module> [options]

Run every case of a golden set through the workflow, compare each step with the comparators,
and compare case by case with the stored baseline; exit 1 on a regression.

Options:
  --workflow <module>       JS module exporting createGoldenWorkflow(st) (and optionally comparators)
  --baseline <file>         baseline file (default: <set>.baseline.json beside the set)
  --update-baseline         store this run as the baseline instead of comparing
  --trials <n>              run each case n times; the regression tests use every run (default 1)
  --alpha <p>               significance level of the paired regression tests (default 0.05)
  --max-new-failures <n>    instead of the test: regress when more than n cases of a step newly fail
  --concurrency <n>         cases run at once (default 8)
  --junit <file>            write JUnit XML (only regressions fail; known failures are skipped)
  --format <format>         ${OUTPUT_FORMATS.join(" | ")} (default table); --json is --format json
  --no-progress             no progress bar
  --server <url>            send the result and each case's run to a Seamtrace server (or SEAMTRACE_ENDPOINT)
  --api-key <key>           the project's API key for --server (or SEAMTRACE_API_KEY)
  -h, --help                this help
`;

function parseCommandLine(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      workflow: { type: "string" },
      baseline: { type: "string" },
      "update-baseline": { type: "boolean" },
      trials: { type: "string" },
      alpha: { type: "string" },
      "max-new-failures": { type: "string" },
      tolerance: { type: "string" },
      concurrency: { type: "string" },
      junit: { type: "string" },
      format: { type: "string" },
      json: { type: "boolean" },
      "no-progress": { type: "boolean" },
      server: { type: "string" },
      "api-key": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: readonly string[], io = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    io.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals[0] !== "run" || positionals.length !== 2 || v.workflow === undefined) {
    io.stderr.write(
      `error: ${positionals[0] !== "run" ? "the command is run" : positionals.length !== 2 ? "run takes one golden set file" : "--workflow is required"}\n\n${HELP}`,
    );
    return 2;
  }
  const flags: GoldenRunFlags = {
    workflow: v.workflow,
    baseline: v.baseline,
    updateBaseline: v["update-baseline"],
    trials: v.trials,
    alpha: v.alpha,
    maxNewFailures: v["max-new-failures"],
    tolerance: v.tolerance,
    concurrency: v.concurrency,
    junit: v.junit,
    format: v.format,
    json: v.json,
    progress: !v["no-progress"],
    server: v.server ?? serverFromEnv(io.env, (m) => io.stderr.write(`warning: ${m}\n`)),
    apiKey: v["api-key"] ?? io.env.SEAMTRACE_API_KEY,
  };
  try {
    const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
    const outcome = await goldenRunCommand(positionals[1]!, flags, tty ? { progress: io.stderr } : {});
    io.stdout.write(`${outcome.output}\n`);
    if (outcome.problems.length === 0) return 0;
    io.stderr.write(`error: ${outcome.problems.join("\nerror: ")}\n`);
    return 1;
  } catch (err) {
    io.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof GoldenUsageError ? 2 : 1;
  }
}

// Through the npm bin link argv[1] is the symlink, while import.meta.url is the real file.
const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
