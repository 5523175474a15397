import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface HostScriptResult {
  code: number | null;
  out: string;
  /** Wall time of the whole child, start-up included. */
  ms: number;
  /**
   * How long the process stayed alive after the script's last statement, or null when it was
   * killed first. What a timer that wrongly keeps Node alive shows up in, whatever the start-up
   * cost on a busy machine.
   */
  lingerMs: number | null;
}

/**
 * Runs an ES module script in a fresh Node process (with tsx, so it can import TypeScript
 * sources) and reports its exit code, output, wall time and linger; killed after `killAfterMs`.
 * For tests of what the SDK does to its host process: timers that must not keep it alive, awaits
 * that must.
 */
export function runHostScript(script: string, killAfterMs = 120_000): Promise<HostScriptResult> {
  const timed = `${script}
    ;{ const end = performance.now(); process.on("exit", () => process.stdout.write("\\n__linger=" + (performance.now() - end) + "\\n")); }`;
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", timed], { cwd: root });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(killer);
      const linger = /\n__linger=([\d.]+)\n/.exec(out);
      resolve({ code, out: out.replace(/\n__linger=[\d.]+\n/, ""), ms: Date.now() - start, lingerMs: linger ? Number(linger[1]) : null });
    });
  });
}
