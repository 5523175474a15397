import { Hono } from "hono";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { freeBytes, storeCondition } from "../../platform/db/store-health.js";
import { probeWriteLock } from "../../platform/db/write-transaction.js";
import { isTransientStoreError } from "../../platform/db/store-errors.js";

/**
 * Below this much free space on an embedded store's disk, writes are about to fail (a page,
 * the WAL's frames, a checkpoint): `storage_full` before the first write has to find out.
 */
const MIN_FREE_BYTES = 1024 * 1024;
/**
 * The write lock counts as `locked` once it has been found held for this long: another instance
 * on the same file takes it for milliseconds at a time, which is no reason to be pulled from a
 * load balancer.
 */
const LOCKED_AFTER_MS = 1_000;

export type DegradedReason = "storage_full" | "locked";

/**
 * Liveness and the store's condition, for load balancers and `npm start` users alike. 200
 * `ok`; 503 `degraded` with the reasons when the store cannot take writes (the disk is full,
 * another process has held the write lock for a second or more) although reads still answer;
 * 503 `unreachable` when the store cannot be read at all.
 */
export function healthRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().get("/healthz", async (c) => {
    let projection: Awaited<ReturnType<typeof deps.projector.lag>>;
    try {
      projection = await deps.projector.lag(deps.now());
    } catch (err) {
      deps.log.error("health check failed", { err: String(err) });
      return c.json({ status: "degraded", store: "unreachable", reasons: ["unreachable"] }, 503);
    }
    const client = deps.store.client;
    const now = Date.now();
    const reasons: DegradedReason[] = [];
    const free = await freeBytes(deps.config.databaseUrl);
    if (storeCondition(client).fullSince !== null || (free !== null && free < MIN_FREE_BYTES)) reasons.push("storage_full");
    // Found out without waiting: a probe of the lock when nothing of ours is writing, else what
    // our waiting writers found.
    try {
      await probeWriteLock(client);
    } catch (err) {
      // An I/O error or the like says nothing about the lock; anything else is ours to see.
      if (!isTransientStoreError(err)) deps.log.error("health check: write lock probe failed", { err: String(err) });
    }
    const { lockedSince } = storeCondition(client);
    if (lockedSince !== null && now - lockedSince >= LOCKED_AFTER_MS) reasons.push("locked");
    const details = {
      ...(free !== null ? { freeBytes: free } : {}),
      ...(lockedSince !== null ? { lockedSince: new Date(lockedSince).toISOString() } : {}),
      projection,
    };
    if (reasons.length > 0) return c.json({ status: "degraded", reasons, store: "degraded", ...details }, 503);
    return c.json({ status: "ok", store: "ok", ...details });
  });
}
