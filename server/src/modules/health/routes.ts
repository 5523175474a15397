import { Hono } from "hono";
import type { AppDeps, AppEnv } from "../../app/deps.js";

/** Liveness and store reachability, for load balancers and `npm start` users alike. */
export function healthRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().get("/healthz", async (c) => {
    try {
      const projection = await deps.projector.lag(deps.now());
      return c.json({ status: "ok", store: "ok", projection });
    } catch (err) {
      deps.log.error("health check failed", { err: String(err) });
      return c.json({ status: "degraded", store: "unreachable" }, 503);
    }
  });
}
