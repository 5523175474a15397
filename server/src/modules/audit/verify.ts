import type { KeyObject } from "node:crypto";
import type { Db } from "../../platform/db/client.js";
import { checkpointSignatureValid, type SignedCheckpoint } from "./chain.js";
import { ChainVerifier, type CheckpointSource } from "./chain-verifier.js";
import type { ExternalCheckpoints } from "./anchors.js";
import { STORED_LEVEL } from "./merkle.js";
import { PayloadChecker } from "./payload-check.js";
import { NO_PAYLOADS, type VerifyReport } from "./report.js";
import { readAuditHead, readCheckpoints, readEntriesWithPayload, readTreeNodes } from "./store.js";
import { readSystemAnchor, SYSTEM_CHAIN, type SystemAnchor } from "./system-anchor.js";
import { treeProblem } from "./tree-store.js";
import { PROJECT_KEY } from "../../platform/db/project-key.js";

/** ~4–5 ms of work a page (reading ~10 µs an entry, hashing ~1.5 µs). */
const VERIFY_PAGE = 400;

export interface VerifyOptions {
  /**
   * Check entries and checkpoints up to this sequence number only (a background verification
   * fixes it when it begins, so it ends while the chain keeps growing). Pass at least the last
   * checkpoint's seq, or a truncated tail would go unseen.
   */
  upTo?: number;
  /** Told the number of entries recomputed so far, once per page. */
  onProgress?: (checked: number) => void | Promise<void>;
  /** Stops between pages (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Checkpoints read back from outside the database (anchors.ts); those signed after `externalUpTo` are left out. */
  external?: ExternalCheckpoints | null;
  externalUpTo?: number;
  /** The latest system anchor (system-anchor.ts), read from the store when not given; null to leave it out. */
  systemAnchor?: SystemAnchor | string | null;
  /** Now, and how old the first unanchored entry may be before the tail is reported (default 90 minutes). */
  now?: number;
  unanchoredAfterMs?: number;
}

export const DEFAULT_UNANCHORED_AFTER_MS = 90 * 60_000;

/** DB and external checkpoints merged by seq, each with where it came from. */
async function* mergedCheckpoints(
  db: AsyncGenerator<SignedCheckpoint>,
  external: readonly SignedCheckpoint[],
): AsyncGenerator<{ c: SignedCheckpoint; source: CheckpointSource }> {
  let i = 0;
  for await (const c of db) {
    while (i < external.length && external[i]!.seq < c.seq) yield { c: external[i++]!, source: "external" };
    if (i < external.length && external[i]!.seq === c.seq) {
      const outside = external[i++]!;
      yield outside.signature === c.signature ? { c, source: "both" } : { c: outside, source: "replaced" };
    } else {
      yield { c, source: "database" };
    }
  }
  while (i < external.length) yield { c: external[i++]!, source: "external" };
}

/**
 * Verifies one chain: recomputes every entry's hash and its Merkle tree, hashes every payload
 * still present (payload-check.ts), checks every signed checkpoint from the database and from
 * outside it, compares the tree the server kept as it appended, and the chain's head as the
 * latest system anchor lists it; then reports the tail nothing signed covers yet. Holds one page
 * of entries and a few hashes at a time (the external checkpoints of this chain aside).
 */
export async function verifyAudit(db: Db, projectId: string, publicKey: KeyObject, options: VerifyOptions = {}): Promise<VerifyReport> {
  const { upTo = Number.MAX_SAFE_INTEGER, onProgress, signal, external = null } = options;
  const verifier = new ChainVerifier(projectId, publicKey);
  const payloads = new PayloadChecker(db.$client, projectId);
  const outside = (external?.byProject.get(projectId) ?? []).filter((c) => options.externalUpTo === undefined || c.time <= options.externalUpTo);
  const checkpoints = mergedCheckpoints(readCheckpoints(db, projectId, 1_000, upTo), outside);
  const kept = readTreeNodes(db, projectId, STORED_LEVEL);
  let keptNext = (await kept.next()).value as { index: number; hash: string } | undefined;
  // Small pages: reading one holds the thread (the embedded driver is synchronous), and a walk
  // over a long chain runs beside the server's other requests, which wait for it between pages.
  const entries = readEntriesWithPayload(db, projectId, VERIFY_PAGE, upTo, async (checked) => {
    signal?.throwIfAborted();
    payloads.passed(verifier.verifiedUpTo);
    await onProgress?.(checked);
  });
  try {
    let next = (await checkpoints.next()).value as { c: SignedCheckpoint; source: CheckpointSource } | undefined;
    for await (const e of entries) {
      verifier.entry(e);
      if (verifier.failed) break;
      const problem = await payloads.check(e);
      if (problem) verifier.fail(e.seq, problem);
      while (!verifier.failed && next && next.c.seq <= e.seq) {
        verifier.checkpoint(next.c, next.source);
        next = (await checkpoints.next()).value as typeof next;
      }
      // The server kept the tree's nodes as it appended: one that differs narrows a consistent
      // rewrite down to its block of entries.
      for (const node of verifier.takeClosedNodes()) {
        if (node.level !== STORED_LEVEL) continue;
        while (keptNext && keptNext.index < node.index) keptNext = (await kept.next()).value as typeof keptNext;
        if (keptNext?.index === node.index && keptNext.hash !== node.hash.toString("hex")) {
          const first = node.index * 2 ** STORED_LEVEL + 1;
          const last = first + 2 ** STORED_LEVEL - 1;
          verifier.fail(first, `entries ${first}–${last} differ from what the server appended (the tree it kept as it wrote them disagrees)`, last);
        }
      }
      if (verifier.failed) break;
    }
    // Checkpoints past the last entry: the tail they signed is gone.
    while (!verifier.failed && next) {
      verifier.checkpoint(next.c, next.source);
      next = (await checkpoints.next()).value as typeof next;
    }
    verifier.finish();
  } finally {
    await checkpoints.return(undefined);
    await entries.return(undefined);
    await kept.return(undefined);
  }
  await onProgress?.(verifier.entries);

  const report: VerifyReport = {
    ok: true,
    projectId,
    entries: verifier.entries,
    checkpoints: verifier.checkpoints,
    head: verifier.head,
    lastGoodCheckpoint: verifier.lastGoodCheckpoint,
    firstBad: verifier.firstBad,
    payloads: { ...NO_PAYLOADS(), ...payloads.counts },
    anchors: { external: external ? { sources: external.sources, checkpoints: outside.length } : null, system: null },
    unanchored: null,
  };
  const fail = (seq: number, reason: string, to?: number) => {
    if (report.firstBad === null) report.firstBad = to === undefined ? { seq, reason } : { seq, reason, to };
  };
  // A forged purge found later in the walk: the first payload accepted on its word is the first bad entry.
  if (report.firstBad) {
    const relied = payloads.reliedOn(report.firstBad.seq);
    if (relied !== null) {
      report.firstBad = {
        seq: relied,
        reason: `the payload of entry ${relied} was taken as removed by retention on the word of entry ${report.firstBad.seq}, which does not hold: ${report.firstBad.reason}`,
      };
    }
  }
  const vouched = (report.lastGoodCheckpoint ?? 0) + 1;

  let systemCovers = 0;
  if (!report.firstBad && projectId !== SYSTEM_CHAIN && options.systemAnchor !== null) {
    const anchor = options.systemAnchor === undefined ? await readSystemAnchor(db.$client) : options.systemAnchor;
    if (typeof anchor === "string") {
      fail(vouched, `the system anchor does not hold, so the chain's length cannot be confirmed: ${anchor}`);
    } else if (anchor) {
      const lost = (external?.byProject.get(SYSTEM_CHAIN) ?? []).filter((c) => c.seq > anchor.checkpoint.seq && checkpointSignatureValid(c, publicKey));
      const listed = anchor.listing.get(projectId);
      if (lost.length > 0) {
        fail(vouched, `the system chain has lost its anchors ${anchor.checkpoint.seq + 1}–${lost.at(-1)!.seq}, whose copies outside the database remain`);
      } else if (listed && listed.seq > 0) {
        const head = (await readAuditHead(db.$client, projectId))?.seq ?? 0;
        const at = await db.$client.execute({
          sql: `SELECT lower(hex(hash)) FROM audit_log WHERE project_key = ${PROJECT_KEY} AND seq = ?`,
          args: [projectId, listed.seq],
        });
        const when = new Date(anchor.checkpoint.time).toISOString();
        if (listed.seq > head) {
          fail(head + 1, `entries ${head + 1}–${listed.seq} are missing: the system anchor signed at ${when} lists ${listed.seq} entries (truncated tail)`);
        } else if (!at.rows[0] || String(at.rows[0][0]) !== listed.hash) {
          fail(vouched, `entries ${vouched}–${listed.seq} differ from the head the system anchor signed at ${when} lists (chain rewritten)`, listed.seq);
        } else {
          systemCovers = listed.seq;
          report.anchors.system = { seq: anchor.checkpoint.seq, time: when, covers: listed.seq };
        }
      }
    }
  }

  // Last, the tripwire: the tree the server kept as it appended (unsigned, so after the signed evidence).
  if (!report.firstBad) {
    const problem = await treeProblem(db.$client, projectId, await readAuditHead(db.$client, projectId));
    if (problem && problem.seq <= upTo + 1) fail(problem.seq, problem.reason);
  }

  report.ok = report.firstBad === null;
  if (report.ok && report.head) {
    const anchoredUpTo = Math.max(report.lastGoodCheckpoint ?? 0, systemCovers);
    if (report.head.seq > anchoredUpTo) {
      const rs = await db.$client.execute({
        sql: `SELECT time FROM audit_log WHERE project_key = ${PROJECT_KEY} AND seq = ?`,
        args: [projectId, anchoredUpTo + 1],
      });
      const since = Number(rs.rows[0]?.[0] ?? 0);
      const now = options.now ?? Date.now();
      if (since < now - (options.unanchoredAfterMs ?? DEFAULT_UNANCHORED_AFTER_MS)) {
        report.unanchored = { from: anchoredUpTo + 1, to: report.head.seq, entries: report.head.seq - anchoredUpTo, since: new Date(since).toISOString() };
      }
    }
  }
  return report;
}
