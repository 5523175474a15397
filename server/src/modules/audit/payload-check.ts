import type { Client } from "@libsql/client";
import { sha256Hex, type StoredEntry } from "./chain.js";
import { fromStoredTextOr } from "../../platform/db/stored-text.js";
import { storedId } from "../../platform/db/stored-id.js";
import { PROJECT_KEY } from "../../platform/db/project-key.js";

/** An entry with the payload text the store holds for it now (null when there is none). */
export interface EntryWithPayload extends StoredEntry {
  payload: string | null;
}

export interface PayloadCounts {
  /** Payloads hashed and found equal to their entry's payloadHash. */
  checked: number;
  /** Event bodies retention reduced (`final`), each matched against the hash its purge entry recorded. */
  reduced: number;
  /** Payloads retention deleted (a TTL), each matched against the purge entry of its run. */
  purged: number;
  /**
   * Event bodies reduced by a purge from before purges recorded what they left: accepted on the
   * purge entry's word, their content unchecked.
   */
  unverifiable: number;
}

/** A `retention.purged` entry of a run, with what its payload says it changed. */
interface Purge {
  seq: number;
  mode: string;
  /** For `final`: the hash of each reduced payload, by entry; absent in purges written before. */
  payloads?: Record<string, string | null>;
  /** The purge's own payload matches its entry (the entry itself is checked by the walk). */
  intact: boolean;
}

/**
 * The text of a payload as read from the store (an event body may be stored compressed). A
 * compressed body that no longer decompresses was damaged or edited: it reads as a marker whose
 * hash matches no entry, so the verification reports it like any other edit.
 */
export function payloadText(value: unknown): string | null {
  return fromStoredTextOr(value, UNREADABLE_PAYLOAD);
}

/** What an undecodable compressed payload reads as. */
export const UNREADABLE_PAYLOAD = "(a compressed payload that does not decompress)";

/** What the store keeps as the payload of an entry: its event's body, the event entry before it, or audit_payloads. */
export function payloadKind(e: Pick<StoredEntry, "action" | "subject">): "event" | "gate" | "stored" {
  if (e.subject.startsWith("event:")) return "event";
  if (e.action.startsWith("gate.") && e.subject.startsWith("step:")) return "gate";
  return "stored";
}

/**
 * A run's purge entries with their payloads (arguments: project, run, as `storedId` gives them). INDEXED BY: without it
 * SQLite walks the project's whole chain in seq order, to spare itself sorting the few entries the
 * run index finds, once per purged run a verification meets.
 */
export const RUN_PURGES_SQL = `SELECT a.seq, lower(hex(a.payload_hash)), p.body FROM audit_log a INDEXED BY audit_log_run_idx
  LEFT JOIN audit_payloads p ON p.project_key = a.project_key AND p.seq = a.seq
  WHERE a.project_key = ${PROJECT_KEY} AND a.run_id = ? AND a.action = 'retention.purged' ORDER BY a.seq`;

/**
 * Hashes every payload still present against its entry's payloadHash, and tells a payload that
 * retention removed or reduced from one that was deleted or edited: a purge writes a
 * `retention.purged` entry for the run, after the entries it touched, saying what it did (for
 * `final`, the new hash of each body it reduced). A payload that differs, or is gone, with no
 * purge of its run accounting for it is a problem at that entry.
 *
 * Purges are looked up per run (the run index), a few hundred runs cached, so the cost follows
 * the purged entries, not the chain.
 */
export class PayloadChecker {
  readonly counts: PayloadCounts = { checked: 0, reduced: 0, purged: 0, unverifiable: 0 };
  readonly #client: Client;
  readonly #projectId: string;
  readonly #purges = new Map<string, Purge[]>();
  /** Entries accepted on a purge's word, by purge seq: the first one, should the purge prove forged. */
  readonly #relied = new Map<number, number>();
  #prev: StoredEntry | null = null;

  constructor(client: Client, projectId: string) {
    this.#client = client;
    this.#projectId = projectId;
  }

  /** The problem with `e`'s payload, or null. Feed entries in order, after their hash verified. */
  async check(e: EntryWithPayload): Promise<string | null> {
    const prev = this.#prev;
    this.#prev = e;
    const kind = payloadKind(e);
    if (kind === "gate") {
      // A gate decision carries the hash of the event it was decided on, written just before it.
      if (prev && payloadKind(prev) === "event" && prev.payloadHash === e.payloadHash) return null;
      return `entry ${e.seq} (a gate decision) does not carry the payload hash of the event entry before it`;
    }
    if (e.payload !== null && sha256Hex(e.payload) === e.payloadHash) {
      this.counts.checked++;
      return null;
    }
    const purges = e.runId === null ? [] : (await this.#purgesOf(e.runId)).filter((p) => p.seq > e.seq && p.intact);
    if (e.payload === null) {
      const purge = purges.find((p) => p.mode === "ttl" || (p.payloads !== undefined && p.payloads[e.seq] === null));
      if (purge) return this.#accept(e, purge, "purged");
      return `the payload of entry ${e.seq} is missing, and no retention purge of its run removed it`;
    }
    const now = sha256Hex(e.payload);
    const reducedBy = purges.find((p) => p.mode === "final" && p.payloads?.[e.seq] === now);
    if (reducedBy) return this.#accept(e, reducedBy, "reduced");
    const legacy = kind === "event" ? purges.find((p) => p.mode === "final" && p.payloads === undefined) : undefined;
    if (legacy) return this.#accept(e, legacy, "unverifiable");
    return `the payload of entry ${e.seq} does not match its hash (edited)`;
  }

  /**
   * When the walk finds the entry at `seq` bad: the first entry whose payload was accepted on its
   * word as a purge, which is then the first bad one (a forged purge covering an edit).
   */
  reliedOn(seq: number): number | null {
    return this.#relied.get(seq) ?? null;
  }

  /** The walk has verified up to `seq`: purges up to there are genuine, and need no more tracking. */
  passed(seq: number): void {
    if (this.#relied.size === 0) return;
    for (const p of this.#relied.keys()) if (p <= seq) this.#relied.delete(p);
  }

  #accept(e: EntryWithPayload, purge: Purge, as: "purged" | "reduced" | "unverifiable"): null {
    this.counts[as]++;
    // Bounded: past it a forged purge is named itself rather than the first entry it covered.
    if (!this.#relied.has(purge.seq) && this.#relied.size < 100_000) this.#relied.set(purge.seq, e.seq);
    return null;
  }

  async #purgesOf(runId: string): Promise<Purge[]> {
    const cached = this.#purges.get(runId);
    if (cached) return cached;
    const rs = await this.#client.execute({ sql: RUN_PURGES_SQL, args: [this.#projectId, storedId(runId)] });
    const purges = rs.rows.map((r): Purge => {
      const body = r[2] == null ? null : String(r[2]);
      let parsed: { mode?: unknown; payloads?: unknown } = {};
      try {
        parsed = body === null ? {} : (JSON.parse(body) as typeof parsed);
      } catch {
        // An unreadable purge payload accounts for nothing.
      }
      const payloads = typeof parsed.payloads === "object" && parsed.payloads !== null ? (parsed.payloads as Record<string, string | null>) : undefined;
      return {
        seq: Number(r[0]),
        mode: String(parsed.mode ?? ""),
        ...(payloads ? { payloads } : {}),
        intact: body !== null && sha256Hex(body) === String(r[1]),
      };
    });
    if (this.#purges.size >= 512) this.#purges.delete(this.#purges.keys().next().value!);
    this.#purges.set(runId, purges);
    return purges;
  }
}
