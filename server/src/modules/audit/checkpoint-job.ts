import { open } from "node:fs/promises";
import type { Config } from "../../app/config.js";
import type { Store } from "../../platform/db/client.js";
import type { CheckpointSigner } from "./chain.js";
import { markCheckpointsExported, projectsNeedingCheckpoint, unexportedCheckpoints } from "./store.js";
import { createCheckpoint } from "./checkpoints.js";

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
  exported: number;
}

/**
 * Signs a checkpoint for every project whose chain grew by at least `minEntries` since its last
 * one (every N entries or hour: the scheduler runs this hourly with 1, the server's
 * watcher every few seconds with N), then copies new checkpoints to the configured file.
 *
 * The file gets a line per checkpoint before its export is recorded, so a crash in between
 * repeats a line rather than losing one; verifiers match lines by (projectId, seq).
 */
export async function runCheckpointJob(deps: CheckpointJobDeps, opts: { minEntries?: number } = {}): Promise<CheckpointJobResult> {
  const minEntries = opts.minEntries ?? 1;
  const due = await projectsNeedingCheckpoint(deps.store.db);
  let checkpoints = 0;
  for (const p of due) {
    if (p.head - p.checkpointed < minEntries) continue;
    if (await createCheckpoint(deps.store.client, p.projectId, deps.signer, deps.now())) checkpoints++;
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
  return { rowsRead: due.length, checkpoints, exported };
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
