import { spawn } from "node:child_process";
import { loadConfig } from "../../server/src/app/config.js";
import { migrateStore } from "../../server/src/app/migrate.js";
import { openStore } from "../../server/src/platform/db/client.js";
import { cliPath } from "./server.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The `seamtrace` CLI as a user runs it: its own process, configured by the environment only
 * (PATH and SEAMTRACE_DATA_DIR), run from `cwd`, judged by exit code, stdout and stderr. A
 * command that should have stopped but keeps running is killed after `timeoutMs`, so the test
 * ends with its output instead of hanging.
 */
export function runCli(args: string[], opts: { dataDir: string; cwd?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [cliPath, ...args], {
      cwd: opts.cwd ?? opts.dataDir,
      env: { PATH: process.env.PATH ?? "", SEAMTRACE_DATA_DIR: opts.dataDir, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    proc.once("error", reject);
    proc.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * An empty, migrated store in `dataDir`, as the first `seamtrace serve` leaves it before it makes
 * its default project: the commands other than `serve` and `demo` only work on a store that exists.
 */
export async function createStore(dataDir: string): Promise<void> {
  const config = loadConfig({ SEAMTRACE_DATA_DIR: dataDir });
  const store = await openStore({ url: config.databaseUrl, busyTimeoutMs: 5_000 });
  try {
    await migrateStore(store);
  } finally {
    store.close();
  }
}
