import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { spawnServer } from "../support/server.js";

/**
 * A first start on a port that is taken: it says which port and how to pick another, and the
 * project and key it would have printed are made by the next start, which prints them.
 */

let dataDir: string;
let squatter: Server;
let port: number;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "seamtrace-cli-port-"));
  squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
  port = (squatter.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => squatter.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
});

describe("seamtrace serve on a port in use", () => {
  it("exits 1 naming the port and how to change it, having made no project or key", async () => {
    const r = await runCli(["serve"], { dataDir, env: { PORT: String(port), HOST: "127.0.0.1" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
    expect(r.stderr).toContain(`PORT=${port + 1} npm start`);
    expect(r.stdout).not.toMatch(/SEAMTRACE_API_KEY=/);
    const keys = await runCli(["keys", "list", "--json"], { dataDir });
    expect(keys.code, keys.stderr).toBe(0);
    expect(JSON.parse(keys.stdout)).toEqual([]);
  });

  it("the next start, on a free port, makes the default project and prints its key", async () => {
    const server = await spawnServer({ dataDir, timeoutMs: 120_000 });
    try {
      // spawnServer returns at the listening line when given a data folder; the key line follows it.
      const deadline = Date.now() + 120_000;
      while (!/SEAMTRACE_API_KEY=st_/.test(server.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(server.output()).toMatch(/Created project "default"/);
      const key = /SEAMTRACE_API_KEY=(st_\w+)/.exec(server.output())?.[1];
      expect(key).toBeTruthy();
      const res = await fetch(`${server.url}/v1/runs`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
