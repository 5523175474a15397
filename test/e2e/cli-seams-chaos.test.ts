import { Seamtrace } from "@seamtrace/sdk";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { spawnServer, type SpawnedServer } from "../support/server.js";

/** `seamtrace seams` and `seamtrace chaos` as a user runs them: own process, exit code, output. */

let dir: string;
const repo = resolve(import.meta.dirname, "../..");
const claimsModule = join(repo, "examples/claims/dist/golden.js");

// parse → total in plain JS. `total` needs parse's amount as a number (its seam contract, a
// hand-written Standard Schema so the module needs no imports). The bad version hands the amount
// on as text for inputs over 4; the swallowing version has no gate and defaults bad input to 0.
const toySource = (variant: "good" | "bad") => `
const amountIsNumber = { "~standard": { version: 1, vendor: "toy", validate: (v) =>
  typeof v?.amount === "number" ? { value: v } : { issues: [{ message: "amount must be a number", path: ["amount"] }] } } };
export const seams = { total: { parse: amountIsNumber } };
export function toyRun(wf, input) {
  return wf.run({ input }, async (run) => {
    const p = await run.step("parse", () => ({ value: { amount: ${variant === "bad"} && input > 4 ? String(input) : input }, confidence: 0.9 }));
    const amount = p.value?.amount;
    const t = await run.step("total", { from: [p] }, () => ({ value: typeof amount === "number" ? amount * 2 : 0, confidence: 0.99 }));
    return t.value;
  });
}
export function createGoldenWorkflow(st) {
  const wf = st.workflow("toy", { version: ${JSON.stringify(variant)} });
  return { run: (input) => toyRun(wf, input) };
}
export function sampleInputs(count) { return Array.from({ length: count }, (_, i) => i + 1); }
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "seamtrace-cli-seams-"));
  writeFileSync(join(dir, "good.mjs"), toySource("good"));
  writeFileSync(join(dir, "bad.mjs"), toySource("bad"));
  const lines = Array.from({ length: 8 }, (_, i) => JSON.stringify({ id: `n${i + 1}`, input: i + 1, expected: { total: (i + 1) * 2 } }));
  writeFileSync(join(dir, "toy.jsonl"), lines.join("\n") + "\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[], env?: Record<string, string>) => runCli(args, { dataDir: dir, cwd: dir, timeoutMs: 180_000, ...(env && { env }) });

describe("seamtrace seams", () => {
  it("passes compatible handoffs and fails (exit 1) naming the handoff, the path and the message", async () => {
    // The SDK's endpoint in the environment does not make a second source next to --set.
    const good = await cli(["seams", "--workflow", "good.mjs", "--set", "toy.jsonl"], { SEAMTRACE_ENDPOINT: "http://127.0.0.1:9" });
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/parse → total\s*│ checked\s*│ 8\s*│ 8\s*│ 0/);

    const bad = await cli(["seams", "--workflow", "bad.mjs", "--set", "toy.jsonl", "--json"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("seam contract violated at parse → total (4)");
    const report = JSON.parse(bad.stdout) as {
      handoffs: Array<{ violations: number; examples: Array<{ issues: Array<{ path: string[]; message: string }> }> }>;
    };
    expect(report.handoffs[0]!.violations).toBe(4);
    expect(report.handoffs[0]!.examples[0]!.issues[0]).toEqual({ path: ["amount"], message: "amount must be a number" });
  });

  it("checks the claims workflow's handoffs on its committed golden set", async () => {
    const r = await cli(["seams", "--workflow", claimsModule, "--set", join(repo, "golden/sets/claims.jsonl"), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { runs: number; violations: number; handoffs: Array<{ state: string }> };
    expect(report).toMatchObject({ runs: 320, violations: 0 });
    expect(report.handoffs.map((h) => h.state)).toEqual(["checked", "checked", "checked", "checked", "checked"]);
  });

  it("exits 2 without exactly one source, and without an API key for --server", async () => {
    const [none, both, noKey] = await Promise.all([
      cli(["seams", "--workflow", "good.mjs"]),
      cli(["seams", "--workflow", "good.mjs", "--set", "toy.jsonl", "--server", "http://127.0.0.1:9"]),
      cli(["seams", "--workflow", "good.mjs", "--server", "http://127.0.0.1:9"]),
    ]);
    expect(none.code).toBe(2);
    expect(both.code).toBe(2);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("API key");
  });

  describe("reading the runs a server recorded", () => {
    let server: SpawnedServer;
    beforeAll(async () => {
      server = await spawnServer();
      const st = new Seamtrace({ endpoint: server.url, apiKey: server.apiKey });
      const mod = (await import(join(dir, "bad.mjs"))) as { toyRun(wf: unknown, input: number): Promise<unknown> };
      const wf = st.workflow("toy", { version: "bad" });
      for (let i = 1; i <= 6; i++) await mod.toyRun(wf, i);
      const flushed = await st.shutdown({ timeoutMs: 10_000 });
      expect(flushed).toMatchObject({ undelivered: 0, timedOut: false });
    });
    afterAll(() => server?.dispose());

    it("finds the incompatible outputs among the server's runs (exit 1), and refuses a wrong key (exit 2)", async () => {
      const r = await cli(["seams", "--workflow", "bad.mjs", "--server", server.url, "--name", "toy", "--json"], { SEAMTRACE_API_KEY: server.apiKey });
      expect(r.code, r.stderr).toBe(1);
      const report = JSON.parse(r.stdout) as { runs: number; handoffs: Array<{ upstream: string; downstream: string; observed: number; violations: number }> };
      expect(report.runs).toBe(6);
      expect(report.handoffs[0]).toMatchObject({ upstream: "parse", downstream: "total", observed: 6, violations: 2 });

      const wrong = await cli(["seams", "--workflow", "bad.mjs", "--server", server.url, "--api-key", "st_wrong"]);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toContain("401");
    });

    it("reads the server SEAMTRACE_ENDPOINT names when no source is given (SEAMTRACE_URL with a warning)", async () => {
      for (const variable of ["SEAMTRACE_ENDPOINT", "SEAMTRACE_URL"]) {
        const r = await cli(["seams", "--workflow", "bad.mjs", "--name", "toy", "--json"], { [variable]: server.url, SEAMTRACE_API_KEY: server.apiKey });
        expect(r.code, r.stderr).toBe(1);
        expect((JSON.parse(r.stdout) as { runs: number }).runs).toBe(6);
        expect(r.stderr.includes("warning: SEAMTRACE_URL is deprecated"), variable).toBe(variable === "SEAMTRACE_URL");
      }
    });
  });
});

describe("seamtrace chaos", () => {
  it("accounts for every fault injected into the claims workflow, the same ones for the same seed", async () => {
    const args = ["chaos", "--workflow", claimsModule, "--seed", "11", "--runs", "24", "--json"];
    const [a, b] = await Promise.all([cli(args), cli(args)]);
    expect(a.code, a.stderr).toBe(0);
    const ra = JSON.parse(a.stdout) as { failed: boolean; faults: Array<{ run: number; step: string; kind: string; detail: string; accounted: boolean }> };
    const rb = JSON.parse(b.stdout) as typeof ra;
    expect(ra.failed).toBe(false);
    expect(ra.faults.length).toBeGreaterThan(5);
    expect(ra.faults.every((f) => f.accounted)).toBe(true);
    const plan = (r: typeof ra) => r.faults.map((f) => [f.run, f.step, f.kind, f.detail]);
    expect(plan(rb)).toEqual(plan(ra));
  });

  it("exits 1 and names the leak when a step swallows a fault and passes a default on", async () => {
    const r = await cli(["chaos", "--workflow", "good.mjs", "--seed", "3", "--runs", "30", "--faults", "malformed,low-confidence"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/faults? not accounted for: .*run \d+ (malformed|low-confidence) at "parse": leaked \(reached total\)/);
    expect(r.stdout).toContain("✗ leaked");
  });

  it("takes its inputs from a golden set, and passes a workflow whose only faults are thrown errors", async () => {
    const r = await cli(["chaos", "--workflow", "good.mjs", "--set", "toy.jsonl", "--seed", "4", "--runs", "16", "--faults", "throw", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { runs: number; faults: Array<{ outcome: string }> };
    expect(report.runs).toBe(16);
    expect(report.faults.length).toBeGreaterThan(0);
    expect(report.faults.every((f) => f.outcome === "failed")).toBe(true);
  });

  it("exits 2 for an unknown fault kind", async () => {
    const r = await cli(["chaos", "--workflow", "good.mjs", "--seed", "1", "--faults", "meteor"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown kind meteor");
  });
});
