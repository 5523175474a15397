// Small helpers for the reliability suites that run SDK clients and the collector as processes.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { repoRoot } from "./server.js";

/** A TCP port free on 127.0.0.1 now, so a collector can be restarted on the same address. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Resident set size of a live process in bytes (Linux /proc), or undefined once it is gone. */
export function rssOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface Script {
  proc: ChildProcess;
  /** Every stdout line so far. */
  lines: string[];
  output(): string;
  exited: Promise<number | null>;
}

/** Runs a TypeScript file from test/support in its own Node process (tsx), calling `onLine` per stdout line. */
export function runScript(file: string, args: string[], opts: { onLine?: (line: string) => void; nodeArgs?: string[] } = {}): Script {
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), "--import", "tsx", join(repoRoot, "test/support", file), ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let out = "";
  let partial = "";
  proc.stdout!.on("data", (d: Buffer) => {
    const text = partial + d.toString();
    const parts = text.split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      opts.onLine?.(line);
    }
  });
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return { proc, lines, output: () => out, exited };
}
