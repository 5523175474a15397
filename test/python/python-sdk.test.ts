import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/server.js";

// The Python SDK's own suite (sdk-python/tests, unittest), run from `npm test`: it starts real
// servers from server/dist, which `npm test` builds first. PYTHON picks the interpreter.
describe("the Python SDK", () => {
  it("passes its test suite against a real server", () => {
    const res = spawnSync(join(repoRoot, "sdk-python/run-tests.sh"), [], {
      cwd: repoRoot,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
      encoding: "utf8",
      timeout: 900_000,
    });
    const output = `${res.stdout ?? ""}${res.stderr ?? ""}`;
    // unittest ends with "OK" or "FAILED (...)"; the whole log is shown when it fails.
    expect(res.error, output).toBeUndefined();
    expect(res.status, output).toBe(0);
    expect(output).toMatch(/Ran \d+ tests? in/);
    expect(output).not.toMatch(/Ran 0 tests/);
  }, 900_000);
});
