import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/src/app/config.js";
import { runDemo, type DemoReport } from "../../server/src/cli/demo/run-demo.js";

/**
 * `seamtrace demo` is reproducible for a seed: a reduced demo run twice with one seed, on fresh
 * stores, ending at different times of day (so nothing may hang on the wall clock), gives the
 * same report: every day's counts, the thresholds auto-tighten moved, the export and the
 * retrained model. Concurrent runs, reviewers and resumes interleave differently each time.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function demo(seed: number, endAt: number): Promise<DemoReport> {
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-demo-seed-"));
  dirs.push(dir);
  const config = loadConfig({ SEAMTRACE_DATA_DIR: dir, SEAMTRACE_SECRET: "s".repeat(40) });
  return runDemo({ config, days: 4, runsPerDay: 40, seed, force: false, endAt });
}

/** The report without what names the run itself: its files, store, dates and creation times. */
function numbers(r: DemoReport) {
  return {
    days: r.days.map(({ date: _date, ...d }) => d),
    before: r.before,
    after: r.after,
    thresholdChanges: r.thresholdChanges.map(({ createdAt: _at, ...c }) => c),
    exportRows: r.export.rows,
    retrain: r.retrain,
  };
}

describe("seamtrace demo with a seed", () => {
  it("gives the same numbers every time, whatever the time of day it runs", async () => {
    const first = await demo(11, Date.UTC(2026, 10, 24, 2, 40));
    const second = await demo(11, Date.UTC(2026, 10, 27, 17, 5));
    expect(first.days.map((d) => d.runs)).toEqual([40, 40, 40, 40]);
    expect(first.export.rows).toBeGreaterThan(0);
    expect(numbers(second)).toEqual(numbers(first));
  });
});
