/**
 * A golden run as a function, `runGoldenSet`: read and validate the set, import the workflow
 * module, run every case (`trials` times), summarise, compare case by case with the stored
 * baseline (or store one), write JUnit XML. The CLIs only parse flags and print.
 */
import { SingleBar } from "cli-progress";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { BASELINE_FORMAT, readBaseline, serializeBaseline, type Baseline } from "./baseline.js";
import { caseRecords } from "./case-records.js";
import { compareRuns, DEFAULT_ALPHA, type RegressionRule } from "./compare.js";
import type { RequestFn } from "@seamtrace/sdk";
import { asGoldenWorkflowModule, executeGoldenSet, trialPassed, trialsOf, type CaseResult, type GoldenWorkflowModule } from "./executor.js";
import { parseGoldenSet, type GoldenSet } from "./golden-set.js";
import { junitXml } from "./junit.js";
import type { GoldenRunReport } from "./run-report.js";
import { GoldenRunSender, type GoldenRunsSent } from "./run-sender.js";
import { summarise } from "./summary.js";

export interface GoldenRunOptions {
  /** The golden set: a JSONL file's path, or a set parsed with `parseGoldenSet` (then name `baseline` to compare). */
  set: string | GoldenSet;
  /** Path of the workflow module, or the module itself. */
  workflow: string | GoldenWorkflowModule;
  /** Baseline file. Default: `<set>.baseline.json` beside a set file; none for a set passed in. */
  baseline?: string;
  /** Store this run as the baseline instead of comparing with it. */
  updateBaseline?: boolean;
  /** Runs of each case, for steps that are not deterministic. Default 1. */
  trials?: number;
  /** Significance level of the paired regression tests. Default 0.05. */
  alpha?: number;
  /** Decide accuracy and end-to-end regressions by a count instead: more newly failing cases than this. */
  maxNewFailures?: number;
  /** Cases run at once. Default 8. */
  concurrency?: number;
  /** Write JUnit XML here. */
  junit?: string;
  /** Draw a progress bar on this stream (a TTY, typically stderr). */
  progress?: NodeJS.WritableStream;
  /** Clock, for the baseline's timestamp. */
  now?: () => Date;
  /**
   * Send each case's run to this Seamtrace server as the set runs, tagged with the set, the case,
   * its outcome and the result's id (`report.runsSent.result`: post the result under that id,
   * `goldenResultPayload` does). The server keeps them out of its production analytics.
   */
  send?: { server: string; apiKey: string; request?: RequestFn };
}

export type { BaselineState, GoldenRunReport } from "./run-report.js";

export function defaultBaselinePath(set: string): string {
  return resolve(dirname(set), `${basename(set).replace(/\.jsonl$/, "")}.baseline.json`);
}

export async function loadWorkflowModule(path: string): Promise<GoldenWorkflowModule> {
  const url = pathToFileURL(resolve(path)).href;
  return asGoldenWorkflowModule(await import(url), path);
}

/**
 * Runs a golden set through a workflow and compares it with the stored baseline.
 * @example
 * import { runGoldenSet } from "@seamtrace/golden";
 * const report = await runGoldenSet({ set: "golden/sets/claims.jsonl", workflow: "dist/golden.js", junit: "junit.xml" });
 * for (const r of report.regressions) console.error(r.message);
 * process.exitCode = report.failed ? 1 : 0;
 */
export async function runGoldenSet(options: GoldenRunOptions): Promise<GoldenRunReport> {
  const rule: RegressionRule = { alpha: options.alpha ?? DEFAULT_ALPHA };
  if (!(rule.alpha > 0 && rule.alpha < 1)) throw new RangeError("alpha must be between 0 and 1");
  if (options.maxNewFailures !== undefined) {
    if (!(Number.isInteger(options.maxNewFailures) && options.maxNewFailures >= 0)) throw new RangeError("maxNewFailures must be a whole number ≥ 0");
    rule.maxNewFailures = options.maxNewFailures;
  }
  const trials = options.trials ?? 1;
  const set = typeof options.set === "string" ? parseGoldenSet(await readFile(options.set, "utf8"), { name: basename(options.set) }) : options.set;
  const mod = typeof options.workflow === "string" ? await loadWorkflowModule(options.workflow) : options.workflow;

  let bar: SingleBar | undefined;
  if (options.progress) {
    bar = new SingleBar({
      stream: options.progress,
      format: "golden {bar} {value}/{total} cases  {eta_formatted} left",
      hideCursor: true,
      clearOnComplete: true,
    });
    bar.start(set.cases.length, 0);
  }
  const sender = options.send && new GoldenRunSender({ ...options.send, set: resultSetName(options.set, set) });
  let results: CaseResult[];
  let runsSent: GoldenRunsSent | undefined;
  try {
    results = await executeGoldenSet(set.cases, mod, {
      concurrency: options.concurrency ?? 8,
      trials,
      onCase: (_r, done) => bar?.update(done),
      ...(sender && { onRun: (c, run, events) => sender.send(c.id, trialPassed(run) ? "pass" : "fail", events) }),
    });
  } finally {
    bar?.stop();
    runsSent = await sender?.close();
  }
  const summary = summarise(results);
  const records = caseRecords(results);
  const first = results.find((r) => r.workflow !== undefined);

  const baselinePath = options.baseline ?? (typeof options.set === "string" ? defaultBaselinePath(options.set) : null);
  const report: GoldenRunReport = {
    set: set.name ?? "golden set",
    setVersion: set.version,
    trials,
    summary,
    baseline: { path: baselinePath, state: "none" },
    regressions: [],
    failed: false,
    results,
  };
  if (runsSent) report.runsSent = runsSent;
  if (first?.workflow !== undefined) report.workflow = first.workflow;
  if (first?.version !== undefined) report.version = first.version;

  let baselineCases: Baseline["cases"] | undefined;
  if (options.updateBaseline) {
    if (baselinePath === null) throw new TypeError("updateBaseline needs a baseline path for a set passed in memory");
    const baseline: Baseline = {
      format: BASELINE_FORMAT,
      set: report.set,
      setVersion: set.version,
      createdAt: (options.now?.() ?? new Date()).toISOString(),
      trials,
      summary,
      cases: records,
    };
    if (report.workflow !== undefined) baseline.workflow = report.workflow;
    if (report.version !== undefined) baseline.version = report.version;
    await mkdir(dirname(resolve(baselinePath)), { recursive: true });
    await writeFile(baselinePath, serializeBaseline(baseline));
    report.baseline.state = "stored";
  } else if (baselinePath !== null && existsSync(baselinePath)) {
    const file = await readBaseline(baselinePath);
    if (file.state === "unreadable") {
      report.baseline = { path: baselinePath, state: "unreadable", message: file.message };
      report.failed = true;
    } else if (file.state === "outdated") {
      report.baseline = {
        path: baselinePath,
        state: "outdated",
        ...(file.setVersion !== undefined && { setVersion: file.setVersion }),
        ...(file.version !== undefined && { version: file.version }),
      };
      report.baseline.message = `baseline ${baselinePath} holds no per-case outcomes (an older executor wrote it); rerun with --update-baseline to store one that does`;
      report.failed = true;
    } else {
      const b = file.baseline;
      report.baseline.setVersion = b.setVersion;
      if (b.version !== undefined) report.baseline.version = b.version;
      if (b.setVersion !== set.version) {
        // Accuracy on another version of the set is not comparable; refusing is safer than passing.
        report.baseline.state = "mismatch";
        report.baseline.message = `baseline ${baselinePath} was measured on another version of the set (${b.setVersion.slice(0, 12)} ≠ ${set.version.slice(0, 12)}); rerun with --update-baseline once the change is reviewed`;
        report.failed = true;
      } else {
        report.baseline.state = "compared";
        baselineCases = b.cases;
        const { comparison, regressions } = compareRuns({ summary, records }, { summary: b.summary, records: b.cases }, rule, reasonLookup(results));
        report.comparison = comparison;
        report.regressions = regressions;
        report.failed = regressions.length > 0;
      }
    }
  }
  if (options.junit) {
    await mkdir(dirname(resolve(options.junit)), { recursive: true });
    await writeFile(options.junit, junitXml(report, baselineCases ? { baseline: baselineCases } : {}));
  }
  return report;
}

/** The set's name as a server files results under: the file's name without `.jsonl`. */
export function resultSetName(source: string | GoldenSet, set: GoldenSet = source as GoldenSet): string {
  return typeof source === "string" ? basename(source, ".jsonl") : (set.name ?? "golden-set").replace(/\.jsonl$/, "");
}

/** The name this function had before it could take a set in memory; same behaviour. */
export const goldenRun = runGoldenSet;

/** Why a case fails a step now: the reason of its first run that failed it. */
function reasonLookup(results: readonly CaseResult[]): (caseId: string, step: string) => string | undefined {
  const byId = new Map(results.map((r) => [r.id, r]));
  return (id, step) => {
    for (const t of trialsOf(byId.get(id) ?? { run: "error", steps: {}, id, tags: [] })) {
      const o = t.steps[step];
      if (o && (o.status === "wrong" || o.status === "failed")) return o.reason ?? (o.status === "failed" ? "the step failed" : "output differs from expected");
    }
    return undefined;
  };
}
