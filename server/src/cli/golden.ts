/**
 * `seamtrace golden run`: the executor lives in @seamtrace/golden (which depends on the SDK
 * only); this file parses flags, prints, and maps the outcome to exit codes. The server depends
 * on golden, never the reverse, so the executor can run in CI without a store.
 */
import { formatSummaryTable, goldenRun, GoldenSetError, type GoldenRunReport } from "@seamtrace/golden";
import { Option, type Command } from "commander";
import { existsSync } from "node:fs";
import { basename } from "node:path";
import type { GoldenResultCreated, GoldenResultRequest } from "../modules/golden/contract.js";

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
  server?: string;
  apiKey?: string;
}

/** How long the CLI waits for the server to take a result: a CI step must not hang on a dead server. */
const SEND_TIMEOUT_MS = 30_000;

/** The result as `POST /v1/golden/results` takes it; null when the run named no workflow or version. */
export function goldenResultBodyOf(setFile: string, report: GoldenRunReport, startedAt: Date, finishedAt: Date): GoldenResultRequest | null {
  if (report.workflow === undefined || report.version === undefined) return null;
  return {
    set: basename(setFile, ".jsonl"),
    setVersion: report.setVersion,
    workflow: report.workflow,
    version: report.version,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    summary: report.summary,
    regressions: report.regressions,
    baselineVersion: report.baseline.state === "compared" ? (report.baseline.version ?? null) : null,
  };
}

/** Posts a result; the error names what the server said, or why it could not be reached. */
export async function sendGoldenResult(server: string, apiKey: string, body: GoldenResultRequest): Promise<GoldenResultCreated> {
  const url = new URL("v1/golden/results", server.endsWith("/") ? server : `${server}/`);
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
    throw new Error(`${url.origin} could not be reached (${err instanceof Error ? err.message : String(err)}${cause})`);
  }
  const text = await res.text();
  if (res.status !== 201) {
    let message = text.slice(0, 300);
    try {
      const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
      if (e) message = `${e.code}: ${e.message}`;
    } catch {
      // Not our JSON error envelope (a proxy's page): show its start.
    }
    throw new Error(`${url.href} answered ${res.status} (${message})`);
  }
  return JSON.parse(text) as GoldenResultCreated;
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
    .addOption(new Option("--server <url>", "send the result to this Seamtrace server (POST /v1/golden/results)").env("SEAMTRACE_URL"))
    .addOption(new Option("--api-key <key>", "the project's API key for --server").env("SEAMTRACE_API_KEY"))
    .action(async (set: string, opts: RunFlags) => {
      const tolerance = Number(opts.tolerance);
      const concurrency = Number(opts.concurrency);
      if (!(tolerance >= 0 && tolerance <= 1)) throw kit.usage("--tolerance: a number from 0 to 1");
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw kit.usage("--concurrency: a whole number from 1 to 256");
      if (!existsSync(set)) throw kit.usage(`golden set ${set} not found`);
      if (!existsSync(opts.workflow)) throw kit.usage(`--workflow: ${opts.workflow} not found`);
      if (opts.server !== undefined && !opts.apiKey) throw kit.usage("--server needs --api-key (or SEAMTRACE_API_KEY)");
      if (opts.server !== undefined && !URL.canParse(opts.server)) throw kit.usage(`--server: not a URL: "${opts.server}"`);
      let report: GoldenRunReport;
      const startedAt = new Date();
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
      const finishedAt = new Date();
      // Sent before printing, so the output says where it went; a failed send never hides the run's own outcome.
      let sent: { server: string; id?: string; error?: string } | undefined;
      if (opts.server !== undefined) {
        const body = goldenResultBodyOf(set, report, startedAt, finishedAt);
        if (body === null) sent = { server: opts.server, error: "the run reported no workflow name or version, so there is nothing to file it under" };
        else {
          try {
            sent = { server: opts.server, id: (await sendGoldenResult(opts.server, opts.apiKey!, body)).id };
          } catch (err) {
            sent = { server: opts.server, error: err instanceof Error ? err.message : String(err) };
          }
        }
      }
      const { results: _results, ...brief } = report;
      kit.print(!!opts.json, sent ? { ...brief, sent } : brief, () => humanReport(report) + (sent?.id ? `\nresult ${sent.id} sent to ${sent.server}` : ""));
      const problems: string[] = [];
      if (report.baseline.state === "mismatch") {
        problems.push(`baseline ${report.baseline.path} was measured on another version of the set (${report.baseline.setVersion?.slice(0, 12)} ≠ ${report.setVersion.slice(0, 12)}); rerun with --update-baseline once the change is reviewed`);
      }
      if (report.regressions.length > 0) problems.push(`regression in ${report.regressions.map((r) => r.message).join("; ")}`);
      if (sent?.error !== undefined) problems.push(`the result was not sent: ${sent.error}`);
      if (problems.length > 0) throw kit.failure(problems.join("\nerror: "));
    });
}

function humanReport(report: GoldenRunReport): string {
  const lines = [`${report.set} (version ${report.setVersion.slice(0, 12)}) · ${report.workflow ?? "?"}@${report.version ?? "?"}`, formatSummaryTable(report.summary)];
  if (report.baseline.state === "stored") lines.push(`baseline stored in ${report.baseline.path}`);
  if (report.baseline.state === "none") lines.push(`no baseline at ${report.baseline.path}; store one with --update-baseline`);
  if (report.baseline.state === "compared" && report.regressions.length === 0) lines.push("no regression against the baseline");
  return lines.join("\n");
}
