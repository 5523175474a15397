/**
 * `seamtrace seams --workflow <module> (--set <golden set> | --server <url>)` as a function: the
 * module's input contracts (`seams`), and the recorded outputs from either a golden run of the
 * set (captured events) or the runs a server has recorded (its read API, with an API key).
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import pLimit from "p-limit";
import { executeGoldenSet } from "./executor.js";
import { loadWorkflowModule } from "./golden-run.js";
import type { GoldenWorkflowModule } from "./executor.js";
import { parseGoldenSet } from "./golden-set.js";
import { asSeamContracts, checkSeams, recordedFromEvent, type RecordedStep, type SeamReport } from "./seams.js";
import type { StepEvent } from "@seamtrace/sdk";

export interface ServerSource {
  url: string;
  apiKey: string;
  /** Only runs of this workflow name (and version). */
  workflow?: string;
  version?: string;
  /** ISO time: runs started since (the server's default window otherwise: 30 days). */
  from?: string;
  /** At most this many runs, newest first. Default 500. */
  maxRuns?: number;
  /** Replaces fetch (tests). */
  fetch?: typeof fetch;
}

export interface SeamsRunOptions {
  workflow: string | GoldenWorkflowModule;
  /** A golden set whose cases are run to record outputs. */
  set?: string;
  /** A server whose recorded runs are read. */
  server?: ServerSource;
  concurrency?: number;
}

export interface SeamsRunReport extends SeamReport {
  source: string;
  /** True when the command should exit 1. */
  failed: boolean;
}

export async function seamsRun(options: SeamsRunOptions): Promise<SeamsRunReport> {
  const mod = typeof options.workflow === "string" ? await loadWorkflowModule(options.workflow) : options.workflow;
  const contracts = asSeamContracts(mod.seams, typeof options.workflow === "string" ? options.workflow : "workflow module");
  let report: SeamReport;
  let source: string;
  if (options.set !== undefined) {
    const set = parseGoldenSet(await readFile(options.set, "utf8"), { name: basename(options.set) });
    const runs: RecordedStep[][] = [];
    await executeGoldenSet(set.cases, mod, {
      concurrency: options.concurrency ?? 8,
      onEvents: (_c, events) => runs.push(events.filter((e): e is StepEvent => e.type === "step.completed" || e.type === "step.failed").map(recordedFromEvent)),
    });
    report = await checkSeams(runs, contracts);
    source = `golden set ${set.name ?? options.set}`;
  } else if (options.server !== undefined) {
    report = await checkSeams(serverRuns(options.server, options.concurrency ?? 8), contracts);
    source = `server ${options.server.url}`;
  } else {
    throw new TypeError("seams needs a source: a golden set or a server");
  }
  return { ...report, source, failed: report.violations > 0 };
}

interface RunPage {
  items: Array<{ id: string }>;
  nextCursor: string | null;
}
interface RunDetail {
  steps: Array<{ id: string; name: string; status: "completed" | "failed"; parents: string[]; output: unknown }>;
}

/** A server answered with an error (its `{ error: { code, message } }` body when it has one). */
export class ServerError extends Error {
  override readonly name = "ServerError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The server's recorded runs, page by page, each with its steps (fetched a few at a time). */
async function* serverRuns(src: ServerSource, concurrency: number): AsyncGenerator<RecordedStep[]> {
  const doFetch = src.fetch ?? fetch;
  const base = src.url.replace(/\/+$/, "");
  const get = async <T>(path: string): Promise<T> => {
    const res = await doFetch(base + path, { headers: { authorization: `Bearer ${src.apiKey}`, accept: "application/json" } });
    const text = await res.text();
    if (!res.ok) {
      let message = text.slice(0, 200);
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        // not JSON: the raw text says enough
      }
      throw new ServerError(res.status, `${path}: ${res.status} ${message}`);
    }
    return JSON.parse(text) as T;
  };
  const limit = pLimit(Math.max(1, concurrency));
  const maxRuns = src.maxRuns ?? 500;
  let seen = 0;
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({ limit: String(Math.min(100, maxRuns - seen)) });
    if (src.workflow !== undefined) q.set("workflow", src.workflow);
    if (src.version !== undefined) q.set("version", src.version);
    if (src.from !== undefined) q.set("from", src.from);
    if (cursor !== null) q.set("cursor", cursor);
    const page: RunPage = await get<RunPage>(`/v1/runs?${q}`);
    const details = await Promise.all(
      page.items.map((r) => limit(() => get<RunDetail>(`/v1/runs/${encodeURIComponent(r.id)}`).then((d) => ({ id: r.id, d })))),
    );
    for (const { id, d } of details) {
      yield d.steps.map((s) => ({ runId: id, stepId: s.id, step: s.name, status: s.status, parents: s.parents, output: s.output }));
    }
    seen += page.items.length;
    cursor = page.nextCursor;
  } while (cursor !== null && seen < maxRuns);
}
