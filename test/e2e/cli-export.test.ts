import { uuidv7, type ErrorBody } from "@seamtrace/sdk";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGoldenSet } from "@seamtrace/golden";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runEnded, runStarted, stepEvent } from "../../server/test-support/events-fixtures.js";
import { call, postBatches } from "../../server/test-support/review-fixtures.js";
import { createTestContext } from "../../server/test-support/testing.js";
import { runCli } from "../support/cli.js";

/**
 * `seamtrace export corrections` in its own process, against a store whose reviews were made
 * through the review API: the CLI writes what `GET /v1/exports/corrections` answers.
 */

let dataDir: string;
const apiExport: Record<string, string> = {};
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "seamtrace-cli-export-"));
  const ctx = await createTestContext({ SEAMTRACE_DATA_DIR: dataDir });
  try {
    const p = await ctx.newProject("acme");
    const reviewer = await ctx.newUser(p.projectId, "reviewer");
    const t0 = Date.now() - 60_000;
    for (const [i, decision] of (["correct", "accept", "reject", "correct"] as const).entries()) {
      const start = runStarted({ time: iso(t0), key: `k-${uuidv7()}`, input: { n: i } });
      const escalationId = uuidv7();
      const step = stepEvent(start.runId, {
        step: i === 3 ? "classify" : "reserve",
        startedAt: iso(t0),
        time: iso(t0 + 10),
        input: { n: i, note: 'a, "b"\nc' },
        output: { amount: 100 * i },
        confidence: 0.4,
        cumulative: 0.4,
        alternatives: [{ amount: 1 }],
        gate: { outcome: "escalate", kinds: ["confidence"], minConfidence: 0.8 },
        escalationId,
      });
      await postBatches(ctx, p.key, [[start, step, runEnded(start.runId, "run.paused", { time: iso(t0 + 11), stepId: step.stepId, escalationId })]]);
      const body = decision === "correct" ? { decision, output: { amount: 7 * i }, reason: "fix" } : { decision, reason: "looked" };
      const res = await call<ErrorBody>(ctx, "POST", `/v1/escalations/${escalationId}/decision`, { cookie: reviewer.cookie }, body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      if (decision !== "reject") {
        const added = await call<ErrorBody>(ctx, "POST", "/v1/golden/cases", { cookie: reviewer.cookie }, { escalationId, set: "reviewed" });
        expect(added.status, JSON.stringify(added.body)).toBe(201);
      }
    }
    const set = await ctx.app.request("/v1/golden/sets/reviewed/cases", { headers: { authorization: `Bearer ${p.key}` } });
    expect(set.status).toBe(200);
    apiExport.golden = await set.text();
    for (const [name, query] of [
      ["default", ""],
      ["all-csv", "format=csv&include=corrections,accepts,rejections"],
      ["chat-reserve", "format=chat&step=reserve&include=corrections,accepts,rejections"],
      ["with-reviews", "include=corrections,reviews"],
    ]) {
      const res = await ctx.app.request(`/v1/exports/corrections?${query}`, { headers: { authorization: `Bearer ${p.key}` } });
      expect(res.status).toBe(200);
      apiExport[name!] = await res.text();
    }
  } finally {
    ctx.close();
  }
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const cli = (args: string[]) => runCli(args, { dataDir });

describe("seamtrace export corrections", () => {
  it("writes the API's export to standard output, in each format and with filters", async () => {
    const jsonl = await cli(["export", "corrections", "--project", "acme"]);
    expect(jsonl.code, jsonl.stderr).toBe(0);
    expect(jsonl.stdout).toBe(apiExport.default);
    expect(jsonl.stdout.trim().split("\n")).toHaveLength(2);

    const csv = await cli(["export", "corrections", "--project", "acme", "--format", "csv", "--include", "corrections,accepts,rejections"]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe(apiExport["all-csv"]);

    const chat = await cli([
      "export",
      "corrections",
      "--project",
      "acme",
      "--format",
      "chat",
      "--step",
      "reserve",
      "--include",
      "corrections,accepts,rejections",
    ]);
    expect(chat.stdout).toBe(apiExport["chat-reserve"]);
    expect(chat.stdout.trim().split("\n")).toHaveLength(2);
  });

  it("--include reviews adds each reviewer's own decision as a row, as the API does", async () => {
    const r = await cli(["export", "corrections", "--project", "acme", "--include", "corrections,reviews"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(apiExport["with-reviews"]);
    const kinds = r.stdout
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { kind: string }).kind);
    // Two corrections, and the four decisions behind the four escalations.
    expect(kinds.filter((k) => k === "review")).toHaveLength(4);
    expect(kinds.filter((k) => k !== "review")).toHaveLength(2);
  });

  it("writes --out to a file readable by its owner only, and records each export", async () => {
    const out = join(dataDir, "corrections.jsonl");
    const res = await cli(["export", "corrections", "--project", "acme", "--out", out]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe("");
    expect(res.stderr).toContain("2 rows written to");
    expect(readFileSync(out, "utf8")).toBe(apiExport.default);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(existsSync(`${out}.partial`)).toBe(false);

    const audit = await cli(["audit", "export", "--project", "acme"]);
    const entries = audit.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { action: string; actor: string; payload: unknown });
    const exports = entries.filter((e) => e.action === "export.corrections");
    // Three API exports in the set-up, and the CLI's of the tests so far.
    expect(exports.length).toBeGreaterThanOrEqual(4);
    expect(exports.at(-1)).toMatchObject({ actor: "system:cli", payload: { format: "jsonl", include: ["corrections"], workflow: null } });
  });

  it("exits 2 for a bad filter or format and 1 for an unknown project, writing nothing", async () => {
    for (const args of [
      ["--from", "yesterday"],
      ["--include", "everything"],
      ["--format", "xml"],
      ["--from", "2026-02-01", "--to", "2026-01-01"],
    ]) {
      const res = await cli(["export", "corrections", "--project", "acme", ...args]);
      expect(res.code, args.join(" ")).toBe(2);
      expect(res.stdout).toBe("");
    }
    const out = join(dataDir, "nope.jsonl");
    const missing = await cli(["export", "corrections", "--project", "nope", "--out", out]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no project named "nope"');
    expect(existsSync(out)).toBe(false);
  });

  it("exits 2 for an --out it cannot write, before anything is exported or audited", async () => {
    const count = async () => {
      const audit = await cli(["audit", "export", "--project", "acme"]);
      return audit.stdout
        .trim()
        .split("\n")
        .filter((l) => (JSON.parse(l) as { action: string }).action === "export.corrections").length;
    };
    const before = await count();
    const res = await cli(["export", "corrections", "--project", "acme", "--out", join(dataDir, "no-such-dir", "x.jsonl")]);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toContain("--out: cannot write");
    expect(res.stderr).not.toContain("Unhandled");
    expect(await count()).toBe(before);
  });
});

describe("seamtrace export golden", () => {
  it("writes a set made from reviews as a golden set file, as the API serves it", async () => {
    const out = join(dataDir, "reviewed.jsonl");
    const res = await cli(["export", "golden", "--project", "acme", "--set", "reviewed", "--out", out]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain("3 cases written to");
    expect(readFileSync(out, "utf8")).toBe(apiExport.golden);
    // The executor's own reader accepts it.
    const cases = [];
    const reader = readGoldenSet(out);
    for (let next = await reader.next(); !next.done; next = await reader.next()) cases.push(next.value);
    expect(cases).toHaveLength(3);
    expect(cases.every((c) => c.tags?.includes("from-review") && Object.keys(c.expected).length === 1)).toBe(true);

    const stdout = await cli(["export", "golden", "--project", "acme", "--set", "reviewed"]);
    expect(stdout.stdout).toBe(apiExport.golden);
  });

  it("exits 1 for a set or project that does not exist and 2 for a bad set name", async () => {
    expect((await cli(["export", "golden", "--project", "acme", "--set", "nothing"])).code).toBe(1);
    expect((await cli(["export", "golden", "--project", "nope", "--set", "reviewed"])).code).toBe(1);
    expect((await cli(["export", "golden", "--project", "acme", "--set", "../x"])).code).toBe(2);
    expect((await cli(["export", "golden", "--project", "acme"])).code).toBe(2);
  });
});
