import { open } from "node:fs/promises";
import type { Config } from "../../app/config.js";
import type { Store } from "../../platform/db/client.js";
import type { CheckpointSigner } from "./chain.js";
import { lastCheckpoint, markCheckpointsExported, projectsNeedingCheckpoint, unexportedCheckpoints } from "./store.js";
import { createCheckpoint, UnsignableChain } from "./checkpoints.js";
import { AnchorRefused, SYSTEM_CHAIN, writeSystemAnchor } from "./system-anchor.js";

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
export async function runCheckpointJob(deps: CheckpointJobDeps, opts: { minEntries?: number } = {}): Promise<CheckpointJobResult> {
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
  // Every project's head, anchored in the system chain: hourly (minEntries 1), and from the
  // watcher for a new project at once, or every ANCHOR_EVERY_MS while heads move.
  const last = await lastCheckpoint(deps.store.client, SYSTEM_CHAIN);
  const stale = !last || deps.now() - last.time >= ANCHOR_EVERY_MS;
  let anchors = 0;
  try {
    if ((await writeSystemAnchor(deps.store.client, deps.signer, deps.now(), { onlyNewProjects: minEntries > 1 && !stale })).checkpoint) anchors++;
  } catch (err) {
    if (!(err instanceof AnchorRefused)) throw err;
    refused.push(err.message);
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
 * seconds rather than hooking every writer, so no write path pays for signing.
 */
export class CheckpointWatcher {
  readonly #deps: CheckpointJobDeps;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | null = null;

  constructor(deps: CheckpointJobDeps, onError: (err: unknown) => void) {
    this.#deps = deps;
    this.#onError = onError;
  }

  start(intervalMs = 2_000): void {
    this.#timer ??= setInterval(() => void this.tick(), intervalMs).unref();
  }

  /** One pass; overlapping calls share it. */
  tick(minEntries = this.#deps.config.audit.checkpointEvery): Promise<unknown> {
    this.#running ??= runCheckpointJob(this.#deps, { minEntries })
      .catch(this.#onError)
      .finally(() => (this.#running = null));
    return this.#running;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
