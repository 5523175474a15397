import { Option, type Command } from "commander";
import { readFile, writeFile } from "node:fs/promises";
import { verifyAuditProof, type AuditProof } from "@seamtrace/sdk/audit-proof";
import type { Config } from "../app/config.js";
import type { Store } from "../platform/db/client.js";
import { CheckpointSigner } from "../modules/audit/chain.js";
import { AnchorReadError, configuredAnchors, readExternalCheckpoints } from "../modules/audit/anchors.js";
import { proveConsistency, proveInclusion, ProofUnavailable } from "../modules/audit/proofs.js";
import { recordAudit } from "../modules/audit/store.js";
import { verifyStore, type ChainReport } from "../modules/audit/verify-store.js";
import { SingleBar } from "cli-progress";
import { csvRow, CSV_COLUMNS, streamAudit } from "../modules/audit/query-store.js";
import { listProjects, type Project } from "../modules/auth/projects-store.js";
import { openSink } from "./export-sink.js";
import { addOutOption, outFile } from "./flags.js";
import { noProjectMessage } from "./store-access.js";

/** What the audit commands borrow from cli.ts. */
export interface CliKit {
  withStore<T>(fn: (store: Store, secret: string, config: Readonly<Config>) => Promise<T>, options?: { needsSecret?: boolean }): Promise<T>;
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

function describe(r: ChainReport): string {
  if (!r.ok) {
    const bad = r.firstBad!;
    return `${r.project}: BROKEN at entry ${bad.seq}${bad.to !== undefined ? ` (to ${bad.to})` : ""}: ${bad.reason}`;
  }
  const counts = `${r.entries} ${r.entries === 1 ? "entry" : "entries"}, ${r.checkpoints} signed checkpoint${r.checkpoints === 1 ? "" : "s"}`;
  const payloads =
    r.payloads.checked + r.payloads.reduced + r.payloads.purged > 0
      ? `, payloads ${r.payloads.checked} intact / ${r.payloads.reduced} reduced / ${r.payloads.purged} purged by retention`
      : "";
  if (r.unanchored) {
    return `${r.project}: UNANCHORED: entries ${r.unanchored.from}–${r.unanchored.to} (${r.unanchored.entries}) have no signed checkpoint or anchor, the oldest since ${r.unanchored.since} (${counts})`;
  }
  return `${r.project}: ok — ${counts}${payloads}, head ${r.head ? `${r.head.seq} (${r.head.hash.slice(0, 12)}…)` : "empty"}`;
}

/** The writer for --out (0600: a proof may carry a payload), or standard output. */
async function writeOut(output: string | undefined, text: string): Promise<void> {
  if (output === undefined) {
    process.stdout.write(text);
    return;
  }
  await writeFile(output, text, { mode: 0o600 });
}

/** `--key`: the base64url key itself, or @file holding it or `GET /v1/audit/public-key`'s JSON. */
async function publicKeyArg(value: string, kit: CliKit): Promise<string> {
  if (!value.startsWith("@")) return value.trim();
  let text: string;
  try {
    text = (await readFile(value.slice(1), "utf8")).trim();
  } catch (err) {
    throw kit.usage(`--key ${value}: ${(err as Error).message}`);
  }
  if (text.startsWith("{")) {
    const key = (JSON.parse(text) as { publicKey?: unknown }).publicKey;
    if (typeof key !== "string") throw kit.usage(`--key ${value}: no "publicKey" in it`);
    return key;
  }
  return text;
}

export function registerAuditCommands(program: Command, kit: CliKit): void {
  const audit = program.command("audit").description("Verify, prove and export the tamper-evident audit trail");
  const json = new Option("--json", "machine-readable output");

  audit
    .command("verify")
    .description(
      "Recompute every chain, its Merkle tree and payloads; check its signed checkpoints (also the copies outside the database the configuration names), the system anchor of every project's head, and the unanchored tail; exit 1 naming the first broken entry",
    )
    .option("--project <name>", "only this project (and the system chain)")
    .option("--checkpoints <file>", "also check checkpoints kept in this JSONL file (the checkpoint file, or webhook bodies a receiver stored)")
    .option("--no-progress", "no progress bar")
    .addOption(json)
    .action(async (opts: { project?: string; checkpoints?: string; json?: boolean; progress: boolean }) => {
      const reports = await kit.withStore(
        async (store, secret, config) => {
          const signer = new CheckpointSigner(secret);
          if (opts.project !== undefined) await projectsNamed(store, opts.project, kit);
          const sources = configuredAnchors(config.audit);
          if (opts.checkpoints) sources.push({ kind: "file", location: opts.checkpoints });
          let external = null;
          try {
            external = sources.length > 0 ? await readExternalCheckpoints(sources, signer.publicKey, null) : null;
          } catch (err) {
            if (err instanceof AnchorReadError) throw kit.failure(err.message);
            throw err;
          }
          return verifyStore(store.db, signer.publicKey, {
            external,
            now: Date.now(),
            unanchoredAfterMs: config.audit.unanchoredAfterMs,
            ...(opts.project !== undefined ? { projectName: opts.project } : {}),
            onChain: (name, head) => {
              // Linear in the chain (minutes at ten million entries): show how far it has got.
              if (!opts.progress || opts.json || !process.stderr.isTTY || head === 0) return;
              const bar = new SingleBar({
                stream: process.stderr,
                format: `${name} {bar} {value}/{total} entries  {eta_formatted} left`,
                hideCursor: true,
                clearOnComplete: true,
              });
              bar.start(head, 0);
              return { onProgress: (n) => bar.update(Math.min(n, head)), done: () => bar.stop() };
            },
          });
        },
        { needsSecret: true },
      ); // checkpoints are checked against the key derived from the secret
      kit.print(!!opts.json, reports, () => reports.map(describe).join("\n"));
      if (reports.some((r) => !r.ok)) throw kit.failure("the audit trail does not verify");
      if (reports.some((r) => r.unanchored)) throw kit.failure("part of the audit trail is not anchored by any signed checkpoint");
    });

  const proveCommand = audit
    .command("prove")
    .description(
      "Write an inclusion proof of one entry against a signed checkpoint; `seamtrace audit check-proof` (or @seamtrace/sdk/audit-proof) checks it with the public key alone",
    )
    .argument("<entry>", "the entry's sequence number")
    .requiredOption("--project <name>", "the project")
    .option("--checkpoint <seq>", "prove against the checkpoint at this entry (default: the first that covers it)")
    .option("--no-payload", "leave the payload out of the proof");
  addOutOption(proveCommand, "write here (0600) instead of standard output").action(
    async (entry: string, opts: { project: string; checkpoint?: string; payload: boolean; out?: string; output?: string }) => {
      const seq = positive(entry, "<entry>", kit);
      const checkpoint = opts.checkpoint === undefined ? undefined : positive(opts.checkpoint, "--checkpoint", kit);
      const proof = await kit.withStore(async (store) => {
        const [project] = await projectsNamed(store, opts.project, kit);
        return unavailableAsFailure(kit, () =>
          proveInclusion(store.client, project!.id, seq, {
            ...(checkpoint !== undefined ? { checkpoint } : {}),
            payload: opts.payload,
            onPayloadLeftOut: (message) => process.stderr.write(`note: ${message}\n`),
          }),
        );
      });
      await writeOut(outFile(opts), JSON.stringify(proof, null, 2) + "\n");
    },
  );

  const consistencyCommand = audit
    .command("prove-consistency")
    .description("Write a consistency proof between two signed checkpoints: the later chain starts with the earlier one, unchanged")
    .argument("<from>", "the earlier checkpoint's entry")
    .argument("<to>", "the later checkpoint's entry")
    .requiredOption("--project <name>", "the project");
  addOutOption(consistencyCommand, "write here (0600) instead of standard output").action(
    async (from: string, to: string, opts: { project: string; out?: string; output?: string }) => {
      const [a, b] = [positive(from, "<from>", kit), positive(to, "<to>", kit)];
      const proof = await kit.withStore(async (store) => {
        const [project] = await projectsNamed(store, opts.project, kit);
        return unavailableAsFailure(kit, () => proveConsistency(store.client, project!.id, a, b));
      });
      await writeOut(outFile(opts), JSON.stringify(proof, null, 2) + "\n");
    },
  );

  audit
    .command("check-proof")
    .description(
      "Check a proof written by `audit prove` or `audit prove-consistency` against the server's public key, with no database; exit 1 if it does not hold",
    )
    .argument("<file>", "the proof (JSON)")
    .requiredOption("--key <key>", "the Ed25519 public key, base64url (GET /v1/audit/public-key), or @file holding it")
    .addOption(json)
    .action(async (file: string, opts: { key: string; json?: boolean }) => {
      let proof: AuditProof;
      try {
        proof = JSON.parse(await readFile(file, "utf8")) as AuditProof;
      } catch (err) {
        throw kit.usage(`${file}: ${(err as Error).message}`);
      }
      const result = await verifyAuditProof(proof, await publicKeyArg(opts.key, kit));
      kit.print(!!opts.json, result, () =>
        result.ok
          ? result.kind === "seamtrace.audit.inclusion"
            ? `ok — entry ${result.seq} of project ${result.projectId} is in the chain the checkpoint at entry ${result.checkpoint} signed`
            : `ok — the chain the checkpoint at entry ${result.checkpoint} signed starts with the one signed at entry ${result.seq} (project ${result.projectId})`
          : `NOT PROVEN: ${result.reason}`,
      );
      if (!result.ok) throw kit.failure("the proof does not hold");
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
          {
            time: Date.now(),
            actor: "system:cli",
            action: "audit.exported",
            subject: `project:${project!.id}`,
            payload: { format: opts.format, runId: opts.run ?? null, from: window.from, to: window.to },
          },
        ]);
        let rows = 0;
        try {
          for await (const row of streamAudit(store.db, project!.id, { runId: opts.run, window })) {
            if (rows++ === 0 && opts.format === "csv") await sink.write(CSV_COLUMNS.join(",") + "\r\n");
            await sink.write(opts.format === "csv" ? csvRow(row) : JSON.stringify(row) + "\n");
          }
          if (rows === 0) {
            const given = [
              opts.run !== undefined && `run ${opts.run}`,
              opts.from !== undefined && `from ${opts.from}`,
              opts.to !== undefined && `to ${opts.to}`,
            ].filter(Boolean);
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

function positive(value: string, what: string, kit: CliKit): number {
  if (!/^[1-9]\d{0,15}$/.test(value)) throw kit.usage(`${what} must be a positive whole number, got "${value}"`);
  return Number(value);
}

async function unavailableAsFailure<T>(kit: CliKit, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProofUnavailable) throw kit.failure(err.message);
    throw err;
  }
}
