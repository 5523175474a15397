import { open } from "node:fs/promises";
import type { Config } from "../../app/config.js";
import type { Store } from "../../platform/db/client.js";
import type { CheckpointSigner } from "./chain.js";
import { countProjects, markCheckpointsExported, projectsNeedingCheckpoint, unexportedCheckpoints } from "./store.js";
import { createCheckpoint, UnsignableChain } from "./checkpoints.js";
import { AnchorRefused, writeSystemAnchor } from "./system-anchor.js";

export interface CheckpointJobDeps {
  store: Store;
  now: () => number;
  config: Readonly<Config>;
  signer: CheckpointSigner;
}

export interface CheckpointJobResult {
  /** Projects looked at. */
  rowsRead: number;
  checkpoints: number;
  /** 1 when a system anchor listing every project's head was written. */
  anchors: number;
  exported: number;
}

/** Between the hourly runs, the watcher anchors every project's head at most this often (and a new project at once). */
export const ANCHOR_EVERY_MS = 5 * 60_000;

/**
 * Signs a checkpoint for every project whose chain grew by at least `minEntries` since its last
 * one (every N entries or hour: the scheduler runs this hourly with 1, the server's
 * watcher every few seconds with N), anchors every project's head in the system chain
 * (system-anchor.ts), then copies new checkpoints, the system chain's among them, to the
 * configured file. A chain that must not be signed (UnsignableChain) fails the run, after the
 * others are done.
 *
 * The file gets a line per checkpoint before its export is recorded, so a crash in between
 * repeats a line rather than losing one; verifiers match lines by (projectId, seq).
 */
export async function runCheckpointJob(deps: CheckpointJobDeps, opts: { minEntries?: number; anchor?: boolean } = {}): Promise<CheckpointJobResult> {
  const minEntries = opts.minEntries ?? 1;
  const due = await projectsNeedingCheckpoint(deps.store.db);
  let checkpoints = 0;
  const refused: string[] = [];
  for (const p of due) {
    if (p.head - p.checkpointed < minEntries) continue;
    try {
      if (await createCheckpoint(deps.store.client, p.projectId, deps.signer, deps.now())) checkpoints++;
    } catch (err) {
      // One chain that must not be signed does not stop the others from being anchored.
      if (!(err instanceof UnsignableChain)) throw err;
      refused.push(err.message);
    }
  }
  // Every project's head, anchored in the system chain (written only when a head moved or a
  // project appeared); the watcher says when it is due between the hourly runs.
  let anchors = 0;
  if (opts.anchor !== false) {
    try {
      if ((await writeSystemAnchor(deps.store.client, deps.signer, deps.now())).checkpoint) anchors++;
    } catch (err) {
      if (!(err instanceof AnchorRefused)) throw err;
      refused.push(err.message);
    }
  }
  let exported = 0;
  const file = deps.config.audit.checkpointFile;
  if (file) {
    const target = `file:${file}`;
    for (;;) {
      const batch = await unexportedCheckpoints(deps.store.db, target, 500);
      if (batch.length === 0) break;
      const handle = await open(file, "a", 0o600);
      try {
        await handle.appendFile(batch.map((c) => JSON.stringify(c) + "\n").join(""));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await markCheckpointsExported(deps.store.client, target, batch, deps.now());
      exported += batch.length;
    }
  }
  if (refused.length > 0) throw new Error(refused.join("; "));
  return { rowsRead: due.length, checkpoints, anchors, exported };
}

/**
 * Checkpoints every N entries: polls the chain heads (one indexed read per project) every few
 * seconds rather than hooking every writer, so no write path pays for signing. Anchors every
 * project's head at once when the number of projects changes (a new project is anchored within
 * seconds) and otherwise every ANCHOR_EVERY_MS: an anchor takes the write lock, which a poll
 * every few seconds should not.
 */
export class CheckpointWatcher {
  readonly #deps: CheckpointJobDeps;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | null = null;
  #projects = -1;
  #anchoredAt = -Infinity;

  constructor(deps: CheckpointJobDeps, onError: (err: unknown) => void) {
    this.#deps = deps;
    this.#onError = onError;
  }

  start(intervalMs = 2_000): void {
    this.#timer ??= setInterval(() => void this.tick(), intervalMs).unref();
  }

  /** One pass; overlapping calls share it. */
  tick(minEntries = this.#deps.config.audit.checkpointEvery): Promise<unknown> {
    this.#running ??= this.#pass(minEntries)
      .catch(this.#onError)
      .finally(() => (this.#running = null));
    return this.#running;
  }

  async #pass(minEntries: number): Promise<CheckpointJobResult> {
    const now = this.#deps.now();
    const projects = await countProjects(this.#deps.store.db);
    const anchor = minEntries <= 1 || projects !== this.#projects || now - this.#anchoredAt >= ANCHOR_EVERY_MS;
    if (anchor) {
      this.#projects = projects;
      this.#anchoredAt = now;
    }
    return runCheckpointJob(this.#deps, { minEntries, anchor });
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
