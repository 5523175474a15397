import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GoldenResultDetail, GoldenResultsResponse } from "../../server/src/modules/golden/contract.js";
import type { RunListResponse } from "../../server/src/modules/runs/contract.js";
import { runCli } from "../support/cli.js";
import { spawnServer, type SpawnedServer } from "../support/server.js";

/** `seamtrace golden run --server` as CI runs it: the run's own outcome, then the result sent to a real server. */

let dir: string;
let server: SpawnedServer;

const toy = (version: string, bad: boolean) => `
export function createGoldenWorkflow(st) {
  const wf = st.workflow("toy", { version: ${JSON.stringify(version)} });
  return {
    run: (input) => wf.run({ input }, async (run) => {
      const d = await run.step("double", { input }, () => ({ value: input * 2, confidence: 0.99 }));
      const l = await run.step("label", { from: [d] }, () => ({ value: ${bad} && input % 3 === 0 ? "odd" : d.value % 4 === 0 ? "four" : "two", confidence: 0.9 }));
      return l.value;
    }),
  };
}
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "seamtrace-cli-golden-results-"));
  writeFileSync(join(dir, "v1.mjs"), toy("1", false));
  writeFileSync(join(dir, "v2.mjs"), toy("2", true));
  const lines = Array.from({ length: 9 }, (_, i) =>
    JSON.stringify({ id: `n${i + 1}`, input: i + 1, expected: { double: (i + 1) * 2, label: ((i + 1) * 2) % 4 === 0 ? "four" : "two" } }),
  );
  writeFileSync(join(dir, "toy.jsonl"), lines.join("\n") + "\n");
  server = await spawnServer();
});
afterAll(async () => {
  await server?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { dataDir: dir, cwd: dir, env, timeoutMs: 60_000 });

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.apiKey}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("seamtrace golden run --server", () => {
  it("sends the result after the run, and the server lists it and returns it whole", async () => {
    const stored = await cli([
      "golden",
      "run",
      "toy.jsonl",
      "--workflow",
      "v1.mjs",
      "--update-baseline",
      "--json",
      "--server",
      server.url,
      "--api-key",
      server.apiKey,
    ]);
    expect(stored.code, stored.stderr).toBe(0);
    const report = JSON.parse(stored.stdout) as { setVersion: string; summary: unknown; sent: { id: string; server: string } };
    expect(report.sent).toEqual({ server: server.url, id: expect.any(String) });

    const detail = await api<GoldenResultDetail>(`/v1/golden/results/${report.sent.id}`);
    expect(detail).toMatchObject({
      set: "toy",
      setVersion: report.setVersion,
      workflow: "toy",
      version: "1",
      regressions: [],
      baselineVersion: null,
      actor: expect.stringMatching(/^sdk:/),
    });
    expect(detail.summary).toEqual(report.summary);
    expect(Date.parse(detail.finishedAt)).toBeGreaterThanOrEqual(Date.parse(detail.startedAt));
  });

  it("sends a regressing run too (from SEAMTRACE_ENDPOINT / SEAMTRACE_API_KEY), exits 1 naming the step, and the list shows it first", async () => {
    const env = { SEAMTRACE_ENDPOINT: server.url, SEAMTRACE_API_KEY: server.apiKey };
    expect((await cli(["golden", "run", "toy.jsonl", "--workflow", "v1.mjs", "--update-baseline"], env)).code).toBe(0);
    const worse = await cli(["golden", "run", "toy.jsonl", "--workflow", "v2.mjs"], env);
    expect(worse.code).toBe(1);
    expect(worse.stderr).toContain('regression in step "label"');
    expect(worse.stderr).not.toContain("not sent");
    expect(worse.stderr).not.toContain("warning");
    expect(worse.stdout).toMatch(/result \S+ sent to http:\/\/127\.0\.0\.1/);
    expect(worse.stdout).toContain("9 runs sent");
    // Each case's run is stored under the result, and its page links the newly failing cases to them.
    const id = /result (\S+) sent to/.exec(worse.stdout)![1]!;
    const detail = await api<GoldenResultDetail>(`/v1/golden/results/${id}`);
    expect(detail.comparison?.changes.map((c) => [c.case, c.change])).toEqual([
      ["n3", "new-failure"],
      ["n6", "new-failure"],
      ["n9", "new-failure"],
    ]);
    expect(Object.keys(detail.caseRuns)).toEqual(["n3", "n6", "n9"]);
    const runs = await api<RunListResponse>(`/v1/runs?goldenResult=${id}`);
    expect(runs.items).toHaveLength(9);

    // The variable the golden commands read before still works, and says what replaced it.
    const legacy = await cli(["golden", "run", "toy.jsonl", "--workflow", "v1.mjs"], { SEAMTRACE_URL: server.url, SEAMTRACE_API_KEY: server.apiKey });
    expect(legacy.code, legacy.stderr).toBe(0);
    expect(legacy.stderr).toContain("warning: SEAMTRACE_URL is deprecated");
    expect(legacy.stdout).toMatch(/result \S+ sent to http:\/\/127\.0\.0\.1/);

    const list = await api<GoldenResultsResponse>("/v1/golden/results?workflow=toy");
    expect(list.items.map((r) => r.version).slice(0, 3)).toEqual(["1", "2", "1"]);
    expect(list.items[1]).toMatchObject({ set: "toy", cases: 9, regressions: 1, baselineVersion: "1" });
  });

  it("reports a result the server refused or could not take, exit 1, without hiding the run's own outcome", async () => {
    expect((await cli(["golden", "run", "toy.jsonl", "--workflow", "v1.mjs", "--update-baseline"])).code).toBe(0);
    const refused = await cli(["golden", "run", "toy.jsonl", "--workflow", "v1.mjs", "--json", "--server", server.url, "--api-key", "st_not_a_key"]);
    expect(refused.code).toBe(1);
    const report = JSON.parse(refused.stdout) as { regressions: unknown[]; baseline: { state: string }; sent: { error: string } };
    expect(report.regressions).toEqual([]);
    expect(report.baseline.state).toBe("compared");
    expect(report.sent.error).toMatch(/answered 401/);
    expect(refused.stderr).toMatch(/the result was not sent: .*401/);
    expect(refused.stderr).toMatch(/the runs were not all sent: (\d+) of \1 events of 9 runs did not reach \S+ \(http_401 \1/);

    const port = await closedPort();
    const down = await cli(["golden", "run", "toy.jsonl", "--workflow", "v2.mjs", "--server", `http://127.0.0.1:${port}`, "--api-key", server.apiKey]);
    expect(down.code).toBe(1);
    expect(down.stdout).toContain("label");
    expect(down.stderr).toContain('regression in step "label"');
    expect(down.stderr).toMatch(/the result was not sent: http:\/\/127\.0\.0\.1:\d+ could not be reached/);
    expect(down.stderr).toContain("the runs were not all sent");

    const usage = await cli(["golden", "run", "toy.jsonl", "--workflow", "v1.mjs", "--server", server.url]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--server needs --api-key");
  });
});
