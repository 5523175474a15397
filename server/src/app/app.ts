import { Hono } from "hono";
import { requestId } from "hono/request-id";
import type { AppDeps, AppEnv } from "./deps.js";
import { AppError } from "../platform/http/errors.js";
import { securityHeaders } from "../platform/http/security-headers.js";
import { recordError, requestMetrics } from "../platform/metrics.js";
import { storeUnavailable } from "../platform/http/store-errors.js";
import { isStorageFullError, isTransientStoreError } from "../platform/db/store-errors.js";
import { noteWriteFailed } from "../platform/db/store-health.js";
import { analyticsRoutes } from "../modules/analytics/routes.js";
import { auditRoutes } from "../modules/audit/routes.js";
import { authRoutes } from "../modules/auth/routes.js";
import { escalationsRoutes } from "../modules/review/routes.js";
import { eventsRoutes } from "../modules/ingest/routes.js";
import { exportsRoutes } from "../modules/exports/routes.js";
import { goldenRoutes } from "../modules/golden/routes.js";
import { healthRoutes } from "../modules/health/routes.js";
import { jobsRoutes } from "../modules/jobs/routes.js";
import { labelsRoutes } from "../modules/review/labels-routes.js";
import { judgeRoutes } from "../modules/review/judge-routes.js";
import { teamReviewRoutes } from "../modules/review/team-routes.js";
import { metricsRoutes } from "../modules/health/metrics-routes.js";
import { openapiRoutes } from "./openapi/routes.js";
import { policiesRoutes } from "../modules/policies/routes.js";
import { retentionRoutes } from "../modules/retention/routes.js";
import { runStateRoutes } from "../modules/runs/run-state-routes.js";
import { runsRoutes } from "../modules/runs/routes.js";
import { tracesRoutes } from "../modules/ingest/otlp/routes.js";
import { uiRoutes } from "./ui-routes.js";
import { webhooksRoutes } from "../modules/webhooks/routes.js";

/** A full disk is logged at most this often (every refused write would say the same). */
const FULL_LOG_EVERY_MS = 5_000;

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
    .route("/v1", teamReviewRoutes(deps))
    .route("/v1", judgeRoutes(deps))
    .route("/v1", webhooksRoutes(deps))
    .route("/v1", jobsRoutes(deps))
    .route("/v1", analyticsRoutes(deps))
    .route("/v1", auditRoutes(deps))
    .route("/v1", retentionRoutes(deps))
    .route("/v1", exportsRoutes(deps))
    .route("/v1", goldenRoutes(deps))
    .route("/", uiRoutes(deps));

  app.notFound((c) => c.json({ error: { code: "not_found", message: `no route for ${c.req.method} ${c.req.path}`, requestId: c.get("requestId") } }, 404));

  let lastFullLog = 0;
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
      // A full disk is remembered for /healthz and for reads, until a write commits again.
      noteWriteFailed(deps.store.client, err);
      // Told to the operator, but not once per refused request: a full disk refuses them all.
      if (isStorageFullError(err) && Date.now() - lastFullLog >= FULL_LOG_EVERY_MS) {
        lastFullLog = Date.now();
        deps.log.error("the store's disk is full: writes are refused (503 storage_full) until space is freed", { path: c.req.path, err: String(err) });
      }
      const e = storeUnavailable(err, "the store cannot take this request right now: nothing was changed; retry shortly", 1);
      for (const [k, v] of Object.entries(e.headers ?? {})) c.header(k, v);
      recordError(e.code, 503);
      return c.json({ error: { code: e.code, message: e.message, requestId } }, 503);
    }
    // Only our own faults reach here; the client's mistakes are AppErrors above.
    recordError("internal", 500);
    deps.log.error("unhandled error", { requestId, path: c.req.path, err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    return c.json({ error: { code: "internal", message: "internal error", requestId } }, 500);
  });

  return app;
}

export type AppType = ReturnType<typeof createApp>;
