import { createMiddleware } from "hono/factory";
import type { AppDeps, AppEnv } from "../../app/deps.js";

/**
 * Waits until every acknowledged event is projected, so the handler reads (and acts on) what
 * the collector has confirmed. Projecting takes the write lock; a store too busy to give it
 * within the busy timeout is a 503 with Retry-After, like any other write, not a 500. For routes
 * that act on what they read (claims, decisions, labels, resumes, exports).
 */
export function projected(deps: AppDeps) {
  return createMiddleware<AppEnv>(async (c, next) => {
    // Mounted after authentication, so the project (and with it its store) is known.
    const principal = c.get("principal") as AppEnv["Variables"]["principal"] | undefined;
    await (principal ? deps.stores.forProject(principal.projectId).projector : deps.projector).sync();
    await next();
  });
}

/** Headers of a read answered from a projection that is behind (see projectedForRead). */
export const STALE_HEADER = "Seamtrace-Stale";
export const LAG_HEADER = "Seamtrace-Projection-Lag";
export const STALE_SINCE_HEADER = "Seamtrace-Stale-Since";

/**
 * For reads (run lists and details, the review queue): catches up like `projected`, but never
 * waits on a write lock another process holds or on a full disk. Then the answer is what was
 * projected, and says so: `Seamtrace-Stale: locked | storage_full | unavailable`,
 * `Seamtrace-Projection-Lag: <events acknowledged but not shown>` and `Seamtrace-Stale-Since:
 * <when the oldest of them was acknowledged>`. A fresh answer carries `Seamtrace-Projection-Lag: 0`.
 */
export function projectedForRead(deps: AppDeps) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const freshness = await deps.projector.syncForRead();
    if (freshness.stale) {
      c.header(STALE_HEADER, freshness.reason);
      c.header(LAG_HEADER, String(freshness.lag));
      if (freshness.since !== null) c.header(STALE_SINCE_HEADER, new Date(freshness.since).toISOString());
    } else {
      c.header(LAG_HEADER, "0");
    }
    await next();
  });
}
