/**
 * `seamtrace export corrections` and `seamtrace export golden`: the exports of
 * `GET /v1/exports/corrections` and `GET /v1/golden/sets/:set/cases`, read straight from the
 * store (like `seamtrace audit export`), validated by the same contracts, with the same audit entries.
 */
import { EXPORT_FORMATS, exportHeader, exportRow, type ExportFormat } from "@seamtrace/golden";
import { Option, type Command } from "commander";
import type { Db, Store } from "../platform/db/client.js";
import { correctionsExportQuery, EXPORT_INCLUDES, type CorrectionsFilter } from "../modules/exports/contract.js";
import { goldenSetName } from "../modules/golden/contract.js";
import { exportAuditPayload, filterOf } from "../modules/exports/routes.js";
import { recordAudit } from "../modules/audit/store.js";
import { DEFAULT_PROJECT } from "../modules/auth/bootstrap.js";
import { streamCorrections } from "../modules/exports/store.js";
import { goldenSetExists, streamGoldenCases } from "../modules/golden/store.js";
import { getProjectByName } from "../modules/auth/projects-store.js";
import { listWorkflows } from "../modules/runs/store.js";
import { openSink } from "./export-sink.js";
import { addOutOption, outFile } from "./flags.js";
import { noProjectMessage } from "./store-access.js";

/** What the export commands borrow from cli.ts. */
export interface ExportCliKit {
  withStore<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  /** Exit 1: a check failed. */
  failure(message: string): Error;
  /** Exit 2: called wrongly. */
  usage(message: string): Error;
}

interface CorrectionsFlags {
  project: string;
  format: ExportFormat;
  workflow?: string;
  step?: string;
  workflowVersion?: string;
  /** The old spelling of --workflow-version. */
  version?: string;
  from?: string;
  to?: string;
  include?: string;
  out?: string;
  output?: string;
}

/**
 * Why an export came out empty, in words: the filters given, and a workflow name the project
 * does not have (the usual cause: a typo) with the names it does have.
 */
async function nothingMatched(db: Db, projectId: string, projectName: string, filter: CorrectionsFilter): Promise<string> {
  const given = [
    filter.workflow !== undefined && `workflow "${filter.workflow}"`,
    filter.step !== undefined && `step "${filter.step}"`,
    filter.version !== undefined && `workflow version "${filter.version}"`,
    filter.from !== undefined && `decided from ${new Date(filter.from).toISOString()}`,
    filter.to !== undefined && `before ${new Date(filter.to).toISOString()}`,
  ].filter((part): part is string => typeof part === "string");
  let message = `nothing matched: no ${filter.include.join(", ")} in project "${projectName}"${given.length > 0 ? ` for ${given.join(", ")}` : ""}`;
  if (filter.workflow !== undefined) {
    // An empty window: every workflow is listed, no run is counted.
    const now = Date.now();
    const names = (await listWorkflows(db, projectId, { from: now, to: now })).items.map((w) => w.name);
    if (!names.includes(filter.workflow))
      message += `; the project has no workflow "${filter.workflow}" (workflows: ${names.length > 0 ? names.join(", ") : "none yet"})`;
  }
  return message;
}

export function registerExportCommands(program: Command, kit: ExportCliKit): void {
  const exp = program.command("export").description("Export reviewers' decisions as training data, and golden cases made from reviews");

  const corrections = exp
    .command("corrections")
    .description(
      "Write decided escalations (and stand-alone labels) as JSONL, CSV or chat fine-tuning JSONL, oldest decision first; audited. " +
        "Exit 1 when nothing matches the filters.",
    )
    .option("--project <name>", "the project", DEFAULT_PROJECT)
    .addOption(new Option("--format <format>", "row format").choices(EXPORT_FORMATS).default("jsonl"))
    .option("--workflow <name>", "only this workflow")
    .option("--step <name>", "only this step")
    .option("--workflow-version <version>", "only this workflow version")
    .addOption(new Option("--version <version>").hideHelp())
    .option("--from <date>", "decided at or after (ISO 8601 date or date-time)")
    .option("--to <date>", "decided before (ISO 8601 date or date-time)")
    .option("--include <list>", `comma list of ${EXPORT_INCLUDES.join(", ")}`, "corrections");
  addOutOption(corrections, "write here instead of standard output").action(async (opts: CorrectionsFlags) => {
    if (opts.workflowVersion !== undefined && opts.version !== undefined && opts.workflowVersion !== opts.version) {
      throw kit.usage("--workflow-version and --version name the same thing: give one");
    }
    const out = outFile(opts);
    // The API's contract checks the flags, so the CLI and the route refuse the same things.
    const parsed = correctionsExportQuery.safeParse({
      format: opts.format,
      workflow: opts.workflow,
      step: opts.step,
      version: opts.workflowVersion ?? opts.version,
      from: opts.from,
      to: opts.to,
      include: opts.include,
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const flag = issue.path[0] === undefined ? "filters" : issue.path[0] === "version" ? "workflow-version" : String(issue.path[0]);
      throw kit.usage(`--${flag}: ${issue.message}`);
    }
    const { format, ...q } = parsed.data;
    const filter = filterOf(q);
    await kit.withStore(async (store) => {
      const project = await getProjectByName(store.db, opts.project);
      if (!project) throw kit.failure(await noProjectMessage(store.db, opts.project));
      const sink = openSink(out);
      await recordAudit(store.client, project.id, [
        { time: Date.now(), actor: "system:cli", action: "export.corrections", subject: `project:${project.id}`, payload: exportAuditPayload(format, filter) },
      ]);
      let rows = 0;
      try {
        for await (const row of streamCorrections(store.client, project.id, filter)) {
          const text = exportRow(format, row);
          if (text === "") continue;
          // The header only above a first row: an export that matched nothing writes nothing.
          if (rows === 0) await sink.write(exportHeader(format));
          await sink.write(text);
          rows++;
        }
        if (rows === 0) throw kit.failure(await nothingMatched(store.db, project.id, project.name, filter));
        await sink.finish();
      } catch (err) {
        sink.abandon();
        throw err;
      }
      if (out !== undefined) process.stderr.write(`${rows} ${rows === 1 ? "row" : "rows"} written to ${out}\n`);
    });
  });

  const golden = exp
    .command("golden")
    .description("Write a golden set made from reviews (POST /v1/golden/cases) as a set file, runnable with `seamtrace golden run`; audited")
    .requiredOption("--set <name>", "the set")
    .option("--project <name>", "the project", DEFAULT_PROJECT);
  addOutOption(golden, "write here instead of standard output, e.g. golden/sets/<set>.jsonl").action(
    async (opts: { set: string; project: string; out?: string; output?: string }) => {
      const name = goldenSetName.safeParse(opts.set);
      if (!name.success) throw kit.usage(`--set: ${name.error.issues[0]!.message}`);
      const out = outFile(opts);
      await kit.withStore(async (store) => {
        const project = await getProjectByName(store.db, opts.project);
        if (!project) throw kit.failure(await noProjectMessage(store.db, opts.project));
        if (!(await goldenSetExists(store.db, project.id, opts.set))) throw kit.failure(`project "${opts.project}" has no golden set "${opts.set}"`);
        const sink = openSink(out);
        await recordAudit(store.client, project.id, [
          { time: Date.now(), actor: "system:cli", action: "export.golden", subject: `golden-set:${opts.set}`, payload: { set: opts.set } },
        ]);
        let cases = 0;
        try {
          for await (const line of streamGoldenCases(store.client, project.id, opts.set)) {
            await sink.write(line);
            cases++;
          }
          await sink.finish();
        } catch (err) {
          sink.abandon();
          throw err;
        }
        if (out !== undefined) process.stderr.write(`${cases} ${cases === 1 ? "case" : "cases"} written to ${out}\n`);
      });
    },
  );
}
