import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore, runCli } from "../support/cli.js";

/** `seamtrace jobs …` as a user runs it: its own process, a fresh data folder, judged by exit code and output. */

let dataDir: string;

function cli(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { dataDir, env });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "seamtrace-cli-jobs-"));
  await createStore(dataDir);
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("seamtrace jobs", () => {
  it("jobs list --json names the nine jobs with their schedules", async () => {
    const r = await cli(["jobs", "list", "--json"], { SEAMTRACE_JOB_DRIFT_SCHEDULE: "off" });
    expect(r.code, r.stderr).toBe(0);
    const jobs = JSON.parse(r.stdout) as Array<{ name: string; schedule: string; available: boolean }>;
    expect(jobs.map((j) => j.name)).toEqual([
      "rollup",
      "calibration",
      "escalation",
      "drift",
      "alerts",
      "auto-tighten",
      "recalibrate",
      "retention",
      "checkpoint",
      "otlp-close",
      "review-deadlines",
      "review-judge",
    ]);
    expect(jobs.find((j) => j.name === "rollup")).toMatchObject({ schedule: "*/5 * * * *", available: true });
    expect(jobs.find((j) => j.name === "drift")!.schedule).toBe("off");
  });

  it("jobs run rollup --json runs it now and records the run; jobs history shows it", async () => {
    const r = await cli(["jobs", "run", "rollup", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ job: "rollup", outcome: "ok", rowsRead: 0 });
    const h = await cli(["jobs", "history", "--job", "rollup", "--json"]);
    expect(h.code, h.stderr).toBe(0);
    expect(JSON.parse(h.stdout)).toEqual([expect.objectContaining({ job: "rollup", outcome: "ok", trigger: "manual", actor: "cli" })]);
  });

  it("exits 2 for a job that does not exist, and for a bad schedule, naming the variable", async () => {
    const unknown = await cli(["jobs", "run", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/nope/);
    const bad = await cli(["jobs", "list"], { SEAMTRACE_JOB_ROLLUP_SCHEDULE: "every minute" });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/SEAMTRACE_JOB_ROLLUP_SCHEDULE/);
  });
});
