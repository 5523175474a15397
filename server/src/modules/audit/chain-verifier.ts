import type { KeyObject } from "node:crypto";
import { checkpointSignatureValid, entryHash, GENESIS_HASH, type SignedCheckpoint, type StoredEntry } from "./chain.js";
import { leafHash, MerkleFrontier, type TreeNode } from "./merkle.js";
import type { VerifyProblem } from "./report.js";

/**
 * Where a checkpoint the verifier was given comes from: the database, a copy outside it, both
 * (the same), or a copy outside it that differs from the database's row ("replaced": the copy
 * is what is checked).
 */
export type CheckpointSource = "database" | "external" | "both" | "replaced";

/**
 * Walks one chain in sequence order, one entry at a time (constant memory: the running hash, the
 * Merkle frontier, the last few hashes), with its checkpoints merged in by sequence number. The
 * first problem wins; later ones follow from it.
 *
 * What each tampering looks like from here, and the entry named:
 * - an edited field, or two swapped entries: the recomputed hash differs from the stored one, at
 *   the edited (or first swapped) entry;
 * - a deleted entry: a gap in the sequence numbers, at the missing number (deleted and the rest
 *   renumbered: the first renumbered entry's hash fails, at the same number);
 * - a forged insertion: the entries after it had to be renumbered; if the forger chained the
 *   inserted entries' hashes, the first displaced entry still verifies under its old number and
 *   the hash of the entry before the insertion, which names the first inserted entry exactly;
 * - a truncated tail: a checkpoint (or, in store.ts, the tree the server keeps, or the system
 *   anchor) covers entries that are no longer there: the first missing one;
 * - a chain recomputed without the key: its hashes agree with each other, but not with a signed
 *   checkpoint's head and tree head, and a checkpoint re-signed without the key fails its
 *   signature. The changed entry cannot be told from the consistent rewrite after it, so the
 *   report names the first entry after the last checkpoint that still holds, with `to` the
 *   checkpoint that does not; the tree nodes the server kept as it appended narrow that to a block
 *   of 1,024 entries when the rewrite left them alone.
 */
export class ChainVerifier {
  readonly #projectId: string;
  readonly #publicKey: KeyObject;
  #prevHash = GENESIS_HASH;
  #nextSeq = 1;
  #entries = 0;
  #checkpoints = 0;
  #prevSignature = "";
  #lastGood: number | null = null;
  #firstBad: VerifyProblem | null = null;
  /**
   * A checkpoint whose head differs, judged on the next entry: if that entry is the one first
   * written under the checkpoint's number (forged entries were inserted before it), the first
   * inserted one is named rather than the whole range.
   */
  #pending: VerifyProblem | null = null;
  readonly #tree = new MerkleFrontier();
  /** The hashes of the last RECENT entries, by seq % RECENT, to name a chained forged insertion. */
  readonly #recent: string[] = [];
  #closed: TreeNode[] = [];

  constructor(projectId: string, publicKey: KeyObject) {
    this.#projectId = projectId;
    this.#publicKey = publicKey;
  }

  get failed(): boolean {
    return this.#firstBad !== null;
  }

  /** The last entry that verified (0 before the first). */
  get verifiedUpTo(): number {
    return this.#nextSeq - 1;
  }

  get lastGoodCheckpoint(): number | null {
    return this.#lastGood;
  }

  get entries(): number {
    return this.#entries;
  }

  get checkpoints(): number {
    return this.#checkpoints;
  }

  get head(): { seq: number; hash: string } | null {
    return this.#nextSeq > 1 ? { seq: this.#nextSeq - 1, hash: this.#prevHash } : null;
  }

  get firstBad(): VerifyProblem | null {
    return this.#firstBad;
  }

  /** Subtrees of 1,024 entries and more the walk's tree closed since the last call (store.ts compares them with the stored ones). */
  takeClosedNodes(): TreeNode[] {
    const nodes = this.#closed;
    this.#closed = [];
    return nodes;
  }

  /** Feed entries in ascending seq order. */
  entry(e: StoredEntry): void {
    if (this.#firstBad) return;
    if (this.#pending) {
      const inserted = e.seq === this.#nextSeq && entryHash(this.#prevHash, e) !== e.hash ? this.#insertedBefore(e) : null;
      if (inserted !== null)
        return this.fail(inserted, `entries ${inserted}–${e.seq - 1} were inserted: entry ${e.seq} is the entry first written as number ${inserted}`);
      return this.finish();
    }
    this.#entries++;
    if (e.projectId !== this.#projectId) return this.fail(e.seq, `entry ${e.seq} belongs to another project`);
    if (e.seq !== this.#nextSeq) {
      return this.fail(this.#nextSeq, `entry ${this.#nextSeq} is missing (the next entry found is ${e.seq})`);
    }
    if (entryHash(this.#prevHash, e) !== e.hash) {
      const inserted = this.#insertedBefore(e);
      if (inserted !== null) {
        return this.fail(inserted, `entries ${inserted}–${e.seq - 1} were inserted: entry ${e.seq} is the entry first written as number ${inserted}`);
      }
      return this.fail(e.seq, `entry ${e.seq} does not match its hash (edited, reordered, or entries were inserted or deleted here)`);
    }
    this.#prevHash = e.hash;
    this.#recent[e.seq % RECENT] = e.hash;
    this.#nextSeq = e.seq + 1;
    this.#tree.push(leafHash(e.hash), (n) => this.#closed.push(n));
  }

  /**
   * Feed a checkpoint right after the entry it names (or after the last entry, if that is
   * missing). `source` says whether it came from the database, from a copy outside it, or both.
   */
  checkpoint(c: SignedCheckpoint, source: CheckpointSource = "database"): void {
    if (this.#firstBad || this.#pending) return;
    this.#checkpoints++;
    const after = (this.#lastGood ?? 0) + 1;
    const where = source === "external" || source === "replaced" ? "the copy outside the database of the checkpoint" : "the checkpoint";
    if (c.projectId !== this.#projectId) return this.fail(after, `${where} at entry ${c.seq} belongs to another project`);
    if (!checkpointSignatureValid(c, this.#publicKey)) {
      return this.fail(after, `${where} at entry ${c.seq} has an invalid signature (re-signed or edited without the key)`, c.seq);
    }
    if (c.prevSignature !== this.#prevSignature) {
      return this.fail(after, `${where} at entry ${c.seq} does not follow the previous checkpoint (a checkpoint was removed or reordered)`, c.seq);
    }
    if (c.seq >= this.#nextSeq) {
      return this.fail(this.#nextSeq, `entries ${this.#nextSeq}–${c.seq} are missing: ${where} at entry ${c.seq} covers them (truncated tail)`);
    }
    // The verifier only keeps the running hash and tree, so the checkpoint must arrive right after its entry.
    if (c.seq !== this.#nextSeq - 1) throw new Error(`checkpoint ${c.seq} fed out of order (next entry ${this.#nextSeq})`);
    if (c.headHash !== this.#prevHash) {
      this.#pending = { seq: after, reason: `entries ${after}–${c.seq} differ from what ${where} at entry ${c.seq} signed (chain rewritten)`, to: c.seq };
      return;
    }
    if (c.rootHash !== undefined && c.rootHash !== this.#tree.root().toString("hex")) {
      return this.fail(after, `entries ${after}–${c.seq} differ from the tree head ${where} at entry ${c.seq} signed`, c.seq);
    }
    if (source === "external") {
      // Signed by the key and chained, but gone from the database, whose rows refuse DELETE.
      return this.fail(after, `the checkpoint at entry ${c.seq} is gone from the database; its copy outside it still holds (checkpoints were removed)`, c.seq);
    }
    if (source === "replaced") {
      return this.fail(after, `the checkpoint at entry ${c.seq} in the database differs from its copy outside it, which holds (replaced)`, c.seq);
    }
    this.#prevSignature = c.signature;
    this.#lastGood = c.seq;
  }

  /** After the last entry and checkpoint: a checkpoint left in doubt is judged as it stands. */
  finish(): void {
    const pending = this.#pending;
    this.#pending = null;
    if (pending) this.fail(pending.seq, pending.reason, pending.to);
  }

  /** A problem found beside the chain (a payload, an anchor, the kept tree): the first one found is kept. */
  fail(seq: number, reason: string, to?: number): void {
    if (this.#firstBad) return;
    this.#firstBad = to === undefined || to === seq ? { seq, reason } : { seq, reason, to };
  }

  /**
   * When `e` fails its hash: the number it was first written under, if forged entries with
   * chained hashes were inserted before it (it then still verifies under its old number and the
   * hash of the entry before the insertion).
   */
  #insertedBefore(e: StoredEntry): number | null {
    for (let n = 1; n < RECENT && n < e.seq; n++) {
      const seq = e.seq - n;
      const prev = seq === 1 ? GENESIS_HASH : this.#recent[(seq - 1) % RECENT];
      if (prev === undefined) return null;
      if (entryHash(prev, { ...e, seq }) === e.hash) return seq;
    }
    return null;
  }
}

/** How many forged entries in a row a chained insertion can be traced back through. */
const RECENT = 64;
