/**
 * `seamtrace seams`: every handoff's recorded upstream outputs checked against the downstream
 * step's input contract (the checks live in @seamtrace/golden; this file parses flags, prints,
 * and maps the outcome to exit codes: 0 clean, 1 a violation, 2 usage).
 */
import { formatSeamTable, GoldenSetError, seamsRun, ServerError, serverFromEnv, type SeamsRunReport } from "@seamtrace/golden";
import { Option, type Command } from "commander";
import { existsSync } from "node:fs";
import { warn, type GoldenCliKit } from "./golden.js";

interface SeamsFlags {
  workflow: string;
  set?: string;
  server?: string;
  apiKey?: string;
  name?: string;
  workflowVersion?: string;
  since?: string;
  maxRuns: string;
  concurrency: string;
  json?: boolean;
}

export function registerSeamsCommand(program: Command, kit: GoldenCliKit): void {
  program
    .command("seams")
    .description(
      "Check every handoff: the upstream step's recorded outputs against the downstream step's input contract (the module's `seams`); exit 1 on a violation",
    )
    .requiredOption("--workflow <module>", "JS module exporting createGoldenWorkflow(st) and seams ({ downstream: { upstream: StandardSchema } })")
    .option("--set <file>", "record outputs by running this golden set through the workflow")
    .option("--server <url>", "read the outputs recorded by this Seamtrace server instead (without --set, default: SEAMTRACE_ENDPOINT)")
    .option("--api-key <key>", "API key for --server (default: the SEAMTRACE_API_KEY environment variable)")
    .option("--name <workflow>", "with --server: only runs of this workflow name")
    .option("--workflow-version <v>", "with --server: only runs of this workflow version")
    .option("--since <iso>", "with --server: runs started since (default: the server's 30-day window)")
    .option("--max-runs <n>", "with --server: newest runs read at most", "500")
    .option("--concurrency <n>", "cases run (or runs fetched) at once", "8")
    .addOption(new Option("--json", "machine-readable output"))
    .action(async (opts: SeamsFlags) => {
      if (opts.set !== undefined && opts.server !== undefined) throw kit.usage("give exactly one source: --set <golden set> or --server <url>");
      // The environment names a server only when no set was given: the SDK's endpoint being set
      // must not turn a check of a golden set into a conflict of sources.
      if (opts.set === undefined) opts.server ??= serverFromEnv(process.env, warn);
      if (opts.set === undefined && opts.server === undefined) throw kit.usage("give a source: --set <golden set>, or --server <url> (or SEAMTRACE_ENDPOINT)");
      if (!existsSync(opts.workflow)) throw kit.usage(`--workflow: ${opts.workflow} not found`);
      if (opts.set !== undefined && !existsSync(opts.set)) throw kit.usage(`golden set ${opts.set} not found`);
      const concurrency = Number(opts.concurrency);
      const maxRuns = Number(opts.maxRuns);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw kit.usage("--concurrency: a whole number from 1 to 256");
      if (!Number.isInteger(maxRuns) || maxRuns < 1) throw kit.usage("--max-runs: a positive whole number");
      let server: Parameters<typeof seamsRun>[0]["server"];
      if (opts.server !== undefined) {
        const apiKey = opts.apiKey ?? process.env.SEAMTRACE_API_KEY;
        if (!apiKey) throw kit.usage("--server needs an API key: --api-key <key> or SEAMTRACE_API_KEY");
        if (opts.since !== undefined && Number.isNaN(Date.parse(opts.since))) throw kit.usage("--since: an ISO 8601 time");
        server = {
          url: opts.server,
          apiKey,
          maxRuns,
          ...(opts.name !== undefined && { workflow: opts.name }),
          ...(opts.workflowVersion !== undefined && { version: opts.workflowVersion }),
          ...(opts.since !== undefined && { from: new Date(opts.since).toISOString() }),
        };
      }
      let report: SeamsRunReport;
      try {
        report = await seamsRun({ workflow: opts.workflow, concurrency, ...(opts.set !== undefined && { set: opts.set }), ...(server && { server }) });
      } catch (err) {
        if (err instanceof GoldenSetError) throw kit.usage(err.message);
        if (err instanceof ServerError) throw err.status === 401 || err.status === 403 || err.status === 400 ? kit.usage(err.message) : err;
        if (err instanceof TypeError && /seams|createGoldenWorkflow/.test(err.message)) throw kit.usage(err.message);
        throw err;
      }
      kit.print(!!opts.json, report, () => `${report.source}\n${formatSeamTable(report)}`);
      if (report.failed) {
        const broken = report.handoffs.filter((h) => h.violations > 0).map((h) => `${h.upstream} → ${h.downstream} (${h.violations})`);
        throw kit.failure(`seam contract violated at ${broken.join(", ")}`);
      }
    });
}
