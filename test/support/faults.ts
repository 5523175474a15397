/**
 * Helpers the fault-injection suites in test/reliability/ share: a write lock held by another
 * OS process, timed HTTP calls that record what came back, and checks of a store on disk.
 */
import { createClient } from "@libsql/client";
import type { SeamtraceEvent } from "@seamtrace/sdk";
import { commitIngestBatches } from "../../server/src/modules/ingest/store.js";
import { openStore } from "../../server/src/platform/db/client.js";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runCli } from "./cli.js";
import { idFromStored, storedId } from "../../server/src/platform/db/stored-id.js";

const holderScript = fileURLToPath(new URL("./hold-write-lock.mjs", import.meta.url));

export interface LockHolder {
  proc: ChildProcess;
  /** Resolves when the holder has rolled back and exited (rejects if it failed). */
  done: Promise<void>;
}

/** Starts a process that holds a write transaction on `dbPath` for `holdMs`; resolves once it holds it. */
export async function holdWriteLock(dbPath: string, holdMs: number): Promise<LockHolder> {
  const proc = spawn(process.execPath, [holderScript, `file:${dbPath}`, String(holdMs)], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const done = new Promise<void>((resolve, reject) =>
    proc.once("exit", (code) => (code === 0 && out.includes("released") ? resolve() : reject(new Error(`lock holder exited ${code}:\n${out}`)))),
  );
  done.catch(() => {});
  while (!out.includes("locked")) {
    if (proc.exitCode !== null) await done;
    await new Promise((r) => setTimeout(r, 10));
  }
  return { proc, done };
}

export interface Answer {
  status: number;
  ms: number;
  retryAfter: string | null;
  contentType: string;
  body: unknown;
  /** `error.code` of a JSON error answer. */
  code: string | undefined;
  /** The answer's headers (empty for a network failure). */
  headers: Headers;
}

/** One HTTP call, timed, its body parsed when it is JSON; a network failure becomes status 0. */
export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await fetch(url, init);
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: kept as text, the assertions say so */
    }
    const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
    return {
      status: res.status,
      ms: Math.round(performance.now() - started),
      retryAfter: res.headers.get("retry-after"),
      contentType: res.headers.get("content-type") ?? "",
      body,
      code: typeof code === "string" ? code : undefined,
      headers: res.headers,
    };
  } catch (err) {
    return {
      status: 0,
      ms: Math.round(performance.now() - started),
      retryAfter: null,
      contentType: "",
      body: String(err),
      code: undefined,
      headers: new Headers(),
    };
  }
}

/** True when `a` is a well-formed 503: Retry-After in whole seconds and a JSON `{ error: { code, message } }`. */
export function isProper503(a: Answer): boolean {
  const err = (a.body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return (
    a.status === 503 &&
    /^\d+$/.test(a.retryAfter ?? "") &&
    a.contentType.includes("application/json") &&
    typeof err?.code === "string" &&
    typeof err.message === "string"
  );
}

/** Counts of each status, e.g. `{ "200": 12, "503": 3 }`. */
export function statusCounts(answers: Answer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) out[a.status] = (out[a.status] ?? 0) + 1;
  return out;
}

/** Min / median / max of the answers' times, for summaries (never asserted on). */
export function waitTimes(answers: Answer[]): { min: number; p50: number; max: number } | null {
  if (answers.length === 0) return null;
  const ms = answers.map((a) => a.ms).sort((x, y) => x - y);
  return { min: ms[0]!, p50: ms[Math.floor(ms.length / 2)]!, max: ms[ms.length - 1]! };
}

/** How many times each of `ids` is stored in the events log (any project). */
export async function storedCounts(dbPath: string, ids: string[]): Promise<Map<string, number>> {
  const client = createClient({ url: `file:${dbPath}`, timeout: 10_000 });
  try {
    const counts = new Map<string, number>(ids.map((id) => [id, 0]));
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rs = await client.execute({
        sql: `SELECT id, count(*) AS n FROM events WHERE id IN (${chunk.map(() => "?").join(",")}) GROUP BY id`,
        args: chunk.map(storedId),
      });
      for (const row of rs.rows) counts.set(idFromStored(row.id), Number(row.n));
    }
    return counts;
  } finally {
    client.close();
  }
}

/**
 * Appends events to the store's log from this process, through the collector's own commit
 * (events and their audit entries in one transaction) under the first project's first key, as a
 * second instance on the same file would. The server under test is not told: until it projects
 * them, every read of runs is behind.
 */
export async function appendEventsDirectly(dbPath: string, events: SeamtraceEvent[]): Promise<void> {
  const store = await openStore({ url: `file:${dbPath}`, busyTimeoutMs: 10_000 });
  try {
    const rs = await store.client.execute("SELECT project_id, id FROM api_keys ORDER BY created_at LIMIT 1");
    const [projectId, keyId] = [String(rs.rows[0]![0]), String(rs.rows[0]![1])];
    const [outcome] = await commitIngestBatches(store.client, [{ projectId, keyId, receivedAt: Date.now(), events }]);
    if (!outcome!.every((o) => o === "accepted")) throw new Error(`not every event was new: ${outcome!.join(", ")}`);
  } finally {
    store.close();
  }
}

/** `PRAGMA integrity_check` of the store file: "ok" or the first problems it names. */
export async function integrityCheck(dbPath: string): Promise<string> {
  const client = createClient({ url: `file:${dbPath}`, timeout: 10_000 });
  try {
    const rs = await client.execute("PRAGMA integrity_check");
    return rs.rows.map((r) => String(r[0])).join("; ");
  } finally {
    client.close();
  }
}

/** `seamtrace audit verify --project <name> --json` against a data folder; exit code and output. */
export async function auditVerify(dataDir: string, project = "default"): Promise<{ ok: boolean; code: number | null; output: string }> {
  const res = await runCli(["audit", "verify", "--project", project, "--json"], { dataDir });
  return { ok: res.code === 0, code: res.code, output: (res.stdout + res.stderr).trim() };
}
