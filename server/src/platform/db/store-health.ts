import type { Client } from "@libsql/client";
import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { isStorageFullError } from "./store-errors.js";

/**
 * What this process has seen of its store's ability to take writes, per client: whether the
 * write lock is held by another process (a try found it taken, and none has succeeded since) and
 * whether the disk is full (a write failed with SQLITE_FULL, and none has committed since).
 * Writers report as they go; readers and `/healthz` ask, so neither has to wait on the lock to
 * find out that it is held.
 */

export type Trouble = "locked" | "storage_full";

interface State {
  lockedSince: number | null;
  fullSince: number | null;
  /** Told every time a try of the write lock finds it held, and every time a write fails for a full disk. */
  listeners: Set<(trouble: Trouble) => void>;
}

const states = new WeakMap<Client, State>();

function stateOf(client: Client): State {
  let s = states.get(client);
  if (!s) states.set(client, (s = { lockedSince: null, fullSince: null, listeners: new Set() }));
  return s;
}

function tell(s: State, trouble: Trouble): void {
  for (const listener of [...s.listeners]) listener(trouble);
}

/** A try of the write lock found it held by another connection (another process: this one's writers queue first). */
export function noteLockBusy(client: Client, now = Date.now()): void {
  const s = stateOf(client);
  s.lockedSince ??= now;
  tell(s, "locked");
}

/** A try of the write lock succeeded. */
export function noteLockTaken(client: Client): void {
  const s = states.get(client);
  if (s) s.lockedSince = null;
}

/** A write failed; only a full disk is remembered (a busy lock is reported by noteLockBusy as it is tried). */
export function noteWriteFailed(client: Client, err: unknown, now = Date.now()): void {
  if (!isStorageFullError(err)) return;
  const s = stateOf(client);
  s.fullSince ??= now;
  tell(s, "storage_full");
}

/** A write transaction committed: the disk took it. */
export function noteWriteCommitted(client: Client): void {
  const s = states.get(client);
  if (s) s.fullSince = null;
}

/**
 * The next time a writer finds the lock held or the disk full, as a promise, with a function
 * that stops listening (call it once the caller no longer cares, so listeners do not pile up).
 */
export function nextTrouble(client: Client): { promise: Promise<Trouble>; cancel: () => void } {
  const s = stateOf(client);
  let listener!: (t: Trouble) => void;
  const promise = new Promise<Trouble>((resolve) => {
    listener = (t) => {
      s.listeners.delete(listener);
      resolve(t);
    };
    s.listeners.add(listener);
  });
  return { promise, cancel: () => s.listeners.delete(listener) };
}

export interface StoreCondition {
  /** Since when (ms) the write lock has been found held by another process, if it still is. */
  lockedSince: number | null;
  /** Since when (ms) writes have failed for a full disk, if none has committed since. */
  fullSince: number | null;
}

export function storeCondition(client: Client): StoreCondition {
  const s = states.get(client);
  return { lockedSince: s?.lockedSince ?? null, fullSince: s?.fullSince ?? null };
}

/**
 * Free bytes on the filesystem of an embedded store's file (what an unprivileged writer may
 * use), or null for a remote store or when the filesystem cannot say. Lets `/healthz` see a
 * full disk before any write has failed on it.
 */
export async function freeBytes(databaseUrl: string): Promise<number | null> {
  if (!databaseUrl.startsWith("file:") || databaseUrl === "file::memory:") return null;
  const path = databaseUrl.startsWith("file://") ? fileURLToPath(databaseUrl.split("?")[0]!) : databaseUrl.slice("file:".length).split("?")[0]!;
  try {
    const s = await statfs(dirname(path));
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}
