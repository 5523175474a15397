import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SeamtraceEvent } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { completedRun } from "../../server/test-support/events-fixtures.js";
import { auditVerify, call, integrityCheck, isProper503, statusCounts, storedCounts, type Answer } from "../support/faults.js";
import { scale, writeSummary } from "../support/reliability.js";
import { spawnServer, type SpawnedServer } from "../support/server.js";
import { suiteName, unmet } from "../support/requirements.js";

/**
 * The store on a small size-limited filesystem (a tmpfs mounted for the test; the suite skips
 * outside CI without root, and FAILS in CI when it cannot mount). Ingest fills it until the
 * collector answers 503 with Retry-After (SQLITE_FULL, also from the WAL growing), never a 500
 * and never a crash; every acknowledged event is still there once and the store passes
 * `PRAGMA integrity_check` and `audit verify`; after a filler file is deleted, ingest recovers
 * without a restart.
 *
 * The server's log is on the same disk, as it is on many hosts: while the disk is full, the
 * writes it refuses, its checkpoint watcher and its projector all log, and those log lines fail
 * too (ENOSPC); the server must live through them (it used to die of the first one). Reads keep
 * answering 200 meanwhile, and `/healthz` says `degraded` (`storage_full`).
 */

const FS_MB = scale(16, 64);
const FILLER_MB = scale(8, 32);
/** Requests that must succeed once space is freed. The filler is large: the projector catching up on
 * what was acknowledged just before the disk filled takes its share of the freed room first. */
const RECOVERY_OK = 5;
/** Padding per event, so the disk fills in a few hundred requests. */
const PAD = 1_500;
/** Refusals in a row that mean "the disk is full", not a blip. */
const FULL_STREAK = 5;
const MAX_REQUESTS = 5_000;

let mountDir = "";
let mounted = false;
let server: SpawnedServer | undefined;
const summary: Record<string, unknown> = { filesystemMB: FS_MB, fillerMB: FILLER_MB };

function padded(events: SeamtraceEvent[], seed: number): SeamtraceEvent[] {
  // Distinct text per event (no two pages alike), about PAD characters of it.
  return events.map((e, i) => ({ ...e, input: { note: `${seed}:${i}:`.padEnd(PAD, String.fromCharCode(97 + ((seed + i) % 26))) } }) as SeamtraceEvent);
}

function ingest(url: string, key: string, events: SeamtraceEvent[]) {
  return call(`${url}/v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ events }),
  });
}

const WINDOW = `from=${encodeURIComponent("2025-01-01T00:00:00Z")}&to=${encodeURIComponent("2025-02-01T00:00:00Z")}`;

/** Appends to the log file until the disk refuses (ENOSPC); returns the bytes it took. */
function fillLog(path: string): number {
  const fd = openSync(path, "a");
  let written = 0;
  try {
    for (;;) written += writeSync(fd, Buffer.alloc(512, 0x2e));
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
  return written;
}

/**
 * Keeps sending writes the full disk refuses (the server logs a full disk at most every 5 s,
 * and its checkpoint watcher and projector log their own failures) until the server has failed
 * to write at least `n` log lines, as its metrics count them; returns the count seen (what it was
 * when the server stopped answering, if it did). Waits for the lines, not for a length of time.
 */
async function logFailuresAtLeast(s: SpawnedServer, n: number): Promise<number> {
  let seen = 0;
  for (let i = 0; i < 300; i++) {
    await ingest(s.url, s.apiKey, completedRun().events);
    const m = await call(`${s.url}/metrics`);
    if (m.status !== 200) return seen;
    seen = Number(/^seamtrace_log_write_failures_total (\d+)/m.exec(String(m.body))?.[1] ?? 0);
    if (seen >= n) return seen;
    await new Promise((r) => setTimeout(r, 200));
  }
  return seen;
}

function df(): { sizeKB: number; usedKB: number } {
  const out = execFileSync("df", ["-k", "--output=size,used", mountDir]).toString().trim().split("\n")[1]!.trim().split(/\s+/);
  return { sizeKB: Number(out[0]), usedKB: Number(out[1]) };
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/** Unmounts, retrying while a just-exited process still holds a file there; lazily as a last resort. */
async function unmount(dir: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    try {
      execFileSync("umount", [dir], { stdio: "pipe" });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  execFileSync("umount", ["-l", dir], { stdio: "pipe" });
}

const skipReason = unmet("root");

describe.skipIf(skipReason !== undefined)(suiteName("disk full under the store", skipReason), () => {
  beforeAll(async () => {
    mountDir = mkdtempSync(join(tmpdir(), "seamtrace-diskfull-"));
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", `size=${FS_MB}m,mode=0700`, "tmpfs", mountDir], { stdio: "pipe" });
      mounted = true;
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
      throw new Error(
        `the disk-full suite mounts a ${FS_MB} MB tmpfs at ${mountDir} and could not (${stderr || String(err)}). ` +
          "It needs root (or CAP_SYS_ADMIN); outside CI it skips without them, in CI it fails.",
      );
    }
    // Room that can be given back later without touching the store.
    writeFileSync(join(mountDir, "filler"), Buffer.alloc(FILLER_MB * 1024 * 1024, 1));
    // A checkpoint every entry: while the disk is full, the watcher fails (and logs) every 2 s.
    server = await spawnServer({
      dataDir: mountDir,
      env: { SEAMTRACE_JOBS: "off", SEAMTRACE_AUDIT_CHECKPOINT_EVERY: "1" },
      logFile: join(mountDir, "server.log"),
    });
    // Given a data folder, spawnServer does not wait for the first start's key line.
    for (let i = 0; i < 400 && !/SEAMTRACE_API_KEY=(st_\w+)/.test(server.output()); i++) await new Promise((r) => setTimeout(r, 25));
    server.apiKey = /SEAMTRACE_API_KEY=(st_\w+)/.exec(server.output())?.[1] ?? "";
    expect(server.apiKey, server.output()).not.toBe("");
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (mounted) await unmount(mountDir);
    if (mountDir) rmSync(mountDir, { recursive: true, force: true });
    writeSummary("disk-full", summary);
  });

  it(
    "answers 503 with Retry-After once the disk is full, loses no acknowledged event, keeps the store sound, and recovers when space is freed",
    async () => {
      const s = server!;
      const dbPath = join(mountDir, "seamtrace.db");
      const acked: string[] = [];
      const refused: string[] = [];
      const answers: Answer[] = [];
      let streak = 0;
      let seed = 0;

      // Fill: batches of 10 events until the collector refuses FULL_STREAK in a row.
      while (streak < FULL_STREAK && answers.length < MAX_REQUESTS) {
        const events = padded(completedRun().events.concat(completedRun().events), seed++);
        const a = await ingest(s.url, s.apiKey, events);
        answers.push(a);
        if (a.status === 200) {
          acked.push(...events.map((e) => e.id));
          streak = 0;
        } else {
          refused.push(...events.map((e) => e.id));
          streak++;
        }
        if (a.status !== 200 && a.status !== 503) break;
      }
      const fullAt = df();
      const walAtFull = fileSize(`${dbPath}-wal`);
      const refusals = answers.filter((a) => a.status !== 200);
      // Whatever room the log file's last page had left, fill it: the server's next line fails.
      const logFilled = fillLog(join(mountDir, "server.log"));
      const failedLines = await logFailuresAtLeast(s, 2);
      const healthWhenFull = await call(`${s.url}/healthz`);
      const readWhenFull = await call(`${s.url}/v1/runs?limit=5&${WINDOW}`, { headers: { authorization: `Bearer ${s.apiKey}` } });
      const queueWhenFull = await call(`${s.url}/v1/escalations`, { headers: { authorization: `Bearer ${s.apiKey}` } });

      summary.fill = {
        requests: answers.length,
        statuses: statusCounts(answers),
        eventsAcknowledged: acked.length,
        codes: [...new Set(refusals.map((a) => a.code))],
        retryAfter: [...new Set(refusals.map((a) => a.retryAfter))],
        messages: [...new Set(refusals.map((a) => (a.body as { error?: { message?: string } }).error?.message))],
        diskWhenFullKB: fullAt,
        dbBytes: fileSize(dbPath),
        walBytesWhenFull: walAtFull,
        healthWhenFull: { status: healthWhenFull.status, body: healthWhenFull.body },
        readWhenFull: {
          status: readWhenFull.status,
          code: readWhenFull.code,
          stale: readWhenFull.headers.get("seamtrace-stale"),
          lag: readWhenFull.headers.get("seamtrace-projection-lag"),
        },
        queueWhenFull: queueWhenFull.status,
        logBytesFilled: logFilled,
        logWriteFailures: failedLines,
        serverAlive: s.proc.exitCode === null && s.proc.signalCode === null,
      };

      expect(streak, `the disk never filled in ${answers.length} requests (${JSON.stringify(summary.fill)})`).toBe(FULL_STREAK);
      expect(acked.length, "nothing was stored before the disk filled").toBeGreaterThan(0);
      for (const a of refusals) {
        expect(isProper503(a), `refusal ${a.status} ${a.retryAfter ?? "-"} ${JSON.stringify(a.body)}`).toBe(true);
        expect(a.code, "a full disk is named as such").toBe("storage_full");
      }
      expect(s.proc.exitCode, s.output()).toBeNull();
      // Log lines failed on the full disk, and the server lived through them.
      expect(failedLines, "no log line failed, or the server died of one").toBeGreaterThanOrEqual(2);
      expect(s.proc.exitCode).toBeNull();
      expect(readWhenFull.status, JSON.stringify(readWhenFull.body)).toBe(200);
      expect(queueWhenFull.status, JSON.stringify(queueWhenFull.body)).toBe(200);
      if (Number(readWhenFull.headers.get("seamtrace-projection-lag")) > 0) expect(readWhenFull.headers.get("seamtrace-stale")).toBe("storage_full");
      expect(healthWhenFull.status).toBe(503);
      expect(healthWhenFull.body).toMatchObject({ status: "degraded", reasons: expect.arrayContaining(["storage_full"]) });

      // Nothing acknowledged lost, nothing refused kept (read while the server runs: WAL readers).
      const counts = await storedCounts(dbPath, [...acked, ...refused]);
      const lost = acked.filter((id) => counts.get(id) !== 1);
      const keptRefused = refused.filter((id) => (counts.get(id) ?? 0) > 0);
      expect(lost, "acknowledged events missing or stored twice").toEqual([]);
      expect(keptRefused, "events of refused batches were stored").toEqual([]);

      // Free space; ingest recovers without a restart.
      rmSync(join(mountDir, "filler"));
      const recovery: Answer[] = [];
      const recoveredIds: string[] = [];
      for (let i = 0; i < 50 && recovery.filter((a) => a.status === 200).length < RECOVERY_OK; i++) {
        const events = padded(completedRun().events, seed++);
        const a = await ingest(s.url, s.apiKey, events);
        recovery.push(a);
        if (a.status === 200) recoveredIds.push(...events.map((e) => e.id));
        else if (a.status !== 503) break;
        else await new Promise((r) => setTimeout(r, 100));
      }
      const readAfter = await call(`${s.url}/v1/runs?limit=5&${WINDOW}`, { headers: { authorization: `Bearer ${s.apiKey}` } });
      const healthAfter = await call(`${s.url}/healthz`);
      const recoveredCounts = await storedCounts(dbPath, recoveredIds);

      await s.stop();
      const integrity = await integrityCheck(dbPath);
      const audit = await auditVerify(mountDir);
      summary.recovery = {
        requests: recovery.length,
        statuses: statusCounts(recovery),
        requestsUntilFirst200: recovery.findIndex((a) => a.status === 200) + 1,
        eventsAcknowledged: recoveredIds.length,
        readAfter: { status: readAfter.status, lag: readAfter.headers.get("seamtrace-projection-lag") },
        healthAfter: healthAfter.status,
        diskAfterKB: df(),
      };
      summary.checks = {
        acknowledgedLost: lost.length,
        refusedStored: keptRefused.length,
        integrityCheck: integrity,
        auditVerify: audit.ok ? "ok" : audit.output,
      };

      expect(recovery.filter((a) => a.status === 200).length, JSON.stringify(summary.recovery)).toBe(RECOVERY_OK);
      for (const a of recovery.filter((x) => x.status !== 200)) expect(isProper503(a)).toBe(true);
      expect([...recoveredCounts.values()].every((n) => n === 1)).toBe(true);
      expect(readAfter.status).toBe(200);
      expect(healthAfter.status).toBe(200);
      expect(integrity).toBe("ok");
      expect(audit.ok, audit.output).toBe(true);
    },
    scale(120_000, 600_000),
  );
});
