/** What a verification of one chain found (store: audit_verifications.report; wire: the same JSON). */

export interface VerifyProblem {
  /** The first sequence number the trail can no longer vouch for. */
  seq: number;
  reason: string;
  /** When the problem spans entries that cannot be told apart (a consistent rewrite): the last of them. */
  to?: number;
}

export interface VerifyReport {
  /** Nothing was found broken (an unanchored tail is not broken; see `unanchored`). */
  ok: boolean;
  projectId: string;
  entries: number;
  checkpoints: number;
  head: { seq: number; hash: string } | null;
  /** The last checkpoint whose signature, head and tree head all held. */
  lastGoodCheckpoint: number | null;
  firstBad: VerifyProblem | null;
  payloads: {
    /** Payloads hashed and equal to their entry's payloadHash. */
    checked: number;
    /** Bodies retention reduced, each matched against the hash its purge recorded. */
    reduced: number;
    /** Payloads retention deleted, each matched against its run's purge. */
    purged: number;
    /** Bodies reduced by purges written before purges recorded hashes: accepted on the purge's word. */
    unverifiable: number;
  };
  anchors: {
    /** Checkpoints read back from outside the database (the checkpoint file, a webhook receiver). */
    external: { sources: string[]; checkpoints: number } | null;
    /** The latest signed system anchor listing this chain, and the entries it vouches for. */
    system: { seq: number; time: string; covers: number } | null;
  };
  /**
   * Entries past the last checkpoint (or system anchor) that held, when the oldest of them is
   * older than the configured grace: nothing signed vouches for them yet, which is also what a
   * tail cut together with its checkpoints, or entries forged after the head, look like.
   */
  unanchored: { from: number; to: number; entries: number; since: string } | null;
}

export const NO_PAYLOADS = (): VerifyReport["payloads"] => ({ checked: 0, reduced: 0, purged: 0, unverifiable: 0 });
