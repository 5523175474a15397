import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/src/app/config.js";
import { recordAudit } from "../../server/src/modules/audit/store.js";
import { createProject } from "../../server/src/modules/auth/projects-store.js";
import { openStore } from "../../server/src/platform/db/client.js";
import { createStore, runCli } from "../support/cli.js";
import { cliPath, repoRoot } from "../support/server.js";

/**
 * What the CLI prints and how it ends, as a script sees it: --version, one spelling of each
 * flag, an export that matched nothing, and a reader that closes the pipe early.
 */

let dataDir: string;
/** Audit entries in project "acme": well past a pipe's 64 KiB buffer once exported. */
const ENTRIES = 3_000;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "seamtrace-cli-output-"));
  await createStore(dataDir);
  const config = loadConfig({ SEAMTRACE_DATA_DIR: dataDir });
  const store = await openStore({ url: config.databaseUrl, busyTimeoutMs: 5_000 });
  try {
    const project = await createProject(store.db, "acme");
    const t0 = Date.now() - 3_600_000;
    const records = Array.from({ length: ENTRIES }, (_, i) => ({
      time: t0 + i,
      actor: "system:test",
      action: "test.filled",
      subject: `item:${i}`,
      payload: { i, note: "x".repeat(200) },
    }));
    for (let i = 0; i < records.length; i += 500) await recordAudit(store.client, project.id, records.slice(i, i + 500));
  } finally {
    store.close();
  }
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const cli = (args: string[]) => runCli(args, { dataDir });

describe("--version", () => {
  it("prints the version of @seamtrace/server and exits 0, as -V too", async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, "server/package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const r = await cli([flag]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });

  it("leaves a command's own --version alone: export corrections still reads it as the workflow version", async () => {
    const r = await cli(["export", "corrections", "--project", "acme", "--version", "9"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('workflow version "9"');
  });
});

describe("one spelling of each flag", () => {
  it("every command that writes a file takes --out; --output is an alias kept out of the help", async () => {
    for (const command of [
      ["audit", "export"],
      ["export", "corrections"],
      ["export", "golden"],
    ]) {
      const help = await cli([...command, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout, command.join(" ")).toMatch(/--out <file>/);
      expect(help.stdout, command.join(" ")).not.toMatch(/--output/);
    }
    const out = join(dataDir, "alias.jsonl");
    const r = await cli(["audit", "export", "--project", "acme", "--output", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, "utf8").trim().split("\n").length).toBeGreaterThan(ENTRIES);
    const both = await cli(["audit", "export", "--project", "acme", "--out", out, "--output", `${out}.2`]);
    expect(both.code).toBe(2);
  });

  it("export corrections names the workflow version --workflow-version, like seams", async () => {
    const help = await cli(["export", "corrections", "--help"]);
    expect(help.stdout).toMatch(/--workflow-version <version>/);
    const r = await cli(["export", "corrections", "--project", "acme", "--workflow-version", "9"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('workflow version "9"');
  });
});

describe("filters that match nothing", () => {
  it("export corrections for a workflow that does not exist says so, names the workflows there are, exits 1, and leaves no file", async () => {
    const out = join(dataDir, "none.jsonl");
    const r = await cli(["export", "corrections", "--project", "acme", "--workflow", "claimz", "--out", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nothing matched: no corrections in project "acme" for workflow "claimz"');
    expect(r.stderr).toContain('the project has no workflow "claimz" (workflows: none yet)');
    expect(r.stderr).not.toMatch(/rows written/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it("audit export for a run with no entries says so and exits 1, writing nothing on stdout (not even a CSV header)", async () => {
    const r = await cli(["audit", "export", "--project", "acme", "--run", "no-such-run", "--format", "csv"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nothing matched: no audit entries in project "acme" for run no-such-run');
    expect(r.stdout).toBe("");
  });
});

describe("a reader that closes the pipe", () => {
  it("audit export | head: ends quietly with exit 0 once the reader has gone", async () => {
    const proc = spawn(process.execPath, [cliPath, "audit", "export", "--project", "acme"], {
      cwd: dataDir,
      env: { PATH: process.env.PATH ?? "", SEAMTRACE_DATA_DIR: dataDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let first = "";
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // Like `head -n 1`: read the first chunk, then close our end while the export has far more to write.
    proc.stdout.once("data", (d: Buffer) => {
      first = d.toString();
      proc.stdout.destroy();
    });
    const timer = setTimeout(() => proc.kill("SIGKILL"), 120_000);
    const code = await new Promise<number | null>((resolve) => proc.once("close", (c) => resolve(c)));
    clearTimeout(timer);
    expect(first).toMatch(/^\{"seq":\d+,/);
    expect(stderr).not.toMatch(/EPIPE|error/i);
    expect(code).toBe(0);
  });
});
