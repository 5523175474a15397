import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../support/cli.js";
import { cliPath, spawnServer, type SpawnedServer } from "../support/server.js";

/**
 * `seamtrace users create|list` as an operator runs them: the CLI in its own process, configured
 * by the environment only, the password given on stdin, in an environment variable or typed at
 * a prompt (never as an argument), judged by exit code, stdout and stderr; then the user signs
 * in to a server started on the same data folder.
 */

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const PASSWORD = "correct horse battery staple";
const OTHER_PASSWORD = "a different long passphrase";

let dataDir: string;
let cwd: string;

function cli(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [cliPath, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? "", SEAMTRACE_DATA_DIR: dataDir, ...opts.env },
      stdio: [opts.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    proc.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    if (opts.stdin !== undefined) proc.stdin!.end(opts.stdin);
    const timer = setTimeout(() => proc.kill("SIGKILL"), 120_000);
    proc.once("error", reject);
    proc.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), answering each prompt in `answers`
 * once it appears. Returns everything the terminal showed: what a person at it would see.
 */
function cliOnTerminal(args: string[], answers: Array<[prompt: string, typed: string]>): Promise<{ code: number | null; screen: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, cliPath, ...args].map(quote).join(" ");
  return new Promise((resolve, reject) => {
    const proc = spawn("script", ["-qfec", command, "/dev/null"], {
      cwd,
      env: { PATH: process.env.PATH ?? "", SEAMTRACE_DATA_DIR: dataDir },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let screen = "";
    let next = 0;
    let seen = 0;
    const onOutput = (d: Buffer) => {
      screen += d.toString();
      // Each answer is typed only once its prompt is on screen, after the previous answer.
      const at = next < answers.length ? screen.indexOf(answers[next]![0], seen) : -1;
      if (at >= 0) {
        seen = at + answers[next]![0].length;
        proc.stdin.write(answers[next]![1] + "\r");
        next++;
      }
    };
    proc.stdout.on("data", onOutput);
    proc.stderr.on("data", onOutput);
    const timer = setTimeout(() => proc.kill("SIGKILL"), 120_000);
    proc.once("error", reject);
    proc.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

const hasScript = spawnSync("script", ["--version"]).status === 0;

interface UserRow {
  id: string;
  email: string;
  name: string;
  role: string;
  projectId: string;
  projectName: string;
  createdAt: number;
  disabledAt: number | null;
}

describe("seamtrace users", () => {
  let server: SpawnedServer | undefined;
  let admin: UserRow;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "seamtrace-cli-users-data-"));
    cwd = mkdtempSync(join(tmpdir(), "seamtrace-cli-users-cwd-"));
    await createStore(dataDir);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  });

  describe("create", () => {
    it("--password-stdin --json creates the user and prints them, never the password or its hash", async () => {
      const r = await cli(
        [
          "users",
          "create",
          "--email",
          "Ada@Example.com",
          "--role",
          "admin",
          "--project",
          "acme",
          "--create-project",
          "--name",
          "Ada",
          "--password-stdin",
          "--json",
        ],
        {
          stdin: PASSWORD + "\n",
        },
      );
      expect(r.code, r.stderr).toBe(0);
      admin = JSON.parse(r.stdout) as UserRow;
      expect(admin).toMatchObject({ email: "ada@example.com", name: "Ada", role: "admin", projectName: "acme", disabledAt: null });
      expect(admin.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.stdout + r.stderr).not.toContain(PASSWORD);
      expect(r.stdout).not.toMatch(/scrypt|passwordHash/i);
    });

    it("--password-env reads the password from the named variable", async () => {
      const r = await cli(["users", "create", "--email", "rita@example.com", "--role", "reviewer", "--project", "acme", "--password-env", "RITA_PW"], {
        env: { RITA_PW: OTHER_PASSWORD },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Created reviewer rita@example\.com \([0-9a-f-]{36}\) in project "acme"\.\n$/);
      expect(r.stdout + r.stderr).not.toContain(OTHER_PASSWORD);
    });

    it.skipIf(!hasScript)("on a terminal, prompts twice without echoing what is typed", async () => {
      const typed = "typed at the prompt, unseen";
      const r = await cliOnTerminal(
        ["users", "create", "--email", "ana@example.com", "--role", "analyst", "--project", "acme", "--json"],
        [
          ["Password: ", typed],
          ["Repeat password: ", typed],
        ],
      );
      expect(r.code, r.screen).toBe(0);
      expect(r.screen).toContain("Password: ");
      expect(r.screen).toContain("Repeat password: ");
      expect(r.screen).not.toContain(typed);
      expect(r.screen).toContain('"email": "ana@example.com"');
    });

    it.skipIf(!hasScript)("on a terminal, exits 2 and creates nobody when the two passwords differ", async () => {
      const r = await cliOnTerminal(
        ["users", "create", "--email", "mismatch@example.com", "--role", "analyst"],
        [
          ["Password: ", PASSWORD],
          ["Repeat password: ", PASSWORD + "!"],
        ],
      );
      expect(r.code, r.screen).toBe(2);
      expect(r.screen).toMatch(/do not match/);
      const list = JSON.parse((await cli(["users", "list", "--json"])).stdout) as UserRow[];
      expect(list.map((u) => u.email)).not.toContain("mismatch@example.com");
    });

    it("refuses a password given as an argument (exit 2), without repeating it", async () => {
      const secret = "hunter2hunter2hunter2";
      for (const args of [["--password", secret], [secret]]) {
        const r = await cli(["users", "create", "--email", "argv@example.com", "--role", "admin", ...args]);
        expect(r.code, args.join(" ")).toBe(2);
        expect(r.stdout + r.stderr).not.toContain(secret);
      }
    });

    it("exits 2 naming the options when no password source is given and stdin is not a terminal", async () => {
      const r = await cli(["users", "create", "--email", "nopw@example.com", "--role", "admin"], { stdin: "" });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--password-stdin/);
      expect(r.stderr).toMatch(/--password-env/);
    });

    it("exits 2 for a password under 12 characters, an unset --password-env variable, both sources at once, a bad role, a bad email", async () => {
      const cases: Array<[string, Promise<CliResult>, RegExp]> = [
        ["short", cli(["users", "create", "--email", "short@example.com", "--role", "admin", "--password-stdin"], { stdin: "elevenchars" }), /at least 12/],
        ["unset env", cli(["users", "create", "--email", "env@example.com", "--role", "admin", "--password-env", "NOT_SET_ANYWHERE"]), /NOT_SET_ANYWHERE/],
        [
          "both",
          cli(["users", "create", "--email", "both@example.com", "--role", "admin", "--password-stdin", "--password-env", "X"], {
            stdin: PASSWORD,
            env: { X: PASSWORD },
          }),
          /cannot be used with/,
        ],
        [
          "role",
          cli(["users", "create", "--email", "role@example.com", "--role", "owner", "--password-stdin"], { stdin: PASSWORD }),
          /admin, lead, reviewer, analyst/,
        ],
        ["email", cli(["users", "create", "--email", "not-an-address", "--role", "admin", "--password-stdin"], { stdin: PASSWORD }), /not an email address/],
        ["no email", cli(["users", "create", "--role", "admin", "--password-stdin"], { stdin: PASSWORD }), /--email/],
      ];
      for (const [label, pending, message] of cases) {
        const r = await pending;
        expect(r.code, `${label}: ${r.stderr}`).toBe(2);
        expect(r.stderr, label).toMatch(message);
        expect(r.stdout, label).toBe("");
      }
      const emails = (JSON.parse((await cli(["users", "list", "--json"])).stdout) as UserRow[]).map((u) => u.email);
      for (const e of ["short@example.com", "env@example.com", "both@example.com", "role@example.com"]) expect(emails).not.toContain(e);
    });

    it("exits 1 when the email already has an account, in any case", async () => {
      const r = await cli(["users", "create", "--email", "ADA@example.com", "--role", "analyst", "--password-stdin"], { stdin: PASSWORD });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/already exists/);
    });
  });

  describe("list", () => {
    it("--json lists every user with their project name, never a password hash", async () => {
      const r = await cli(["users", "list", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/scrypt|passwordHash/i);
      const rows = JSON.parse(r.stdout) as UserRow[];
      expect(rows.map((u) => [u.email, u.role, u.projectName])).toEqual([
        ["ada@example.com", "admin", "acme"],
        ["rita@example.com", "reviewer", "acme"],
        ...(hasScript ? [["ana@example.com", "analyst", "acme"]] : []),
      ]);
      expect(rows[0]).toEqual(admin);
    });

    it("prints a table with aligned columns and each user's status", async () => {
      const r = await cli(["users", "list"]);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trimEnd().split("\n");
      expect(lines[0]!.split(/\s+/)).toEqual(["ID", "PROJECT", "EMAIL", "ROLE", "CREATED", "STATUS", "NAME"]);
      const ada = lines.find((l) => l.includes("ada@example.com"))!;
      expect(ada.split(/\s+/).slice(0, 6)).toEqual([admin.id, "acme", "ada@example.com", "admin", new Date(admin.createdAt).toISOString(), "active"]);
      expect(ada.indexOf("admin ")).toBe(lines[0]!.indexOf("ROLE"));
      expect(ada.indexOf("active")).toBe(lines[0]!.indexOf("STATUS"));
      expect(ada.trimEnd().endsWith("Ada")).toBe(true);
    });

    it("--project shows only that project's users, and exits 1 for a project that does not exist", async () => {
      const created = await cli(
        ["users", "create", "--email", "solo@example.com", "--role", "analyst", "--project", "other", "--create-project", "--password-stdin"],
        { stdin: PASSWORD },
      );
      expect(created.code, created.stderr).toBe(0);
      const only = JSON.parse((await cli(["users", "list", "--project", "other", "--json"])).stdout) as UserRow[];
      expect(only.map((u) => u.email)).toEqual(["solo@example.com"]);

      const missing = await cli(["users", "list", "--project", "nowhere"]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/no project named "nowhere"/);
    });

    it("--help lists users create and users list", async () => {
      const top = await cli(["--help"]);
      expect(top.stdout).toMatch(/^\s+users\b/m);
      const users = await cli(["users", "--help"]);
      expect(users.code).toBe(0);
      expect(users.stdout).toMatch(/^\s+create\b/m);
      expect(users.stdout).toMatch(/^\s+list\b/m);
    });
  });

  describe("the created users sign in", () => {
    const login = (email: string, password: string) =>
      fetch(`${server!.url}/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }) });

    it("a server on the same data folder signs the user in with the password from stdin, and /v1/auth/me knows them", async () => {
      server = await spawnServer({ dataDir });
      const res = await login("ada@example.com", PASSWORD);
      expect(res.status).toBe(200);
      const cookie = /^(st_session=[^;]+)/.exec(res.headers.get("set-cookie") ?? "")?.[1];
      expect(cookie).toBeTruthy();
      const me = await fetch(`${server.url}/v1/auth/me`, { headers: { cookie: cookie! } });
      expect(me.status).toBe(200);
      expect(await me.json()).toEqual({ user: { id: admin.id, email: "ada@example.com", name: "Ada", role: "admin", projectId: admin.projectId } });
    });

    it("the password from --password-env works, and no other password does", async () => {
      expect((await login("rita@example.com", OTHER_PASSWORD)).status).toBe(200);
      expect((await login("rita@example.com", PASSWORD)).status).toBe(401);
    });

    it.skipIf(!hasScript)("the password typed at the prompt works", async () => {
      expect((await login("ana@example.com", "typed at the prompt, unseen")).status).toBe(200);
    });
  });
});
