/**
 * `golden run` as both CLIs run it (`seamtrace golden run` and `seamtrace-golden run`): flags
 * in, checked; the run; the result sent to a server if asked; the output in the chosen format;
 * and the problems that make the command exit 1. Each CLI only parses its arguments and maps
 * the outcome to exit codes (0 ok, 1 a check failed, 2 usage).
 */
import { existsSync } from "node:fs";
import { GoldenSetError } from "./golden-set.js";
import { runGoldenSet, type GoldenRunOptions, type GoldenRunReport } from "./golden-run.js";
import { formatMarkdown, formatReport } from "./report.js";
import { goldenResultPayload, sendGoldenResult } from "./result-payload.js";
import type { GoldenRunsSent } from "./run-sender.js";

/** A mistake in how the command was called (exit 2). */
export class GoldenUsageError extends Error {
  override readonly name = "GoldenUsageError";
}

export const OUTPUT_FORMATS = ["table", "json", "markdown"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The flags as a command-line parser hands them over: strings, booleans, or absent. */
export interface GoldenRunFlags {
  workflow: string;
  baseline?: string | undefined;
  updateBaseline?: boolean | undefined;
  trials?: string | undefined;
  alpha?: string | undefined;
  maxNewFailures?: string | undefined;
  /** Retired: refused with a message saying what replaced it. */
  tolerance?: string | undefined;
  concurrency?: string | undefined;
  junit?: string | undefined;
  format?: string | undefined;
  /** Same as `format: "json"`. */
  json?: boolean | undefined;
  progress?: boolean | undefined;
  server?: string | undefined;
  apiKey?: string | undefined;
}

export interface GoldenCommandOutcome {
  /** For stdout. */
  output: string;
  /** Each a reason to exit 1, for stderr. */
  problems: string[];
  report: GoldenRunReport;
}

function whole(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < min || n > max) throw new GoldenUsageError(`${flag}: a whole number from ${min} to ${max}`);
  return n;
}

/** Checks the flags and turns them into run options, or throws a GoldenUsageError. */
export function runOptionsFromFlags(set: string, flags: GoldenRunFlags): { options: GoldenRunOptions; format: OutputFormat } {
  if (flags.tolerance !== undefined) {
    throw new GoldenUsageError(
      "--tolerance was retired: a step now regresses when its newly failing cases outweigh its newly passing ones in a paired test (--alpha, default 0.05), or when more cases newly fail than --max-new-failures",
    );
  }
  const format = (flags.json ? "json" : (flags.format ?? "table")) as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) throw new GoldenUsageError(`--format: one of ${OUTPUT_FORMATS.join(", ")}`);
  if (flags.json && flags.format !== undefined && flags.format !== "json") throw new GoldenUsageError("--json and --format disagree; pass one");
  const trials = whole("--trials", flags.trials, 1, 1000);
  const concurrency = whole("--concurrency", flags.concurrency, 1, 256);
  const maxNewFailures = whole("--max-new-failures", flags.maxNewFailures, 0, Number.MAX_SAFE_INTEGER);
  let alpha: number | undefined;
  if (flags.alpha !== undefined) {
    alpha = Number(flags.alpha);
    if (!(alpha > 0 && alpha < 1)) throw new GoldenUsageError("--alpha: a significance level above 0 and below 1, such as 0.05");
  }
  if (!existsSync(set)) throw new GoldenUsageError(`golden set ${set} not found`);
  if (!existsSync(flags.workflow)) throw new GoldenUsageError(`--workflow: ${flags.workflow} not found`);
  if (flags.server !== undefined && !flags.apiKey) throw new GoldenUsageError("--server needs --api-key (or SEAMTRACE_API_KEY)");
  if (flags.server !== undefined && !URL.canParse(flags.server)) throw new GoldenUsageError(`--server: not a URL: "${flags.server}"`);
  const options: GoldenRunOptions = { set, workflow: flags.workflow, updateBaseline: !!flags.updateBaseline };
  if (flags.baseline !== undefined) options.baseline = flags.baseline;
  if (flags.junit !== undefined) options.junit = flags.junit;
  if (trials !== undefined) options.trials = trials;
  if (concurrency !== undefined) options.concurrency = concurrency;
  if (alpha !== undefined) options.alpha = alpha;
  if (maxNewFailures !== undefined) options.maxNewFailures = maxNewFailures;
  // Each case's run goes to the server as it finishes, so the result's page opens its DAG.
  if (flags.server !== undefined) options.send = { server: flags.server, apiKey: flags.apiKey! };
  return { options, format };
}

/**
 * Runs `golden run` from its flags. Throws GoldenUsageError for a usage problem (exit 2);
 * `problems` non-empty means exit 1.
 */
export async function goldenRunCommand(set: string, flags: GoldenRunFlags, io: { progress?: NodeJS.WritableStream } = {}): Promise<GoldenCommandOutcome> {
  const { options, format } = runOptionsFromFlags(set, flags);
  if (io.progress && flags.progress !== false && format !== "json") options.progress = io.progress;
  let report: GoldenRunReport;
  const startedAt = new Date();
  try {
    report = await runGoldenSet(options);
  } catch (err) {
    if (err instanceof GoldenSetError) throw new GoldenUsageError(err.message);
    throw err;
  }
  const finishedAt = new Date();
  // Sent before printing, so the output says where it went; a failed send never hides the run's own outcome.
  let sent: { server: string; id?: string; error?: string } | undefined;
  if (flags.server !== undefined) {
    const body = goldenResultPayload(set, report, startedAt, finishedAt);
    if (body === null) sent = { server: flags.server, error: "the run reported no workflow name or version, so there is nothing to file it under" };
    else {
      try {
        sent = { server: flags.server, id: (await sendGoldenResult(flags.server, flags.apiKey!, body)).id };
      } catch (err) {
        sent = { server: flags.server, error: err instanceof Error ? err.message : String(err) };
      }
    }
  }
  const runs = report.runsSent;
  let output: string;
  if (format === "json") {
    const { results: _results, ...brief } = report;
    output = JSON.stringify(sent ? { ...brief, sent } : brief, null, 2);
  } else if (format === "markdown") {
    output = formatMarkdown(report);
  } else {
    output =
      formatReport(report) +
      (sent?.id ? `\nresult ${sent.id} sent to ${sent.server}` : "") +
      (runs && runs.undelivered === 0 ? `\n${runs.runs} runs sent (${runs.delivered} events), tagged with the result` : "");
  }
  const problems: string[] = [];
  if (report.baseline.message !== undefined && report.failed && report.regressions.length === 0) problems.push(report.baseline.message);
  if (report.regressions.length > 0) problems.push(`regression in ${report.regressions.map((r) => r.message).join("; ")}`);
  if (sent?.error !== undefined) problems.push(`the result was not sent: ${sent.error}`);
  if (runs && runs.undelivered > 0) problems.push(`the runs were not all sent: ${describeUndelivered(runs)}`);
  return { output, problems, report };
}

/** "12 of 1,500 events (http_401 12; last error: …)": a case whose events are missing opens no DAG. */
function describeUndelivered(r: GoldenRunsSent): string {
  const reasons = Object.entries(r.undeliveredByReason)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  return `${r.undelivered} of ${r.events} events of ${r.runs} runs did not reach ${r.server} (${reasons}${r.lastError ? `; last error: ${r.lastError}` : ""})`;
}
