import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

/**
 * The README's own chaos example, run as a user runs it. Seed 7 injects a hang into match-policy
 * while classify, running beside it, escalates: the run ends before match-policy's timeout cuts
 * the hang, so the step's outcome is recorded after `run()` resolved.
 */
let dir: string;
const repo = resolve(import.meta.dirname, "../..");

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "seamtrace-chaos-readme-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("seamtrace chaos --seed 7 --runs 50 (the README example)", () => {
  for (const concurrency of ["8", "1"]) {
    it(`accounts for every fault at concurrency ${concurrency}, the late match-policy hang included`, async () => {
      const r = await runCli(
        ["chaos", "--workflow", join(repo, "examples/claims/dist/golden.js"), "--seed", "7", "--runs", "50", "--concurrency", concurrency, "--json"],
        {
          dataDir: dir,
          timeoutMs: 60_000,
        },
      );
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as {
        failed: boolean;
        faults: Array<{ run: number; step: string; kind: string; outcome: string; explanation: string }>;
      };
      expect(report.failed).toBe(false);
      const late = report.faults.find((f) => f.run === 46)!;
      expect(late).toMatchObject({ step: "match-policy", kind: "timeout", outcome: "failed" });
      expect(late.explanation).toContain("the run had already stopped (escalated)");
    }, 60_000);
  }
});
