import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, spawnServer, type SpawnedServer } from "../support/server.js";

const run = promisify(execFile);

/** The README promises its example works as pasted: run exactly that block. */
function quickstartBlock(): string {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const section = /<!-- quickstart:start -->\s*```js\n([\s\S]*?)```\s*<!-- quickstart:end -->/.exec(readme);
  if (!section) throw new Error("README has no quickstart block between the markers");
  return section[1]!;
}

describe("README quickstart", () => {
  let server: SpawnedServer;
  beforeAll(async () => {
    server = await spawnServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("prints the default project's API key once, on the first start only", async () => {
    expect(server.apiKey).toMatch(/^st_[0-9A-Za-z]{38}$/);
    // A second server on the same data folder (its own ephemeral port) finds the project there.
    const again = await spawnServer({ dataDir: server.dataDir });
    try {
      expect(again.output()).toMatch(/listening on/);
      expect(again.output()).not.toMatch(/SEAMTRACE_API_KEY=/);
    } finally {
      await again.stop();
    }
  });

  it("runs the README's SDK example as pasted and stores the run with its lineage", async () => {
    // The block is run as pasted; the test server's ephemeral port comes in as SEAMTRACE_ENDPOINT.
    const code = quickstartBlock();
    const dir = join(repoRoot, ".tmp");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `hello-${process.pid}.mjs`);
    writeFileSync(file, code);
    try {
      const { stdout } = await run(process.execPath, [file], {
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? "", SEAMTRACE_API_KEY: server.apiKey, SEAMTRACE_ENDPOINT: server.url },
        timeout: 120_000,
      });
      const runId = /^completed (\S+) 1200$/m.exec(stdout)?.[1];
      expect(runId, stdout).toBeDefined();
      expect(stdout).toMatch(/^seamtrace \{\s+delivered: 6,\s+undelivered: 0,/m);

      const res = await fetch(`${server.url}/v1/runs/${runId}`, { headers: { authorization: `Bearer ${server.apiKey}` } });
      expect(res.status).toBe(200);
      const detail = (await res.json()) as {
        run: { status: string };
        steps: Array<{ name: string; cumulative: number; parents: string[]; id: string; stale: boolean; source: string }>;
        edges: Array<{ from: string; to: string }>;
      };
      expect(detail.run.status).toBe("completed");
      const byName = Object.fromEntries(detail.steps.map((s) => [s.name, s]));
      expect(Object.keys(byName).sort()).toEqual(["classify", "extract", "match-policy", "reserve"]);
      expect(byName.reserve!.cumulative).toBeCloseTo(0.9 * 0.88 * 1 * 0.94, 10);
      expect(byName["match-policy"]!).toMatchObject({ source: "direct", stale: false });
      expect(byName.reserve!.parents.sort()).toEqual([byName.classify!.id, byName["match-policy"]!.id].sort());
      expect(detail.edges).toHaveLength(4);

      // Run again: the same key makes it the same run, replayed from what the server recorded.
      const again = await run(process.execPath, [file], {
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? "", SEAMTRACE_API_KEY: server.apiKey, SEAMTRACE_ENDPOINT: server.url },
        timeout: 120_000,
      });
      expect(again.stdout).toMatch(new RegExp(`^completed ${runId} 1200$`, "m"));
      const after = (await (await fetch(`${server.url}/v1/runs/${runId}`, { headers: { authorization: `Bearer ${server.apiKey}` } })).json()) as typeof detail;
      expect(after.steps.map((s) => s.id).sort()).toEqual(detail.steps.map((s) => s.id).sort());
    } finally {
      rmSync(file, { force: true });
    }
  });
});
