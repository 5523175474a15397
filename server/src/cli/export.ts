/**
 * `seamtrace export corrections` and `seamtrace export golden`: the exports of
 * `GET /v1/exports/corrections` and `GET /v1/golden/sets/:set/cases`, read straight from the
 * store (like `seamtrace audit export`), validated by the same contracts, with the same audit entries.
 */
import { EXPORT_FORMATS, exportHeader, exportRow, type ExportFormat } from "@seamtrace/golden";
import { Option, type Command } from "commander";
import { createWriteStream, openSync, rmSync, renameSync, type WriteStream } from "node:fs";
import { once } from "node:events";
import type { Writable } from "node:stream";
import type { Store } from "../platform/db/client.js";
import { correctionsExportQuery, EXPORT_INCLUDES } from "../modules/exports/contract.js";
import { goldenSetName } from "../modules/golden/contract.js";
import { exportAuditPayload, filterOf } from "../modules/exports/routes.js";
import { recordAudit } from "../modules/audit/store.js";
import { DEFAULT_PROJECT } from "../modules/auth/bootstrap.js";
import { streamCorrections } from "../modules/exports/store.js";
import { goldenSetExists, streamGoldenCases } from "../modules/golden/store.js";
import { getProjectByName } from "../modules/auth/projects-store.js";

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
  version?: string;
  from?: string;
  to?: string;
  include?: string;
  out?: string;
}

/**
 * Where the text goes: standard output, or `file` written beside it as `<file>.partial` and
 * renamed at the end, so a failed export never leaves a truncated file that looks complete.
 */
export class ExportSink {
  private readonly out: Writable;
  private readonly partial: string | null;
  private failed: Error | undefined;

  /**
   * Opens the file at once (synchronously), so a path that cannot be written is refused before
   * the export is audited or read, not by an unhandled stream error half-way through.
   */
  constructor(private readonly file: string | undefined) {
    this.partial = file === undefined ? null : `${file}.partial`;
    // Training data holds model inputs (often personal data): readable by its owner only.
    this.out = this.partial === null ? process.stdout : createWriteStream("", { fd: openSync(this.partial, "w", 0o600) });
    this.out.on("error", (err: Error) => (this.failed ??= err));
  }

  async write(text: string): Promise<void> {
    if (this.failed) throw this.failed;
    if (text !== "" && !this.out.write(text)) await once(this.out, "drain");
  }

  async finish(): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.partial === null) return;
    const out = this.out as WriteStream;
    await new Promise<void>((resolve, reject) => {
      out.once("error", reject);
      out.end(resolve);
    });
    renameSync(this.partial, this.file!);
  }

  abandon(): void {
    if (this.partial === null) return;
    (this.out as WriteStream).destroy();
    rmSync(this.partial, { force: true });
  }
}

/** The sink for `--out`, or a usage error (exit 2) naming the path when it cannot be written. */
function openSink(out: string | undefined, kit: ExportCliKit): ExportSink {
  try {
    return new ExportSink(out);
  } catch (err) {
    throw kit.usage(`--out: cannot write ${out}.partial (${err instanceof Error ? err.message : String(err)})`);
  }
}

export function registerExportCommands(program: Command, kit: ExportCliKit): void {
  const exp = program.command("export").description("Export reviewers' decisions as training data, and golden cases made from reviews");

  exp
    .command("corrections")
    .description("Write decided escalations (and stand-alone labels) as JSONL, CSV or chat fine-tuning JSONL, oldest decision first; audited")
    .option("--project <name>", "the project", DEFAULT_PROJECT)
    .addOption(new Option("--format <format>", "row format").choices(EXPORT_FORMATS).default("jsonl"))
    .option("--workflow <name>", "only this workflow")
    .option("--step <name>", "only this step")
    .option("--version <version>", "only this workflow version")
    .option("--from <date>", "decided at or after (ISO 8601 date or date-time)")
    .option("--to <date>", "decided before (ISO 8601 date or date-time)")
    .option("--include <list>", `comma list of ${EXPORT_INCLUDES.join(", ")}`, "corrections")
    .option("--out <file>", "write here instead of standard output")
    .action(async (opts: CorrectionsFlags) => {
      // The API's contract checks the flags, so the CLI and the route refuse the same things.
      const parsed = correctionsExportQuery.safeParse({
        format: opts.format, workflow: opts.workflow, step: opts.step, version: opts.version, from: opts.from, to: opts.to, include: opts.include,
      });
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw kit.usage(`--${issue.path[0] === undefined ? "filters" : String(issue.path[0])}: ${issue.message}`);
      }
      const { format, ...q } = parsed.data;
      const filter = filterOf(q);
      await kit.withStore(async (store) => {
        const project = await getProjectByName(store.db, opts.project);
        if (!project) throw kit.failure(`no project named "${opts.project}"`);
        const sink = openSink(opts.out, kit);
        await recordAudit(store.client, project.id, [
          { time: Date.now(), actor: "system:cli", action: "export.corrections", subject: `project:${project.id}`, payload: exportAuditPayload(format, filter) },
        ]);
        let rows = 0;
        try {
          await sink.write(exportHeader(format));
          for await (const row of streamCorrections(store.client, project.id, filter)) {
            const text = exportRow(format, row);
            await sink.write(text);
            if (text !== "") rows++;
          }
          await sink.finish();
        } catch (err) {
          sink.abandon();
          throw err;
        }
        if (opts.out !== undefined) process.stderr.write(`${rows} ${rows === 1 ? "row" : "rows"} written to ${opts.out}\n`);
      });
    });

  exp
    .command("golden")
    .description("Write a golden set made from reviews (POST /v1/golden/cases) as a set file, runnable with `seamtrace golden run`; audited")
    .requiredOption("--set <name>", "the set")
    .option("--project <name>", "the project", DEFAULT_PROJECT)
    .option("--out <file>", "write here instead of standard output, e.g. golden/sets/<set>.jsonl")
    .action(async (opts: { set: string; project: string; out?: string }) => {
      const name = goldenSetName.safeParse(opts.set);
      if (!name.success) throw kit.usage(`--set: ${name.error.issues[0]!.message}`);
      await kit.withStore(async (store) => {
        const project = await getProjectByName(store.db, opts.project);
        if (!project) throw kit.failure(`no project named "${opts.project}"`);
        if (!(await goldenSetExists(store.db, project.id, opts.set))) throw kit.failure(`project "${opts.project}" has no golden set "${opts.set}"`);
        const sink = openSink(opts.out, kit);
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
        if (opts.out !== undefined) process.stderr.write(`${cases} ${cases === 1 ? "case" : "cases"} written to ${opts.out}\n`);
      });
    });
}
