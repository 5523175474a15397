import type { KeyObject } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { AuditVerificationView } from "./contract.js";
import type { Store } from "../../platform/db/client.js";
import type { Config } from "../../app/config.js";
import type { Logger } from "../../app/logger.js";
import { configuredAnchors, readExternalCheckpoints } from "./anchors.js";
import { SYSTEM_CHAIN } from "./system-anchor.js";
import { verifyAudit } from "./verify.js";
import { finishVerification, getVerification, listVerifications, recordVerificationProgress, startVerification } from "./verifications-store.js";

export interface AuditVerifierOptions {
  /** How often a running verification writes its progress (also its heartbeat). */
  heartbeatMs?: number;
  /** A running verification not refreshed for this long is taken as abandoned. */
  staleMs?: number;
}

/**
 * Runs verifications of the audit chain in the background ("an API route recomputes the
 * chain"). The walk is linear in the chain, minutes at ten million entries, which no HTTP request
 * should be held open for (proxies give up, clients retry and start another walk). So a request
 * starts one (or joins the one running for its project) and is answered at once; the walk writes
 * its progress to the store as it goes, so any instance can say how far it got, and its report
 * when it ends. Verifying reads the chain only: it adds nothing to the audit trail.
 */
export class AuditVerifier {
  readonly staleMs: number;
  readonly #heartbeatMs: number;
  /** Verifications this process runs, by id, settled when each has recorded its outcome. */
  readonly #running = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();

  constructor(
    private readonly deps: { store: Store; now: () => number; log: Logger; publicKey: KeyObject; audit?: Config["audit"] },
    options: AuditVerifierOptions = {},
  ) {
    this.#heartbeatMs = options.heartbeatMs ?? 1_000;
    this.staleMs = options.staleMs ?? 30_000;
  }

  /** Starts a verification of the project's chain, or joins the one running (`created: false`). */
  async start(projectId: string, actor: string): Promise<{ verification: AuditVerificationView; created: boolean }> {
    const { row, created } = await startVerification(this.deps.store.client, { projectId, actor, now: this.deps.now(), staleMs: this.staleMs });
    if (created) {
      const done = this.#run(projectId, row).finally(() => this.#running.delete(row.id));
      this.#running.set(row.id, done);
    }
    return { verification: row, created };
  }

  /**
   * The verification, after waiting up to `waitMs` for it to finish: on the promise when this
   * process runs it, else by reading the store every 250 ms (another instance runs it).
   */
  async get(projectId: string, id: string, waitMs = 0): Promise<AuditVerificationView | null> {
    const deadline = performance.now() + waitMs;
    for (;;) {
      const v = await getVerification(this.deps.store.client, projectId, id, this.deps.now(), this.staleMs);
      const left = deadline - performance.now();
      if (v?.status !== "running" || left <= 0) return v;
      const local = this.#running.get(id);
      if (!local) {
        await sleep(Math.min(250, left));
        continue;
      }
      const timer = new AbortController();
      await Promise.race([local, sleep(left, undefined, { signal: timer.signal }).catch(() => {})]);
      timer.abort();
    }
  }

  list(projectId: string, limit: number): Promise<AuditVerificationView[]> {
    return listVerifications(this.deps.store.client, projectId, limit, this.deps.now(), this.staleMs);
  }

  /** Stops the walks this process runs (each records that it was stopped) and waits for them. */
  async close(): Promise<void> {
    this.#abort.abort(new Error("stopped: the server shut down before the verification finished"));
    await Promise.allSettled([...this.#running.values()]);
  }

  async #run(projectId: string, row: AuditVerificationView): Promise<void> {
    const { store, now, log, publicKey } = this.deps;
    const signal = this.#abort.signal;
    let checked = 0;
    let beat = performance.now();
    try {
      // The copies outside the database, when configured, are read for every verification: a
      // rewrite that also replaced the database's own checkpoints shows against them.
      const sources = this.deps.audit ? configuredAnchors(this.deps.audit) : [];
      const external = sources.length > 0 ? await readExternalCheckpoints(sources, publicKey, new Set([projectId, SYSTEM_CHAIN]), signal) : null;
      const report = await verifyAudit(store.db, projectId, publicKey, {
        upTo: row.upTo,
        external,
        externalUpTo: Date.parse(row.startedAt),
        now: Date.parse(row.startedAt),
        ...(this.deps.audit ? { unanchoredAfterMs: this.deps.audit.unanchoredAfterMs } : {}),
        signal,
        onProgress: async (n) => {
          checked = n;
          if (performance.now() - beat < this.#heartbeatMs) return;
          beat = performance.now();
          // A missed heartbeat (the write lock busy for long) only delays the progress shown.
          await recordVerificationProgress(store.client, row.id, n, now()).catch((err: unknown) =>
            log.error("audit verification progress not recorded", { id: row.id, err: String(err) }),
          );
        },
      });
      await this.#finish(row.id, { report });
    } catch (err) {
      const message = signal.aborted ? String((signal.reason as Error).message) : err instanceof Error ? err.message : String(err);
      if (!signal.aborted) log.error("audit verification failed", { id: row.id, err: String(err) });
      await this.#finish(row.id, { error: message, checked });
    }
  }

  /** Records the outcome, retrying a few times: the store's write lock may be busy for a while. */
  async #finish(id: string, outcome: Parameters<typeof finishVerification>[2]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await finishVerification(this.deps.store.client, id, outcome, this.deps.now());
        return;
      } catch (err) {
        if (attempt >= 5 || this.#abort.signal.aborted) {
          // Left running: it reads as abandoned once its heartbeat is stale.
          this.deps.log.error("audit verification outcome not recorded", { id, err: String(err) });
          return;
        }
        await sleep(1_000 * attempt);
      }
    }
  }
}
