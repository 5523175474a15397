import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uuidv7 } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore, runCli, type CliResult } from "../support/cli.js";
import { repoRoot, spawnServer, type SpawnedServer } from "../support/server.js";

/**
 * The `seamtrace` CLI as a user runs it: its own process, configured by the environment only
 * (PATH and SEAMTRACE_DATA_DIR pointing at a temporary folder), judged by exit code, stdout and
 * stderr. It runs from a temporary working directory, so a CLI that ignored SEAMTRACE_DATA_DIR
 * would write to that folder's ./data, never to the repository's.
 */

const KEY_FORMAT = /^st_[0-9A-Za-z]{38}$/;

let dataDir: string;
let cwd: string;

function cli(args: string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<CliResult> {
  return runCli(args, { dataDir, cwd, env, timeoutMs });
}

/** One valid event, with a fresh id so a replay is never answered as a duplicate. */
function oneRunStarted(): string {
  return JSON.stringify({
    events: [{ id: uuidv7(), type: "run.started", time: new Date().toISOString(), runId: uuidv7(), workflow: "cli-check", version: "1" }],
  });
}

describe("seamtrace CLI", () => {
  let server: SpawnedServer | undefined;
  let created: { id: string; key: string; projectName: string; name: string; prefix: string };

  const postEvents = (key: string) =>
    fetch(`${server!.url}/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: oneRunStarted(),
    });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "seamtrace-cli-data-"));
    cwd = mkdtempSync(join(tmpdir(), "seamtrace-cli-cwd-"));
    await createStore(dataDir);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  });

  describe("keys", () => {
    it("keys create --json prints the new key in the st_ format with its id, and keeps it in SEAMTRACE_DATA_DIR", async () => {
      const r = await cli(["keys", "create", "--project", "acme", "--create-project", "--name", "ci", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      created = JSON.parse(r.stdout) as typeof created;
      expect(created.key).toMatch(KEY_FORMAT);
      expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(created).toMatchObject({ projectName: "acme", name: "ci" });
      expect(created.key.startsWith(created.prefix)).toBe(true);
      expect(created.prefix.length).toBeLessThan(created.key.length);
      expect(existsSync(join(dataDir, "seamtrace.db"))).toBe(true);
      expect(existsSync(join(dataDir, "secret"))).toBe(true);
      expect(existsSync(join(cwd, "data"))).toBe(false);
    });

    it("keys list --json lists the key by id and prefix, never the key itself", async () => {
      const r = await cli(["keys", "list", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(created.key);
      const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: created.id, projectName: "acme", name: "ci", prefix: created.prefix, revokedAt: null });
      expect(rows[0]).not.toHaveProperty("key");
      expect(rows[0]).not.toHaveProperty("hash");
    });

    it("keys list prints a table: a header row, then the key's id, project, name and status", async () => {
      const r = await cli(["keys", "list"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(created.key);
      const lines = r.stdout.trimEnd().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[0]!.split(/\s+/)).toEqual(["ID", "PROJECT", "NAME", "PREFIX", "CREATED", "STATUS"]);
      const cells = lines[1]!.split(/\s+/);
      expect(cells[0]).toBe(created.id);
      expect(cells.slice(1, 3)).toEqual(["acme", "ci"]);
      expect(cells.at(-1)).toBe("active");
      // Columns line up: every cell starts where its header does.
      expect(lines[1]!.indexOf("acme")).toBe(lines[0]!.indexOf("PROJECT"));
      expect(lines[1]!.indexOf("active")).toBe(lines[0]!.indexOf("STATUS"));
    });

    it("the created key is accepted by a server started on the same data folder", async () => {
      server = await spawnServer({ dataDir });
      const res = await postEvents(created.key);
      const body = (await res.json()) as { results: Array<{ status: string }> };
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body.results).toEqual([expect.objectContaining({ status: "accepted" })]);
    });

    it("keys revoke --json revokes the key at once: the running server answers the same request with 401", async () => {
      const r = await cli(["keys", "revoke", created.id, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ id: created.id, revoked: true });

      const res = await postEvents(created.key);
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const body = (await res.json()) as { error: { code: string; message: string; requestId?: string } };
      expect(body.error.code).toBe("unauthorized");
      expect(body.error.message).toBeTypeOf("string");
      expect(body.error.message.length).toBeGreaterThan(0);
      expect(body.error.requestId).toBeTruthy();
    });

    it("keys list shows a revoked key as revoked", async () => {
      const [json, human] = await Promise.all([cli(["keys", "list", "--json"]), cli(["keys", "list"])]);
      expect(json.code, json.stderr).toBe(0);
      const [row] = JSON.parse(json.stdout) as Array<{ id: string; revokedAt: number | null }>;
      expect(row!.id).toBe(created.id);
      expect(row!.revokedAt).toBeTypeOf("number");
      expect(human.stdout.trimEnd().split("\n")[1]).toMatch(/ revoked \d{4}-\d\d-\d\dT/);
    });

    it("keys revoke exits 1 with a message on stderr for an unknown id, and for a key already revoked", async () => {
      const [unknown, again] = await Promise.all([cli(["keys", "revoke", uuidv7()]), cli(["keys", "revoke", created.id, "--json"])]);
      for (const r of [unknown, again]) {
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/no active key with id/);
        expect(r.stdout).toBe("");
      }
    });
  });

  describe("usage and configuration errors", () => {
    it("exits 2 on an unknown command, and on an unknown option, saying which on stderr", async () => {
      const [command, option] = await Promise.all([cli(["frobnicate"]), cli(["keys", "list", "--frobnicate"])]);
      expect(command.code).toBe(2);
      expect(command.stderr).toMatch(/unknown command 'frobnicate'/);
      expect(option.code).toBe(2);
      expect(option.stderr).toMatch(/unknown option '--frobnicate'/);
    });

    it("--help exits 0 and lists the serve and keys commands", async () => {
      const r = await cli(["--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^\s+serve\b/m);
      expect(r.stdout).toMatch(/^\s+keys\b/m);
    });

    it("serve exits 2 naming PORT when PORT is not a number", async () => {
      const r = await cli(["serve"], { PORT: "notaport" });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/\bPORT\b/);
      expect(r.stdout).not.toMatch(/listening/);
    });

    it("serve exits 2 naming SEAMTRACE_SECRET when it is shorter than 32 characters", async () => {
      const r = await cli(["serve"], { PORT: "0", SEAMTRACE_SECRET: "x".repeat(31) });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/\bSEAMTRACE_SECRET\b/);
      expect(r.stdout).not.toMatch(/listening/);
    });
  });
});

describe("seamtrace on the PATH of the repository", () => {
  it("runs as `npx seamtrace` through node_modules/.bin, as the README says (a fresh clone links it at install)", async () => {
    const { execFile } = await import("node:child_process");
    const { promisify } = await import("node:util");
    const { stdout } = await promisify(execFile)(join(repoRoot, "node_modules/.bin/seamtrace"), ["--help"], { env: { PATH: process.env.PATH ?? "" } });
    expect(stdout).toMatch(/keys/);
    expect(stdout).toMatch(/users/);
  });
});
