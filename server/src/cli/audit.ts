import { Option, type Command } from "commander";
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Store } from "../platform/db/client.js";
import { checkpointSignatureValid, CheckpointSigner, type SignedCheckpoint, type VerifyReport } from "../modules/audit/chain.js";
import { readAuditHead, recordAudit, verifyAudit } from "../modules/audit/store.js";
import { SingleBar } from "cli-progress";
import { csvRow, CSV_COLUMNS, streamAudit } from "../modules/audit/query-store.js";
import { listProjects, type Project } from "../modules/auth/projects-store.js";
import { openSink } from "./export-sink.js";
import { addOutOption, outFile } from "./flags.js";
import { noProjectMessage } from "./store-access.js";

/** What the audit commands borrow from cli.ts. */
export interface CliKit {
  withStore<T>(fn: (store: Store, secret: string) => Promise<T>, options?: { needsSecret?: boolean }): Promise<T>;
  print(json: boolean, value: unknown, human: () => string): void;
  /** Exit 1: a check failed. */
  failure(message: string): Error;
  /** Exit 2: called wrongly. */
  usage(message: string): Error;
}

async function projectsNamed(store: Store, name: string | undefined, kit: CliKit): Promise<Project[]> {
  const all = await listProjects(store.db);
  if (name === undefined) return all;
  const found = all.filter((p) => p.name === name);
  if (found.length === 0) throw kit.failure(await noProjectMessage(store.db, name));
  return found;
}

/**
 * Checks checkpoints kept outside the database (the JSONL file SEAMTRACE_AUDIT_CHECKPOINT_FILE
 * writes, or webhook copies) against the stored chain: they catch what the database alone cannot,
 * such as a tail truncated together with its checkpoints. Read line by line.
 */
async function checkExternal(store: Store, file: string, signer: CheckpointSigner, reports: Map<string, VerifyReport>): Promise<number> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let checked = 0;
  for await (const line of lines) {
    if (line.trim() === "") continue;
    let c: SignedCheckpoint;
    try {
      c = JSON.parse(line) as SignedCheckpoint;
    } catch {
      throw new Error(`${file}: not a JSON line: ${line.slice(0, 80)}`);
    }
    const report = reports.get(c.projectId);
    if (!report) continue;
    checked++;
    const fail = (seq: number, reason: string) => {
      if (report.firstBad && report.firstBad.seq <= seq) return;
      report.ok = false;
      report.firstBad = { seq, reason };
    };
    if (!checkpointSignatureValid(c, signer.publicKey)) {
      fail(c.seq, `the exported checkpoint at entry ${c.seq} has an invalid signature`);
      continue;
    }
    const rs = await store.client.execute({ sql: "SELECT hash FROM audit_log WHERE project_id = ? AND seq = ?", args: [c.projectId, c.seq] });
    const stored = rs.rows[0];
    const headSeq = report.head?.seq ?? 0;
    if (!stored) fail(headSeq + 1, `entries ${headSeq + 1}–${c.seq} are missing: an exported checkpoint covers them (truncated tail)`);
    else if (String(stored[0]) !== c.headHash) fail(Math.min(c.seq, (report.lastGoodCheckpoint ?? 0) + 1), `entry ${c.seq} differs from the exported checkpoint (chain rewritten)`);
  }
  return checked;
}

export function registerAuditCommands(program: Command, kit: CliKit): void {
  const audit = program.command("audit").description("Verify and export the tamper-evident audit trail");
  const json = new Option("--json", "machine-readable output");

  audit
    .command("verify")
    .description("Recompute each project's hash chain and check its signed checkpoints; exit 1 naming the first broken entry")
    .option("--project <name>", "only this project")
    .option("--checkpoints <file>", "also check checkpoints exported outside the database (JSONL)")
    .option("--no-progress", "no progress bar")
    .addOption(json)
    .action(async (opts: { project?: string; checkpoints?: string; json?: boolean; progress: boolean }) => {
      const reports = await kit.withStore(async (store, secret) => {
        const signer = new CheckpointSigner(secret);
        const byProject = new Map<string, VerifyReport>();
        const projects = await projectsNamed(store, opts.project, kit);
        for (const p of projects) {
          // Linear in the chain (minutes at ten million entries): show how far it has got.
          const head = (await readAuditHead(store.client, p.id))?.seq ?? 0;
          const bar = opts.progress && !opts.json && process.stderr.isTTY && head > 0
            ? new SingleBar({ stream: process.stderr, format: `${p.name} {bar} {value}/{total} entries  {eta_formatted} left`, hideCursor: true, clearOnComplete: true })
            : undefined;
          bar?.start(head, 0);
          try {
            byProject.set(p.id, await verifyAudit(store.db, p.id, signer.publicKey, { onProgress: (n) => bar?.update(Math.min(n, head)) }));
          } finally {
            bar?.stop();
          }
        }
        if (opts.checkpoints) await checkExternal(store, opts.checkpoints, signer, byProject);
        return projects.map((p) => ({ project: p.name, ...byProject.get(p.id)! }));
      }, { needsSecret: true }); // checkpoints are checked against the key derived from the secret
      kit.print(!!opts.json, reports, () =>
        reports
          .map((r) =>
            r.ok
              ? `${r.project}: ok — ${r.entries} ${r.entries === 1 ? "entry" : "entries"}, ${r.checkpoints} signed checkpoint${r.checkpoints === 1 ? "" : "s"}, head ${r.head ? `${r.head.seq} (${r.head.hash.slice(0, 12)}…)` : "empty"}`
              : `${r.project}: BROKEN at entry ${r.firstBad!.seq}: ${r.firstBad!.reason}`,
          )
          .join("\n"),
      );
      if (reports.some((r) => !r.ok)) throw kit.failure("the audit trail does not verify");
    });

  const exportCommand = audit
    .command("export")
    .description("Write audit entries (with their payloads while retention keeps them) as JSONL or CSV, oldest first; exit 1 when nothing matches")
    .requiredOption("--project <name>", "the project")
    .addOption(new Option("--format <format>", "jsonl or csv").choices(["jsonl", "csv"]).default("jsonl"))
    .option("--run <id>", "only this run's entries")
    .option("--from <date>", "ISO 8601 date or date-time (default: the beginning)")
    .option("--to <date>", "ISO 8601 date or date-time (default: now)");
  addOutOption(exportCommand, "write here instead of standard output").action(
    async (opts: { project: string; format: "jsonl" | "csv"; out?: string; output?: string; run?: string; from?: string; to?: string }) => {
      const time = (s: string | undefined, fallback: number, flag: string) => {
        if (s === undefined) return fallback;
        const ms = Date.parse(s);
        if (Number.isNaN(ms)) throw kit.usage(`${flag}: not an ISO 8601 date: "${s}"`);
        return ms;
      };
      const window = { from: time(opts.from, 0, "--from"), to: time(opts.to, Number.MAX_SAFE_INTEGER, "--to") };
      const out = outFile(opts);
      await kit.withStore(async (store) => {
        const [project] = await projectsNamed(store, opts.project, kit);
        const sink = openSink(out);
        await recordAudit(store.client, project!.id, [
          { time: Date.now(), actor: "system:cli", action: "audit.exported", subject: `project:${project!.id}`, payload: { format: opts.format, runId: opts.run ?? null, from: window.from, to: window.to } },
        ]);
        let rows = 0;
        try {
          for await (const row of streamAudit(store.db, project!.id, { runId: opts.run, window })) {
            if (rows++ === 0 && opts.format === "csv") await sink.write(CSV_COLUMNS.join(",") + "\r\n");
            await sink.write(opts.format === "csv" ? csvRow(row) : JSON.stringify(row) + "\n");
          }
          if (rows === 0) {
            const given = [opts.run !== undefined && `run ${opts.run}`, opts.from !== undefined && `from ${opts.from}`, opts.to !== undefined && `to ${opts.to}`].filter(Boolean);
            throw kit.failure(`nothing matched: no audit entries in project "${project!.name}"${given.length > 0 ? ` for ${given.join(", ")}` : ""}`);
          }
          await sink.finish();
        } catch (err) {
          sink.abandon();
          throw err;
        }
        if (out !== undefined) process.stderr.write(`${rows} ${rows === 1 ? "entry" : "entries"} written to ${out}\n`);
      });
    },
  );
}
