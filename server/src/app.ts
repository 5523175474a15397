import { Hono } from "hono";
import { requestId } from "hono/request-id";
import type { AppDeps, AppEnv } from "./deps.js";
import { AppError } from "./errors.js";
import { securityHeaders } from "./middleware/security-headers.js";
import { recordError, requestMetrics } from "./metrics.js";
import { isTransientStoreError } from "./store/ingest.js";
import { analyticsRoutes } from "./routes/analytics.js";
import { auditRoutes } from "./routes/audit.js";
import { authRoutes } from "./routes/auth.js";
import { escalationsRoutes } from "./routes/escalations.js";
import { eventsRoutes } from "./routes/events.js";
import { exportsRoutes } from "./routes/exports.js";
import { goldenRoutes } from "./routes/golden.js";
import { healthRoutes } from "./routes/health.js";
import { jobsRoutes } from "./routes/jobs.js";
import { labelsRoutes } from "./routes/labels.js";
import { metricsRoutes } from "./routes/metrics.js";
import { openapiRoutes } from "./routes/openapi.js";
import { policiesRoutes } from "./routes/policies.js";
import { retentionRoutes } from "./routes/retention.js";
import { runStateRoutes } from "./routes/run-state.js";
import { runsRoutes } from "./routes/runs.js";
import { tracesRoutes } from "./routes/traces.js";
import { uiRoutes } from "./routes/ui.js";
import { webhooksRoutes } from "./routes/webhooks.js";

/** The whole HTTP surface: route groups mounted on one app with one error renderer. */
export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>()
    .use(requestId())
    .use(securityHeaders())
    .use(requestMetrics())
    .route("/", healthRoutes(deps))
    .route("/", metricsRoutes(deps))
    .route("/", openapiRoutes(deps))
    .route("/v1", eventsRoutes(deps))
    .route("/v1", tracesRoutes(deps))
    .route("/v1", runsRoutes(deps))
    .route("/v1", runStateRoutes(deps))
    .route("/v1", authRoutes(deps))
    .route("/v1", policiesRoutes(deps))
    .route("/v1", escalationsRoutes(deps))
    .route("/v1", labelsRoutes(deps))
    .route("/v1", webhooksRoutes(deps))
    .route("/v1", jobsRoutes(deps))
    .route("/v1", analyticsRoutes(deps))
    .route("/v1", auditRoutes(deps))
    .route("/v1", retentionRoutes(deps))
    .route("/v1", exportsRoutes(deps))
    .route("/v1", goldenRoutes(deps))
    .route("/", uiRoutes(deps));

  app.notFound((c) =>
    c.json({ error: { code: "not_found", message: `no route for ${c.req.method} ${c.req.path}`, requestId: c.get("requestId") } }, 404),
  );

  app.onError((err, c) => {
    const requestId = c.get("requestId");
    if (err instanceof AppError) {
      if (err.headers) for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
      const body: Record<string, unknown> = { code: err.code, message: err.message, requestId };
      if (err.details !== undefined) body.details = err.details;
      recordError(err.code, err.status);
      return c.json({ error: body }, err.status);
    }
    if (isTransientStoreError(err)) {
      // Lock held past the busy timeout, disk full, store unreachable: the client can retry.
      c.header("Retry-After", "1");
      recordError("unavailable", 503);
      return c.json({ error: { code: "unavailable", message: "the store cannot take this request right now; retry shortly", requestId } }, 503);
    }
    // Only our own faults reach here; the client's mistakes are AppErrors above.
    recordError("internal", 500);
    deps.log.error("unhandled error", { requestId, path: c.req.path, err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    return c.json({ error: { code: "internal", message: "internal error", requestId } }, 500);
  });

  return app;
}

export type AppType = ReturnType<typeof createApp>;
