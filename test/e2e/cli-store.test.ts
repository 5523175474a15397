import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore, runCli } from "../support/cli.js";

/**
 * Which store a command works on, as a user meets it: a command that reads or adds to a store
 * never makes one (a mistyped or forgotten SEAMTRACE_DATA_DIR is refused, naming the folder),
 * says on stderr which store it used, and never makes a project it was not asked to make.
 */

const PASSWORD = "correct horse battery staple";
let root: string;
let dataDir: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "seamtrace-cli-store-"));
  dataDir = join(root, "data-in-use");
  await createStore(dataDir);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh, empty working directory: whatever a command creates there is seen. */
function emptyCwd(): string {
  return mkdtempSync(join(root, "cwd-"));
}

describe("a command on a store that does not exist", () => {
  it("users create without SEAMTRACE_DATA_DIR exits 2 naming ./data of the current folder, and creates nothing there", async () => {
    const cwd = emptyCwd();
    const r = await runCli(["users", "create", "--email", "ada@example.com", "--role", "admin", "--password-env", "PW"], {
      dataDir: "",
      cwd,
      env: { SEAMTRACE_DATA_DIR: "", PW: PASSWORD },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no Seamtrace store at ${join(cwd, "data")}`);
    expect(r.stderr).toMatch(/SEAMTRACE_DATA_DIR is not set/);
    expect(r.stdout).toBe("");
    expect(readdirSync(cwd)).toEqual([]);
  });

  it("audit verify on a mistyped folder exits 2 naming it, prints nothing on stdout, and does not create it", async () => {
    const typo = join(root, "data-in-sue");
    const r = await runCli(["audit", "verify"], { dataDir: typo, cwd: emptyCwd() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no Seamtrace store at ${typo} (from SEAMTRACE_DATA_DIR)`);
    expect(r.stdout).toBe("");
    expect(existsSync(typo)).toBe(false);
  });

  it("refuses each store command the same way: keys, users, jobs, audit and export", async () => {
    const typo = join(root, "nowhere");
    const commands = [
      ["keys", "create"],
      ["keys", "list"],
      ["keys", "revoke", "0190aaaa-0000-7000-8000-000000000000"],
      ["users", "list"],
      ["jobs", "run", "rollup"],
      ["jobs", "history"],
      ["audit", "export", "--project", "default"],
      ["export", "corrections"],
      ["export", "golden", "--set", "reviewed"],
    ];
    for (const args of commands) {
      const r = await runCli(args, { dataDir: typo, cwd: emptyCwd() });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toContain(`no Seamtrace store at ${typo}`);
    }
    expect(existsSync(typo)).toBe(false);
  });

  it("a DATABASE_URL file that does not exist is named, and a file that holds no store is refused", async () => {
    const missing = join(root, "missing.db");
    const r = await runCli(["keys", "list"], { dataDir, cwd: emptyCwd(), env: { DATABASE_URL: `file:${missing}` } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no Seamtrace store at ${missing} (from DATABASE_URL)`);
    expect(existsSync(missing)).toBe(false);

    const empty = join(root, "empty.db");
    writeFileSync(empty, "");
    const e = await runCli(["keys", "list"], { dataDir, cwd: emptyCwd(), env: { DATABASE_URL: `file:${empty}` } });
    expect(e.code).toBe(2);
    expect(e.stderr).toContain(`${empty} holds no Seamtrace store`);
  });

  it("without the server's secret, a command that needs it is refused naming SEAMTRACE_SECRET, rather than given a new one", async () => {
    const bare = join(root, "no-secret");
    await createStore(bare);
    rmSync(join(bare, "secret"));
    for (const args of [
      ["keys", "create", "--project", "p", "--create-project"],
      ["audit", "verify"],
      ["jobs", "run", "checkpoint"],
    ]) {
      const r = await runCli(args, { dataDir: bare, cwd: emptyCwd() });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(/SEAMTRACE_SECRET is not set/);
    }
    // Reading needs no secret; nothing above made one.
    const list = await runCli(["keys", "list", "--json"], { dataDir: bare, cwd: emptyCwd() });
    expect(list.code, list.stderr).toBe(0);
    expect(existsSync(join(bare, "secret"))).toBe(false);
  });
});

describe("the store in use", () => {
  it("is named on stderr, so --json output on stdout stays parseable", async () => {
    const r = await runCli(["keys", "list", "--json"], { dataDir, cwd: emptyCwd() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`store: ${join(dataDir, "seamtrace.db")} (SEAMTRACE_DATA_DIR)\n`);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it("says when it is the default ./data", async () => {
    const cwd = emptyCwd();
    await createStore(join(cwd, "data"));
    const r = await runCli(["jobs", "history", "--json"], { dataDir: "", cwd, env: { SEAMTRACE_DATA_DIR: "" } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`store: ${join(cwd, "data", "seamtrace.db")} (default ./data; set SEAMTRACE_DATA_DIR to choose)\n`);
  });
});

describe("--project and --create-project", () => {
  it("keys create and users create refuse a project that does not exist, listing those that do; nothing is created", async () => {
    const made = await runCli(["keys", "create", "--project", "acme", "--create-project", "--json"], { dataDir });
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).toContain('created project "acme"');

    const key = await runCli(["keys", "create", "--project", "acmee"], { dataDir });
    expect(key.code).toBe(1);
    expect(key.stderr).toContain('no project named "acmee" (projects: acme). To create it, add --create-project.');
    expect(key.stdout).toBe("");
    const user = await runCli(["users", "create", "--email", "ada@example.com", "--role", "admin", "--project", "acmee", "--password-env", "PW"], {
      dataDir,
      env: { PW: PASSWORD },
    });
    expect(user.code).toBe(1);
    expect(user.stderr).toContain('no project named "acmee"');

    const keys = JSON.parse((await runCli(["keys", "list", "--json"], { dataDir })).stdout) as Array<{ projectName: string }>;
    expect(keys.map((k) => k.projectName)).toEqual(["acme"]);
    expect(JSON.parse((await runCli(["users", "list", "--json"], { dataDir })).stdout)).toEqual([]);
  });

  it("--create-project makes the project, and uses it as it is when it exists already", async () => {
    const first = await runCli(
      ["users", "create", "--email", "rita@example.com", "--role", "reviewer", "--project", "beta", "--create-project", "--password-env", "PW"],
      {
        dataDir,
        env: { PW: PASSWORD },
      },
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('in project "beta"');
    const again = await runCli(["keys", "create", "--project", "beta", "--create-project", "--json"], { dataDir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain("created project");
    expect(JSON.parse(again.stdout)).toMatchObject({ projectName: "beta" });
  });
});
