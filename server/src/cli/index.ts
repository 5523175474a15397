#!/usr/bin/env node
import { Argument, Command, CommanderError, Option } from "commander";
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { ConfigError, loadConfig, StoreNotFound } from "../app/config.js";
import { ROLES } from "../modules/auth/contract.js";
import type { Role } from "../app/deps.js";
import { passwordProblem } from "../modules/auth/password.js";
import { PromptCancelled, promptHidden, readSecretFromStream } from "./read-secret.js";
import { createApiKey, listApiKeys, revokeApiKey } from "../modules/auth/keys-store.js";
import { DEFAULT_PROJECT } from "../modules/auth/bootstrap.js";
import { getProjectByName, listProjects } from "../modules/auth/projects-store.js";
import { createUser, getUserByEmail, listUsers, normaliseEmail } from "../modules/auth/users-store.js";
import { startServer } from "../app/main.js";
import { JOB_NAMES } from "../modules/jobs/names.js";
import { JOBS } from "../app/jobs.js";
import { Scheduler } from "../modules/jobs/scheduler.js";
import { listJobRuns } from "../modules/jobs/store.js";
import { jsonLogger, silentLogger, writeLine } from "../app/logger.js";
import { registerAuditCommands } from "./audit.js";
import { registerGoldenCommands } from "./golden.js";
import { registerDemoCommands } from "./demo.js";
import { registerExportCommands } from "./export.js";
import { registerSeamsCommand } from "./seams.js";
import { registerChaosCommand } from "./chaos.js";
import { CliFailure, CliUsage, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "./errors.js";
import { noProjectMessage, projectForWrite, withStore } from "./store-access.js";

/** The version of the installed @seamtrace/server (this file is src/cli or dist/cli inside it). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + "\n" : human() + "\n");
}

const iso = (ms: number | null) => (ms === null ? "" : new Date(ms).toISOString());

export function buildCli(): Command {
  const program = new Command("seamtrace")
    .description("Seamtrace: confidence gates, human review and audit for multi-step AI workflows.")
    .version(packageVersion(), "-V, --version", "print the version")
    // Options of the program only before the command: `export corrections --version 2` is the
    // command's own (older) flag, not a request for seamtrace's version.
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride();

  program
    .command("serve")
    .description("Start the collector, API and UI (PORT, HOST, SEAMTRACE_DATA_DIR, DATABASE_URL, …)")
    .action(async () => {
      const config = loadConfig();
      const server = await startServer(config);
      // Through writeLine, like the logger: a full disk or a closed pipe must not end the server.
      writeLine(process.stdout, `Seamtrace listening on ${server.url}  (store: ${config.databaseUrl.replace(/\?.*$/, "")})\n`);
      if (server.createdKey) {
        writeLine(
          process.stdout,
          `\nCreated project "${server.createdKey.projectName}". Its API key is shown once — store it now:\n\n` +
            `  SEAMTRACE_API_KEY=${server.createdKey.key}\n\n` +
            `More keys: npx seamtrace keys create --project ${server.createdKey.projectName}\n\n`,
        );
      }
      const stop = (signal: string) => {
        writeLine(process.stdout, `${signal}: shutting down\n`);
        void server.close().then(() => process.exit(0));
      };
      process.once("SIGINT", () => stop("SIGINT"));
      process.once("SIGTERM", () => stop("SIGTERM"));
    });

  const keys = program.command("keys").description("Manage project API keys");
  const json = new Option("--json", "machine-readable output");

  keys
    .command("create")
    .description("Create an API key (shown once)")
    .option("--project <name>", "the project (it must exist unless --create-project)", DEFAULT_PROJECT)
    .option("--create-project", "create the project when it does not exist")
    .option("--name <name>", "a label for the key", "cli")
    .addOption(json)
    .action(async (opts: { project: string; createProject?: boolean; name: string; json?: boolean }) => {
      const created = await withStore(
        async (store, secret) => {
          const project = await projectForWrite(store.db, opts.project, !!opts.createProject);
          return createApiKey(store.db, secret, { projectId: project.id, name: opts.name });
        },
        { needsSecret: true },
      );
      print(!!opts.json, created, () =>
        [`Created key ${created.id} for project "${created.projectName}". Shown once — store it now:`, ``, `  ${created.key}`].join("\n"),
      );
    });

  keys
    .command("list")
    .description("List API keys (never their secrets)")
    .option("--project <name>", "only this project")
    .addOption(json)
    .action(async (opts: { project?: string; json?: boolean }) => {
      const rows = await withStore(async (store) => {
        if (!opts.project) return listApiKeys(store.db);
        const project = await getProjectByName(store.db, opts.project);
        if (!project) throw new CliFailure(await noProjectMessage(store.db, opts.project));
        return listApiKeys(store.db, project.id);
      });
      print(!!opts.json, rows, () => {
        if (rows.length === 0) return "No API keys. Create one: seamtrace keys create";
        const table = rows.map((k) => ({
          id: k.id,
          project: k.projectName,
          name: k.name,
          prefix: `${k.prefix}…`,
          created: iso(k.createdAt),
          status: k.revokedAt === null ? "active" : `revoked ${iso(k.revokedAt)}`,
        }));
        return formatTable(table);
      });
    });

  keys
    .command("revoke")
    .description("Revoke an API key by id; requests with it get 401 from then on")
    .argument("<id>", "the key id (see `keys list`)")
    .addOption(json)
    .action(async (id: string, opts: { json?: boolean }) => {
      const revoked = await withStore((store) => revokeApiKey(store.db, id));
      if (!revoked) throw new CliFailure(`no active key with id ${id}`);
      print(!!opts.json, { id, revoked: true }, () => `Revoked key ${id}.`);
    });

  const users = program.command("users").description("Manage the people who sign in to the UI (admin, lead, reviewer, analyst)");

  users
    .command("create")
    .description(
      "Create a user who signs in with an email and password. The password is never an argument " +
        "(it would land in shell history and ps): pipe it in with --password-stdin, name an environment " +
        "variable with --password-env, or type it when prompted.",
    )
    .requiredOption("--email <email>", "the address they sign in with; one account per address")
    .addOption(new Option("--role <role>", "what they may do").choices(ROLES).makeOptionMandatory())
    .option("--project <name>", "the project (it must exist unless --create-project)", DEFAULT_PROJECT)
    .option("--create-project", "create the project when it does not exist")
    .option("--name <name>", "display name (default: the email)")
    .addOption(new Option("--password-stdin", "read the password from standard input").conflicts("passwordEnv"))
    .addOption(new Option("--password-env <var>", "read the password from this environment variable"))
    .addOption(json)
    .action(
      async (opts: {
        email: string;
        role: Role;
        project: string;
        createProject?: boolean;
        name?: string;
        passwordStdin?: boolean;
        passwordEnv?: string;
        json?: boolean;
      }) => {
        const email = normaliseEmail(opts.email);
        if (!z.email().safeParse(email).success) throw new CliUsage(`--email: "${opts.email}" is not an email address`);
        if (opts.name !== undefined && opts.name.trim() === "") throw new CliUsage("--name: must not be empty");
        // The password is settled before the store is opened: a typo costs nothing.
        const password = await readPassword(opts);
        const problem = passwordProblem(password);
        if (problem) throw new CliUsage(`password: ${problem}`);

        const created = await withStore(async (store) => {
          if (await getUserByEmail(store.db, email)) throw new CliFailure(`a user with email ${email} already exists`);
          const project = await projectForWrite(store.db, opts.project, !!opts.createProject);
          const user = await createUser(store.db, { projectId: project.id, email, name: opts.name?.trim(), role: opts.role, password });
          return { ...user, projectName: project.name };
        });
        print(!!opts.json, created, () => `Created ${created.role} ${created.email} (${created.id}) in project "${created.projectName}".`);
      },
    );

  users
    .command("list")
    .description("List users (never their password hashes)")
    .option("--project <name>", "only this project")
    .addOption(json)
    .action(async (opts: { project?: string; json?: boolean }) => {
      const rows = await withStore(async (store) => {
        const projects = new Map((await listProjects(store.db)).map((p) => [p.id, p.name]));
        let projectId: string | undefined;
        if (opts.project !== undefined) {
          projectId = [...projects].find(([, name]) => name === opts.project)?.[0];
          if (!projectId) throw new CliFailure(await noProjectMessage(store.db, opts.project));
        }
        return (await listUsers(store.db, projectId)).map((u) => ({ ...u, projectName: projects.get(u.projectId) ?? u.projectId }));
      });
      print(!!opts.json, rows, () => {
        if (rows.length === 0) return "No users. Create one: seamtrace users create --email <email> --role admin";
        return formatTable(
          rows.map((u) => ({
            id: u.id,
            project: u.projectName,
            email: u.email,
            role: u.role,
            created: iso(u.createdAt),
            status: u.disabledAt === null ? "active" : `disabled ${iso(u.disabledAt)}`,
            name: u.name,
          })),
        );
      });
    });

  const jobs = program.command("jobs").description("The analytics jobs: run one now, list them, read their run history");

  jobs
    .command("run")
    .description("Run a job now, in this process (waits for it; refused while another instance runs it)")
    .addArgument(new Argument("<job>", "the job").choices(JOB_NAMES))
    .option("--verbose", "log the job's diagnostics to stderr")
    .addOption(json)
    .action(async (name: string, opts: { json?: boolean; verbose?: boolean }) => {
      const run = await withStore(
        async (store, _secret, config) => {
          const scheduler = new Scheduler({ store, config, log: opts.verbose ? jsonLogger : silentLogger, now: () => Date.now() }, JOBS);
          return scheduler.run(name, { trigger: "manual", actor: "cli" });
        },
        { needsSecret: name === "checkpoint" },
      ); // it signs with the key derived from the secret
      if (run === "unknown") throw new CliFailure(`this version of seamtrace does not run the ${name} job yet`);
      if (run === "busy") throw new CliFailure(`the ${name} job is running now (another instance holds its lease); try again when it ends`);
      print(!!opts.json, run, () =>
        [
          `${run.job}: ${run.outcome} in ${run.durationMs} ms (run ${run.runId})`,
          `rows read: ${run.rowsRead ?? "-"}, rows written: ${run.rowsWritten ?? "-"}`,
          ...(run.error ? [`error: ${run.error}`] : []),
          ...(run.details ? [JSON.stringify(run.details)] : []),
        ].join("\n"),
      );
      if (run.outcome === "failed") throw new CliFailure(`the ${run.job} job failed: ${run.error}`);
    });

  jobs
    .command("list")
    .description("The jobs, their schedules (UTC cron) and whether this version runs them")
    .addOption(json)
    .action((opts: { json?: boolean }) => {
      // Schedules only: no store is opened, so none is looked for or made.
      const config = loadConfig(process.env, { store: "none" });
      const available = new Set(JOBS.map((j) => j.name));
      const rows = JOB_NAMES.map((name) => ({
        name,
        schedule: config.jobs.enabled ? (config.jobs.schedules[name] ?? "off") : "off (SEAMTRACE_JOBS=off)",
        available: available.has(name),
      }));
      print(!!opts.json, rows, () => formatTable(rows.map((r) => ({ job: r.name, schedule: r.schedule, available: r.available ? "yes" : "not yet" }))));
    });

  jobs
    .command("history")
    .description("Recent runs, newest first")
    .addOption(new Option("--job <job>", "only this job").choices(JOB_NAMES))
    .option("--limit <n>", "how many", "20")
    .addOption(json)
    .action(async (opts: { job?: string; limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliUsage("--limit: a whole number from 1 to 1000");
      const page = await withStore((store) => listJobRuns(store.db, { job: opts.job, limit }));
      print(!!opts.json, page.items, () => {
        if (page.items.length === 0) return "No job runs yet. Run one: seamtrace jobs run rollup";
        return formatTable(
          page.items.map((r) => ({
            started: r.startedAt,
            job: r.job,
            trigger: r.trigger,
            outcome: r.outcome,
            ms: r.durationMs === null ? "" : String(r.durationMs),
            rows: r.rowsRead === null ? "" : String(r.rowsRead),
            error: r.error ?? "",
          })),
        );
      });
    });
  registerGoldenCommands(program, { print, failure: (message) => new CliFailure(message), usage: (message) => new CliUsage(message) });
  registerSeamsCommand(program, { print, failure: (message) => new CliFailure(message), usage: (message) => new CliUsage(message) });
  registerChaosCommand(program, { print, failure: (message) => new CliFailure(message), usage: (message) => new CliUsage(message) });
  registerDemoCommands(program, { print, failure: (message) => new CliFailure(message), usage: (message) => new CliUsage(message), table: formatTable });
  registerAuditCommands(program, {
    withStore,
    print,
    failure: (message) => new CliFailure(message),
    usage: (message) => new CliUsage(message),
  });
  registerExportCommands(program, { withStore, failure: (message) => new CliFailure(message), usage: (message) => new CliUsage(message) });

  return program;
}

/** The new user's password from stdin, a named environment variable, or a no-echo prompt. */
async function readPassword(opts: { passwordStdin?: boolean; passwordEnv?: string }): Promise<string> {
  if (opts.passwordStdin) return readSecretFromStream(process.stdin);
  if (opts.passwordEnv !== undefined) {
    const value = process.env[opts.passwordEnv];
    if (value === undefined) throw new CliUsage(`--password-env: the environment variable ${opts.passwordEnv} is not set`);
    return value;
  }
  if (!process.stdin.isTTY) {
    throw new CliUsage("no password given: pipe it in with --password-stdin, or name an environment variable with --password-env <var>");
  }
  try {
    const first = await promptHidden("Password: ", process.stdin, process.stderr);
    const problem = passwordProblem(first);
    if (problem) throw new CliUsage(`password: ${problem}`);
    const again = await promptHidden("Repeat password: ", process.stdin, process.stderr);
    if (again !== first) throw new CliUsage("the passwords do not match");
    return first;
  } catch (err) {
    if (err instanceof PromptCancelled) throw new CliFailure("cancelled");
    throw err;
  }
}

function formatTable(rows: Array<Record<string, string>>): string {
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(width[i]!))
      .join("  ")
      .trimEnd();
  return [line(cols.map((c) => c.toUpperCase())), ...rows.map((r) => line(cols.map((c) => r[c]!)))].join("\n");
}

/** The reader of our output went away (`seamtrace audit export | head`): not an error of ours. */
function isClosedPipe(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === "EPIPE";
}

export async function main(argv: string[]): Promise<number> {
  // A write after the reader closed the pipe fails asynchronously, possibly while a command
  // still streams: end at once and quietly, as `head` and `grep -q` expect of a producer.
  process.stdout.on("error", (err) => {
    if (isClosedPipe(err)) process.exit(EXIT_OK);
    throw err;
  });
  try {
    await buildCli().parseAsync(argv);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (isClosedPipe(err)) return EXIT_OK;
    if (err instanceof StoreNotFound) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error: ${err.message}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof CliUsage) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof CliFailure) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT_FAILED;
    }
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILED;
  }
}

// Through the npm bin link argv[1] is the symlink, while import.meta.url is the real file.
const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  // `serve` keeps the process alive through its server; other commands exit when done.
  main(process.argv).then((code) => {
    if (code !== 0 || process.argv[2] !== "serve") process.exitCode = code;
  });
}
