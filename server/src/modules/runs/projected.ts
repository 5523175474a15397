import { createMiddleware } from "hono/factory";
import type { AppDeps, AppEnv } from "../../app/deps.js";

/**
 * Waits until every acknowledged event is projected, so the handler reads (and acts on) what
 * the collector has confirmed. Projecting takes the write lock; a store too busy to give it
 * within the busy timeout is a 503 with Retry-After, like any other write, not a 500.
 */
export function projected(deps: AppDeps) {
  return createMiddleware<AppEnv>(async (c, next) => {
    // Mounted after authentication, so the project (and with it its store) is known.
    const principal = c.get("principal") as AppEnv["Variables"]["principal"] | undefined;
    await (principal ? deps.stores.forProject(principal.projectId).projector : deps.projector).sync();
    await next();
  });
}
