import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The repository's own checks run with the suite, so CI fails on them: Biome (format and lint,
 * `npm run lint`) and the import-cycle check (`npm run check:cycles`, dpdm over every TypeScript
 * source, type-only imports included). On failure the tool's own report is the assertion message.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function npmRun(script: string, ...args: string[]): { status: number | null; output: string } {
  const r = spawnSync("npm", ["run", "--silent", script, ...(args.length > 0 ? ["--", ...args] : [])], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}`.trim() };
}

describe("repository checks", () => {
  it("npm run lint: Biome finds nothing to format or fix", { timeout: 120_000 }, () => {
    const r = npmRun("lint", "--colors=off");
    expect(r.status, r.output.slice(-6000)).toBe(0);
  });

  it("npm run check:cycles: no import cycle, type-only ones included", { timeout: 180_000 }, () => {
    const r = npmRun("check:cycles");
    expect(r.status, r.output.slice(-6000)).toBe(0);
  });
});
