import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const cliPath = join(repoRoot, "server/dist/cli/index.js");

export interface SpawnedServer {
  url: string;
  /** The default project's key, printed once on first start. */
  apiKey: string;
  dataDir: string;
  proc: ChildProcess;
  output(): string;
  /** SIGTERM and wait for exit (SIGKILL with `kill: true`). */
  stop(opts?: { kill?: boolean }): Promise<void>;
  /** Stops and deletes the data folder. */
  dispose(): Promise<void>;
}

/**
 * Starts `seamtrace serve` as its own process on 127.0.0.1 with an ephemeral port and a fresh
 * data folder (or the given one, to test restarts). Needs a build (`npm test` builds first).
 */
export async function spawnServer(
  opts: {
    dataDir?: string;
    env?: Record<string, string>;
    timeoutMs?: number;
    nodeArgs?: string[];
    /** Appends the server's stdout and stderr to this file (a log on the store's disk) instead of piping them here. */
    logFile?: string;
  } = {},
): Promise<SpawnedServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "seamtrace-e2e-"));
  const logFd = opts.logFile === undefined ? undefined : openSync(opts.logFile, "a");
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), cliPath, "serve"], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", SEAMTRACE_DATA_DIR: dataDir, ...opts.env },
    stdio: logFd === undefined ? ["ignore", "pipe", "pipe"] : ["ignore", logFd, logFd],
  });
  if (logFd !== undefined) closeSync(logFd);
  let piped = "";
  proc.stdout?.on("data", (d: Buffer) => (piped += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (piped += d.toString()));
  const logged = () => {
    try {
      return readFileSync(opts.logFile!, "utf8");
    } catch {
      return "";
    }
  };
  let out = "";
  const refresh = () => (out = opts.logFile === undefined ? piped : logged());
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));

  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let url: string | undefined;
  while (Date.now() < deadline) {
    refresh();
    url = /listening on (http:\/\/[^\s]+)/.exec(out)?.[1];
    // The key line follows the listening line on a first start; give it a moment.
    if (url && (/SEAMTRACE_API_KEY=(st_\w+)/.test(out) || opts.dataDir)) break;
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}:\n${out}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  if (!url) {
    proc.kill("SIGKILL");
    throw new Error(`server did not start in time:\n${out}`);
  }
  const apiKey = /SEAMTRACE_API_KEY=(st_\w+)/.exec(out)?.[1] ?? "";
  const stop = async ({ kill = false } = {}) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(kill ? "SIGKILL" : "SIGTERM");
    await exited;
  };
  return {
    url,
    apiKey,
    dataDir,
    proc,
    output: refresh,
    stop,
    async dispose() {
      await stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
