/**
 * `seamtrace golden run <set> --workflow <module>` as a function: read and validate the set,
 * import the workflow module, execute with a progress bar, summarise, compare with the stored
 * baseline (or store one), write JUnit XML. The CLI only parses flags and prints.
 */
import { SingleBar } from "cli-progress";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { asGoldenWorkflowModule, executeGoldenSet, type CaseResult, type GoldenWorkflowModule } from "./executor.js";
import { parseGoldenSet } from "./golden-set.js";
import { junitXml } from "./report.js";
import { regressions, summarise, type Baseline, type GoldenSummary, type Regression } from "./summary.js";

export interface GoldenRunOptions {
  /** Path of the golden set (JSONL). */
  set: string;
  /** Path of the workflow module, or the module itself (tests). */
  workflow: string | GoldenWorkflowModule;
  /** Baseline file. Default: `<set>.baseline.json` beside the set. */
  baseline?: string;
  /** Store this run as the baseline instead of comparing with it. */
  updateBaseline?: boolean;
  /** Absolute accuracy drop tolerated before it counts as a regression. Default 0.02. */
  tolerance?: number;
  concurrency?: number;
  /** Write JUnit XML here. */
  junit?: string;
  /** Draw a progress bar on this stream (a TTY, typically stderr). */
  progress?: NodeJS.WritableStream;
  /** Clock, for the baseline's timestamp. */
  now?: () => Date;
}

export interface GoldenRunReport {
  set: string;
  setVersion: string;
  workflow?: string;
  version?: string;
  summary: GoldenSummary;
  /** `compared`: checked against the baseline; `stored`: written as the new baseline; `none`: no baseline yet; `mismatch`: baseline is of another set version. */
  baseline: { path: string; state: "compared" | "stored" | "none" | "mismatch"; setVersion?: string; /** The workflow version the baseline was measured on. */ version?: string };
  regressions: Regression[];
  /** True when the command should exit 1. */
  failed: boolean;
  results: CaseResult[];
}

export function defaultBaselinePath(set: string): string {
  return resolve(dirname(set), `${basename(set).replace(/\.jsonl$/, "")}.baseline.json`);
}

export async function loadWorkflowModule(path: string): Promise<GoldenWorkflowModule> {
  const url = pathToFileURL(resolve(path)).href;
  return asGoldenWorkflowModule(await import(url), path);
}

export async function goldenRun(options: GoldenRunOptions): Promise<GoldenRunReport> {
  const text = await readFile(options.set, "utf8");
  const set = parseGoldenSet(text, { name: basename(options.set) });
  const mod = typeof options.workflow === "string" ? await loadWorkflowModule(options.workflow) : options.workflow;

  let bar: SingleBar | undefined;
  if (options.progress) {
    bar = new SingleBar({ stream: options.progress, format: "golden {bar} {value}/{total} cases  {eta_formatted} left", hideCursor: true, clearOnComplete: true });
    bar.start(set.cases.length, 0);
  }
  let results: CaseResult[];
  try {
    results = await executeGoldenSet(set.cases, mod, { concurrency: options.concurrency ?? 8, onCase: (_r, done) => bar?.update(done) });
  } finally {
    bar?.stop();
  }
  const summary = summarise(results);
  const first = results.find((r) => r.workflow !== undefined);

  const baselinePath = options.baseline ?? defaultBaselinePath(options.set);
  const report: GoldenRunReport = {
    set: set.name ?? options.set,
    setVersion: set.version,
    summary,
    baseline: { path: baselinePath, state: "none" },
    regressions: [],
    failed: false,
    results,
  };
  if (first?.workflow !== undefined) report.workflow = first.workflow;
  if (first?.version !== undefined) report.version = first.version;

  if (options.updateBaseline) {
    const baseline: Baseline = { set: report.set, setVersion: set.version, createdAt: (options.now?.() ?? new Date()).toISOString(), summary };
    if (report.workflow !== undefined) baseline.workflow = report.workflow;
    if (report.version !== undefined) baseline.version = report.version;
    await mkdir(dirname(baselinePath), { recursive: true });
    await writeFile(baselinePath, JSON.stringify(baseline, null, 2) + "\n");
    report.baseline.state = "stored";
  } else if (existsSync(baselinePath)) {
    const baseline = JSON.parse(await readFile(baselinePath, "utf8")) as Baseline;
    report.baseline.setVersion = baseline.setVersion;
    if (baseline.version !== undefined) report.baseline.version = baseline.version;
    if (baseline.setVersion !== set.version) {
      // Accuracy on another version of the set is not comparable; refusing is safer than passing.
      report.baseline.state = "mismatch";
      report.failed = true;
    } else {
      report.baseline.state = "compared";
      report.regressions = regressions(summary, baseline.summary, options.tolerance ?? 0.02);
      report.failed = report.regressions.length > 0;
    }
  }
  if (options.junit) {
    await mkdir(dirname(resolve(options.junit)), { recursive: true });
    await writeFile(options.junit, junitXml(results, { set: report.set }));
  }
  return report;
}
