import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Runs an ES module script in a fresh Node process (with tsx, so it can import TypeScript
 * sources) and reports its exit code, output and wall time; killed after `killAfterMs`. For
 * tests of what the SDK does to its host process: timers that must not keep it alive, awaits
 * that must.
 */
export function runHostScript(script: string, killAfterMs = 8000): Promise<{ code: number | null; out: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: root });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(killer);
      resolve({ code, out, ms: Date.now() - start });
    });
  });
}
