import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "../support/cli.js";
import { openStore } from "../../server/src/platform/db/client.js";
import { getProjectByName } from "../../server/src/modules/auth/projects-store.js";
import { getRunState, listResumable } from "../../server/src/modules/runs/run-state-store.js";

/**
 * A reduced `seamtrace demo` (4 days × 60 claims) as a user runs it: its own process, a fresh
 * data folder, judged by its --json report, the files it leaves, and what the store then holds
 * (read back through other commands).
 */
interface Report {
  days: Array<{ version: string; shift: number; runs: number; escalatedRuns: number; escalationRate: number; decisions: number }>;
  before: { version: string; runs: number; escalationRate: number };
  after: { version: string; runs: number; escalationRate: number };
  thresholdChanges: Array<{ step: string; kind: string; cause: string | null; before: number | null; after: number; status: string }>;
  export: { rows: number; file: string; audited: boolean };
  retrain: { version: string; classify: { newTypes: string[] } };
  modelFile: string;
}

let dataDir: string;
let run: CliResult;
let report: Report;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "seamtrace-cli-demo-"));
  // The demo is reproducible, so the seed fixes the outcome. At this size the retrain's held-out
  // fifth is about ten classify examples: seed 3 holds out one the model gets confidently wrong,
  // its temperature rises to 1.9 and version 2 escalates more (73.3% → 78.3%); seeds 1, 2, 4
  // and 6 fall by 30 points or more (1: 81.7% → 46.7%).
  run = await runCli(["demo", "--days", "4", "--runs-per-day", "60", "--seed", "1", "--json"], { dataDir, timeoutMs: 300_000 });
  if (run.code === 0) report = JSON.parse(run.stdout) as Report;
}, 320_000);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("seamtrace demo (reduced)", () => {
  it("escalates less after retraining than before, on the same drifted traffic", () => {
    expect(run.code, run.stderr).toBe(0);
    expect(report.before.version).toBe("1");
    expect(report.after.version).toBe("2");
    expect(report.before.runs).toBeGreaterThan(0);
    expect(report.after.runs).toBeGreaterThan(0);
    expect(report.after.escalationRate).toBeLessThan(report.before.escalationRate);
    // Every day ran its claims and had reviews; the drift rose to full shift on version 1.
    expect(report.days.map((d) => d.runs)).toEqual([60, 60, 60, 60]);
    expect(report.days.every((d) => d.decisions > 0)).toBe(true);
    expect(report.days.map((d) => [d.version, d.shift])).toEqual([
      ["1", 0],
      ["1", 0.5],
      ["1", 1],
      ["2", 1],
    ]);
    // Progress went to stderr with --json, a line a day.
    expect(run.stderr.match(/^day \d\/4/gm)).toHaveLength(4);
  });

  it("raised a drifting step's spot-check rate, and moved thresholds on labelled evidence only", () => {
    const raised = report.thresholdChanges.filter((c) => c.kind === "spot-check" && c.cause === "drift");
    expect(raised.length).toBeGreaterThan(0);
    for (const c of raised) expect(c.after).toBeGreaterThan(c.before ?? 0);
    // Drift alone never moves a threshold: every threshold change rests on labels below target.
    for (const c of report.thresholdChanges.filter((x) => x.kind !== "spot-check")) expect(c.cause).toBe("below-target");
  });

  it("exported the corrections through the audited export and retrained on them", async () => {
    expect(report.export.audited).toBe(true);
    expect(report.export.rows).toBeGreaterThan(0);
    const rows = readFileSync(report.export.file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { version: string; decision: string });
    expect(rows).toHaveLength(report.export.rows);
    expect(rows.every((r) => r.version === "1" && (r.decision === "accept" || r.decision === "correct"))).toBe(true);
    expect(report.retrain.classify.newTypes).toContain("cyber");
    expect(JSON.parse(readFileSync(report.modelFile, "utf8"))).toMatchObject({ kind: "seamtrace-claims-model", params: { version: "2" } });

    // The audit trail, read back through the CLI, holds the export and still verifies.
    const audit = await runCli(["audit", "export", "--project", "default"], { dataDir, timeoutMs: 180_000 });
    expect(audit.code, audit.stderr).toBe(0);
    const entries = audit.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { action: string; actor: string });
    expect(entries.filter((e) => e.action === "export.corrections")).toHaveLength(1);
    const verify = await runCli(["audit", "verify", "--json"], { dataDir, timeoutMs: 180_000 });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it("leaves no run stuck: every unfinished run waits on an open review, and none is left to resume", async () => {
    // The demo resumes each day's reviewed runs in rounds that start at the same simulated
    // evening, so a later pause can carry an earlier time than the one it follows.
    const store = await openStore({ url: `file:${join(dataDir, "seamtrace.db")}`, authToken: undefined, busyTimeoutMs: 5_000 });
    try {
      const project = (await getProjectByName(store.db, "default"))!;
      const now = Date.now();
      const unfinished = await store.client.execute({
        sql: "SELECT id, status, stop_step_id FROM runs WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND status NOT IN ('completed', 'failed')",
        args: [project.id],
      });
      const stuck: string[] = [];
      for (const r of unfinished.rows) {
        const state = (await getRunState(store.db, project.id, String(r.id), now))!;
        const esc = state.escalation;
        if (r.status !== "paused" || esc?.status !== "open" || esc.stepId !== r.stop_step_id)
          stuck.push(`${String(r.id)} ${String(r.status)} on ${esc?.step} (${esc?.status})`);
      }
      expect(stuck).toEqual([]);
      expect((await listResumable(store.db, project.id, null, 500, now)).items).toEqual([]);
    } finally {
      store.close();
    }
  });

  it("refuses to fill a store that already holds runs (exit 2) unless --force", async () => {
    const again = await runCli(["demo", "--days", "3", "--runs-per-day", "10"], { dataDir, timeoutMs: 180_000 });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds runs.*--force/);
  });

  it("exits 2 for knobs out of range", async () => {
    const r = await runCli(["demo", "--days", "2"], { dataDir, timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--days");
  });
});

describe("seamtrace demo on a tiny sample", () => {
  let dir: string;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // One day of 10 runs a version: seed 2 escalates 8 of 10 before the retrain and 9 of 10 after,
  // the kind of noise that once failed a packed-install check which asked nothing more of it.
  it("does not judge the retrain on 10 runs a version: exit 0, and says why", async () => {
    dir = mkdtempSync(join(tmpdir(), "seamtrace-cli-demo-tiny-"));
    const r = await runCli(["demo", "--days", "3", "--runs-per-day", "10", "--seed", "2", "--json"], { dataDir: dir, timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    const tiny = JSON.parse(r.stdout) as Report & { check: { status: string; message: string } };
    expect([tiny.before.runs, tiny.after.runs]).toEqual([10, 10]);
    expect(tiny.after.escalationRate).toBeGreaterThanOrEqual(tiny.before.escalationRate);
    expect(tiny.check.status).toBe("skipped");
    expect(r.stderr).toContain("check not judged (v1 80.0% of 10 runs → v2 90.0% of 10): the check that the retrained version escalates less needs 100 runs");
  }, 250_000);
});
