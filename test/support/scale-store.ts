/**
 * Large stores for scale measurements (test/reliability/scale.test.ts, usable
 * from bench/ too). A store is made the way a deployment makes one: a real `seamtrace serve`
 * first start (migrations, the default project and its key), users through the CLI, then the
 * generated traffic (test/support/scale-data.ts) written by child processes through the
 * collector's own ingest, projection, review and label code (test/support/scale-writer.ts).
 *
 * Children, because the embedded libsql driver keeps ~1 KB of native memory per row written until
 * its process exits (tursodatabase/libsql-client-ts#333): one process writing 10 million events
 * (about four rows each, with audit entries, steps and runs) would need tens of GB.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "./cli.js";
import { EXPECTED_STEPS_PER_RUN, runsFor } from "./scale-data.js";
import { repoRoot, spawnServer } from "./server.js";

export const SCALE_PASSWORD = "a long scale-test password";
export const SCALE_USERS = { admin: "admin@scale.test", reviewer: "reviewer@scale.test" } as const;
/** Every job the scheduler runs over new events, in schedule order. */
export const JOB_ORDER = ["rollup", "calibration", "escalation", "drift", "alerts", "auto-tighten", "recalibrate"] as const;

const WRITER = join(repoRoot, "test/support/scale-writer.ts");

/** Runs the writer in a fresh process; resolves with the JSON line it prints. */
export function writer<T>(args: Array<string | number>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", WRITER, ...args.map(String)], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "", NODE_OPTIONS: "--max-old-space-size=4096" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`scale-writer ${args[0]} exited with ${code}:\n${err.slice(-4000)}`));
      try {
        resolve(JSON.parse(out.trim().split("\n").pop()!) as T);
      } catch {
        reject(new Error(`scale-writer ${args[0]} printed no JSON:\n${out.slice(-2000)}\n${err.slice(-2000)}`));
      }
    });
  });
}

export interface SegmentCounts {
  runs: number;
  events: number;
  stepEvents: number;
  escalations: number;
  decisions: number;
  feedback: number;
  ms: number;
}

export interface ScaleStore {
  dataDir: string;
  apiKey: string;
  /** Generated data ends here (ms); it spans the 30 days before. */
  end: number;
  /** Totals of everything written, history and new segment. */
  counts: SegmentCounts;
  /** The last segment, written but not yet rolled up: what the timed jobs fold. */
  fresh: SegmentCounts;
  /** Wall time of the whole generation, ms. */
  generateMs: number;
}

const zero = (): SegmentCounts => ({ runs: 0, events: 0, stepEvents: 0, escalations: 0, decisions: 0, feedback: 0, ms: 0 });
const add = (a: SegmentCounts, b: SegmentCounts) => {
  for (const k of Object.keys(a) as Array<keyof SegmentCounts>) a[k] += b[k];
};

/**
 * A store of about `stepEvents` step events over the 30 days before now. The history is written
 * (and rolled up) in segments of `segmentRuns` runs, one child each; the last ~`newStepEvents`
 * are written but left for the jobs, as if they had just arrived.
 */
export async function createScaleStore(opts: {
  stepEvents: number;
  newStepEvents: number;
  segmentRuns?: number;
  seed?: number;
  /** Where to make the store (an empty or absent folder); a fresh temp folder by default. */
  dataDir?: string;
  log?: (line: string) => void;
}): Promise<ScaleStore> {
  const t0 = performance.now();
  const server = await spawnServer({ env: { SEAMTRACE_JOBS: "off" }, ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) });
  await server.stop();
  for (const [role, email] of Object.entries(SCALE_USERS)) {
    const r = await runCli(["users", "create", "--email", email, "--role", role, "--password-env", "PW"], {
      dataDir: server.dataDir,
      env: { PW: SCALE_PASSWORD },
    });
    if (r.code !== 0) throw new Error(`users create: ${r.stderr}`);
  }
  const end = Date.now() - 60_000;
  const runs = runsFor(opts.stepEvents);
  const fresh = Math.min(runs, runsFor(opts.newStepEvents));
  const segment = opts.segmentRuns ?? Math.ceil(150_000 / EXPECTED_STEPS_PER_RUN);
  const seed = opts.seed ?? 1;
  const counts = zero();
  for (let from = 0; from < runs - fresh; from += segment) {
    const to = Math.min(runs - fresh, from + segment);
    add(counts, await writer<SegmentCounts>(["segment", server.dataDir, runs, from, to, end, seed, 1]));
    opts.log?.(
      `  ${counts.stepEvents.toLocaleString("en")} step events (${counts.events.toLocaleString("en")} events) written, ${Math.round((performance.now() - t0) / 1000)} s`,
    );
  }
  const last = await writer<SegmentCounts>(["segment", server.dataDir, runs, runs - fresh, runs, end, seed, 0]);
  add(counts, last);
  return { dataDir: server.dataDir, apiKey: server.apiKey, end, counts, fresh: last, generateMs: performance.now() - t0 };
}

export interface PreparedScaleStore extends ScaleStore {
  /** Each analytics job once over the fresh segment (ms, rows read). */
  jobs: Record<string, { ms: number; rowsRead: number | null }>;
  disk: { fileBytes: number; walBytes: number; totalBytes: number };
}

const MARKER = "scale.json";

/**
 * A store ready to measure: generated, the jobs run (timed) over its fresh segment, so the
 * analytics routes have their metrics, and checkpointed. Describes itself in <dataDir>/scale.json,
 * so a store made once (`bench/scale-generate.ts`) can be measured again (loadScaleStore).
 */
export async function prepareScaleStore(opts: Parameters<typeof createScaleStore>[0]): Promise<PreparedScaleStore> {
  const store = await createScaleStore(opts);
  const jobs = await timeJobs(store);
  const disk = await diskUsage(store);
  const prepared: PreparedScaleStore = { ...store, jobs, disk };
  writeFileSync(join(store.dataDir, MARKER), JSON.stringify(prepared, null, 2) + "\n");
  return prepared;
}

/** A store prepareScaleStore made earlier, or null when the folder holds none. */
export function loadScaleStore(dataDir: string): PreparedScaleStore | null {
  const file = join(dataDir, MARKER);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as PreparedScaleStore) : null;
}

/** Each job once over the store's unrolled events, timed in a child process. */
export function timeJobs(store: ScaleStore): Promise<Record<string, { ms: number; rowsRead: number | null }>> {
  return writer(["jobs", store.dataDir, Date.now(), JOB_ORDER.join(",")]);
}

/** Bytes of the database file and its WAL after a TRUNCATE checkpoint. */
export async function diskUsage(store: ScaleStore): Promise<{ fileBytes: number; walBytes: number; totalBytes: number }> {
  await writer(["checkpoint", store.dataDir]);
  const file = join(store.dataDir, "seamtrace.db");
  const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
  const fileBytes = size(file);
  const walBytes = size(`${file}-wal`);
  return { fileBytes, walBytes, totalBytes: fileBytes + walBytes };
}
