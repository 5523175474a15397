import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "./cli.js";
import { serverFromEnv } from "./server-env.js";

describe("the server named by the environment", () => {
  it("is SEAMTRACE_ENDPOINT, the SDK's variable; SEAMTRACE_URL only when it is unset, with a warning", () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    expect(serverFromEnv({ SEAMTRACE_ENDPOINT: "http://a:1", SEAMTRACE_URL: "http://b:2" }, warn)).toBe("http://a:1");
    expect(warnings).toEqual([]);
    expect(serverFromEnv({ SEAMTRACE_URL: "http://b:2" }, warn)).toBe("http://b:2");
    expect(warnings).toEqual(["SEAMTRACE_URL is deprecated and will stop working: set SEAMTRACE_ENDPOINT instead (the SDK reads it too)"]);
    expect(serverFromEnv({ SEAMTRACE_ENDPOINT: "", SEAMTRACE_URL: "" }, warn)).toBeUndefined();
    expect(serverFromEnv({}, warn)).toBeUndefined();
  });
});

describe("seamtrace-golden run without --server", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "golden-server-env-"));
    writeFileSync(join(dir, "set.jsonl"), `${JSON.stringify({ id: "a", input: 1, expected: { one: 1 } })}\n`);
    writeFileSync(
      join(dir, "wf.mjs"),
      `export function createGoldenWorkflow(st) {
        const wf = st.workflow("env-toy", { version: "1" });
        return { run: (input) => wf.run({ input }, async (run) => (await run.step("one", {}, () => ({ value: input, confidence: 0.9 }))).value) };
      }\n`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function cli(env: Record<string, string>) {
    let stdout = "";
    let stderr = "";
    const sink = (append: (s: string) => void) => new Writable({ write: (chunk, _enc, done) => (append(String(chunk)), done()) });
    const code = await main(["run", join(dir, "set.jsonl"), "--workflow", join(dir, "wf.mjs"), "--no-progress", "--baseline", join(dir, "none.json")], {
      stdout: sink((s) => (stdout += s)) as unknown as typeof process.stdout,
      stderr: sink((s) => (stderr += s)) as unknown as typeof process.stderr,
      env,
    });
    return { code, stdout, stderr };
  }

  it("sends to SEAMTRACE_ENDPOINT (which then needs a key), and to SEAMTRACE_URL with a deprecation warning", async () => {
    const endpoint = await cli({ SEAMTRACE_ENDPOINT: "http://127.0.0.1:9" });
    expect(endpoint.code).toBe(2);
    expect(endpoint.stderr).toContain("--server needs --api-key");
    expect(endpoint.stderr).not.toContain("deprecated");
    const legacy = await cli({ SEAMTRACE_URL: "http://127.0.0.1:9" });
    expect(legacy.code).toBe(2);
    expect(legacy.stderr).toContain("warning: SEAMTRACE_URL is deprecated");
    expect(legacy.stderr).toContain("--server needs --api-key");
  });

  it("runs locally when neither is set", async () => {
    const local = await cli({});
    expect(local.code, local.stderr).toBe(0);
    expect(local.stderr).toBe("");
  });
});
