import { createMiddleware } from "hono/factory";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { isTransientStoreError, storeUnavailable } from "../ingest/store.js";

/**
 * Waits until every acknowledged event is projected, so the handler reads (and acts on) what
 * the collector has confirmed. Projecting takes the write lock; a store too busy to give it
 * within the busy timeout is a 503 with Retry-After, like any other write, not a 500.
 */
export function projected(deps: AppDeps) {
  return createMiddleware<AppEnv>(async (_c, next) => {
    try {
      await deps.projector.sync();
    } catch (err) {
      if (isTransientStoreError(err)) throw storeUnavailable(err, "the store is busy; retry shortly", 1);
      throw err;
    }
    await next();
  });
}
