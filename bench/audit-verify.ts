/**
 * Audit verify: `verifyAudit` (what `POST /v1/audit/verifications` and `seamtrace audit verify` run) over
 * chains of 100,000 and 1,000,000 entries with a signed checkpoint every 1,000, each verification
 * in a child process of its own so that its peak memory (max RSS) is its own. The audit trail promises
 * constant memory: the 1M / 100k peak-memory ratio should be ~1, while the time grows ~10×.
 * Baseline in the same run: a keyset scan of the same rows with nothing hashed or checked (what
 * reading alone costs), so verify / scan says what the cryptography adds.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openStore } from "../server/src/platform/db/client.js";
import { migrateStore } from "../server/src/app/migrate.js";
import { CheckpointSigner } from "../server/src/modules/audit/chain.js";
import { appendAudit, insertCheckpoint, type AuditRecord } from "../server/src/modules/audit/store.js";
import { readTree } from "../server/src/modules/audit/tree-store.js";
import { withWriteLock } from "../server/src/platform/db/write-transaction.js";
import { fmt, median } from "./stats.js";

const SECRET = "bench secret, at least thirty-two characters long";
const PROJECT = "0190f0f0-0000-7000-8000-00000000b0b0";
const KEY = "0190f0f0-0000-7000-8000-00000000c0de";
const CHECKPOINT_EVERY = 1_000;
const ENTRIES_PER_COMMIT = 50_000;
const T0 = Date.UTC(2025, 0, 15);
const child = fileURLToPath(new URL("./audit-verify-child.ts", import.meta.url));

const id = (n: number) => `0190f0f0-0000-7000-8000-${n.toString(16).padStart(12, "0")}`;

/**
 * Entries shaped like the collector's (actor, run, subject), each with a payload of an event
 * body's size kept in audit_payloads: verification reads and hashes every payload, as it does an
 * event's body.
 */
function records(from: number, count: number): AuditRecord[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return {
      time: T0 + i,
      actor: `sdk:${KEY}`,
      action: "label.created",
      subject: `step:${id(i)}`,
      runId: id(i >> 3),
      payload: { i, output: { amount: i, note: "x".repeat(400) }, confidence: 0.9 },
    };
  });
}

/**
 * Builds a chain through the server's own `appendAudit` (the same hashes as production writes),
 * signing a checkpoint after every 1,000 entries in the same transaction, 50,000 entries a commit.
 */
async function buildChain(file: string, entries: number): Promise<number> {
  const store = await openStore({ url: `file:${file}`, busyTimeoutMs: 5_000 });
  await migrateStore(store);
  const signer = new CheckpointSigner(SECRET);
  let prevSignature = "";
  const t0 = performance.now();
  try {
    for (let start = 1; start <= entries; start += ENTRIES_PER_COMMIT) {
      await withWriteLock(store.client, async (tx) => {
        for (let s = start; s < Math.min(start + ENTRIES_PER_COMMIT, entries + 1); s += CHECKPOINT_EVERY) {
          const head = (await appendAudit(tx, PROJECT, records(s, Math.min(CHECKPOINT_EVERY, entries + 1 - s))))!;
          // The tree head appendAudit grew with the entries, as createCheckpoint signs it.
          const rootHash = (await readTree(tx, PROJECT))!.frontier.root().toString("hex");
          const c = signer.sign({ projectId: PROJECT, seq: head.seq, headHash: head.hash, rootHash, time: T0 + head.seq, prevSignature });
          await insertCheckpoint(tx, c);
          prevSignature = c.signature;
        }
        return { commit: true, value: undefined };
      });
    }
    await store.client.execute("PRAGMA wal_checkpoint(TRUNCATE)");
  } finally {
    store.close();
  }
  return (performance.now() - t0) / 1000;
}

interface ChildRun {
  mode: "verify" | "scan";
  entries: number;
  ok: boolean;
  seconds: number;
  /** Resident memory at rest, before the walk (its high-water mark so far). */
  rssBefore: number;
  /** The process's peak resident memory. */
  peakRss: number;
  heapBefore: number;
  /** Largest heapUsed seen, garbage not yet collected included. */
  peakHeapUsed: number;
  /** Largest heapUsed right after a full GC: what the walk keeps alive. */
  liveHeap: number;
}

function runChild(file: string, mode: "verify" | "scan", nodeFlags: string[] = []): ChildRun {
  const args = ["--expose-gc", ...nodeFlags, "--import", "tsx", child, file, PROJECT, SECRET, mode];
  const out = execFileSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split("\n").pop()!) as ChildRun;
}

interface SizeResult {
  entries: number;
  buildSeconds: number;
  fileMB: number;
  verifySeconds: number;
  verifyEntriesPerSec: number;
  scanEntriesPerSec: number;
  /** Max RSS of the verifying process. */
  peakRssMB: number;
  /** What verification added to the process at rest (peak RSS − RSS before the walk). */
  rssGrowthMB: number;
  peakHeapUsedMB: number;
  /** Heap still in use after a full GC, at its largest during the walk. */
  liveHeapMB: number;
}

const MB = 1024 * 1024;

async function measure(dir: string, entries: number, rounds: number): Promise<SizeResult> {
  const file = join(dir, `audit-${entries}.db`);
  const buildSeconds = await buildChain(file, entries);
  const verifies: ChildRun[] = [];
  const scans: ChildRun[] = [];
  for (let i = 0; i < rounds; i++) {
    const v = runChild(file, "verify");
    if (!v.ok || v.entries !== entries) throw new Error(`the ${entries}-entry chain did not verify: ${JSON.stringify(v)}`);
    verifies.push(v);
    scans.push(runChild(file, "scan"));
  }
  const verifySeconds = median(verifies.map((r) => r.seconds));
  return {
    entries,
    buildSeconds,
    fileMB: statSync(file).size / MB,
    verifySeconds,
    verifyEntriesPerSec: entries / verifySeconds,
    scanEntriesPerSec: entries / median(scans.map((r) => r.seconds)),
    peakRssMB: median(verifies.map((r) => r.peakRss)) / MB,
    rssGrowthMB: median(verifies.map((r) => Math.max(0, r.peakRss - r.rssBefore))) / MB,
    peakHeapUsedMB: median(verifies.map((r) => r.peakHeapUsed)) / MB,
    liveHeapMB: median(verifies.map((r) => r.liveHeap)) / MB,
  };
}

/** An old-space cap far below what a log-sized structure would need at 1M entries. */
const HEAP_CAP_MB = 24;

export async function benchAuditVerify(opts: { sizes?: [number, number]; rounds?: number } = {}): Promise<Record<string, unknown>> {
  const [small, large] = opts.sizes ?? [100_000, 1_000_000];
  const rounds = opts.rounds ?? 3;
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-bench-audit-"));
  try {
    const a = await measure(dir, small, rounds);
    const b = await measure(dir, large, rounds);
    // Constant memory, shown a second way: the large chain verifies under a small heap cap.
    let capped: ChildRun | null = null;
    try {
      capped = runChild(join(dir, `audit-${large}.db`), "verify", [`--max-old-space-size=${HEAP_CAP_MB}`]);
    } catch {
      capped = null;
    }
    const cappedOk = capped?.ok && capped.entries === large;
    const line = (r: SizeResult) =>
      `  ${fmt(r.entries).padStart(9)} entries  ${fmt(r.verifySeconds, 2).padStart(6)} s  ${fmt(r.verifyEntriesPerSec).padStart(7)} entries/s` +
      ` (scan only ${fmt(r.scanEntriesPerSec)}/s)  peak RSS ${fmt(r.peakRssMB, 1)} MB (+${fmt(r.rssGrowthMB, 1)} while verifying)` +
      `  heap: live ${fmt(r.liveHeapMB, 1)} MB, peak ${fmt(r.peakHeapUsedMB, 1)} MB  (file ${fmt(r.fileMB)} MB, built in ${fmt(r.buildSeconds, 1)} s)`;
    console.log(`Audit verify (a signed checkpoint every ${fmt(CHECKPOINT_EVERY)} entries; each verification in its own process; ${rounds} rounds, median)`);
    console.log(line(a));
    console.log(line(b));
    console.log(
      `  ${fmt(large / small)}× the entries: time ${fmt(b.verifySeconds / a.verifySeconds, 2)}×; peak RSS ${fmt(b.peakRssMB / a.peakRssMB, 2)}×, ` +
        `live heap ${fmt(b.liveHeapMB / a.liveHeapMB, 2)}× (target ≈ 1: constant memory); verify/scan rate ${fmt(b.verifyEntriesPerSec / b.scanEntriesPerSec, 2)}`,
    );
    console.log(
      `  ${fmt(large)} entries under --max-old-space-size=${HEAP_CAP_MB}: ${cappedOk ? `verified in ${fmt(capped!.seconds, 2)} s, peak RSS ${fmt(capped!.peakRss / MB, 1)} MB` : "FAILED"}`,
    );
    return {
      checkpointEvery: CHECKPOINT_EVERY,
      small: a,
      large: b,
      timeRatio: b.verifySeconds / a.verifySeconds,
      peakRssRatio: b.peakRssMB / a.peakRssMB,
      liveHeapRatio: b.liveHeapMB / a.liveHeapMB,
      peakHeapRatio: b.peakHeapUsedMB / a.peakHeapUsedMB,
      verifyToScanRatio: b.verifyEntriesPerSec / b.scanEntriesPerSec,
      heapCapMB: HEAP_CAP_MB,
      verifiesUnderHeapCap: cappedOk,
      cappedSeconds: capped?.seconds ?? null,
      cappedPeakRssMB: capped ? capped.peakRss / MB : null,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
