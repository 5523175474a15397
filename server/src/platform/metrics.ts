import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * The server's Prometheus metrics (`GET /metrics`), with prom-client. One registry per
 * process, like the process itself: counters and histograms are fed from the hot paths with a
 * label lookup and an add, and the store-backed gauges (queue depth, projection lag, open
 * escalations) are read when scraped (routes/metrics.ts), so they cost nothing between scrapes.
 *
 * No metric carries a project id: the scrape endpoint is not project-scoped, and a label per
 * tenant would grow the series without bound.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const ingestEvents = new Counter({
  name: "seamtrace_ingest_events_total",
  help: "Events received by the collector, by route (events, otlp) and outcome (accepted, duplicate, conflict, rejected).",
  labelNames: ["route", "outcome"] as const,
  registers: [registry],
});

const ingestRejections = new Counter({
  name: "seamtrace_ingest_rejections_total",
  help: "Items (events, or OTLP spans) rejected on their own, by route and error code.",
  labelNames: ["route", "code"] as const,
  registers: [registry],
});

const requestErrors = new Counter({
  name: "seamtrace_http_errors_total",
  help: "Requests answered with an error envelope, by error code and HTTP status.",
  labelNames: ["code", "status"] as const,
  registers: [registry],
});

const requestDuration = new Histogram({
  name: "seamtrace_http_request_duration_seconds",
  help: "Time to answer a request, by method, route pattern and status class.",
  labelNames: ["method", "route", "status"] as const,
  // Ingest commits wait for an fsync (milliseconds); reads are faster; exports stream for longer.
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

const jobDuration = new Histogram({
  name: "seamtrace_job_duration_seconds",
  help: "Duration of scheduled and on-demand jobs, by job name and outcome.",
  labelNames: ["job", "outcome"] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900],
  registers: [registry],
});

export const writeQueuePending = new Gauge({
  name: "seamtrace_write_queue_pending_requests",
  help: "Ingest requests waiting for a group commit (not counting the one in flight).",
  registers: [registry],
});

export const writeQueueCommits = new Gauge({
  name: "seamtrace_write_queue_commits",
  help: "Ingest transactions attempted since the process started (a counter read from the queue).",
  registers: [registry],
});

export const writeQueueItems = new Gauge({
  name: "seamtrace_write_queue_items",
  help: "Ingest requests written or failed by the write queue since the process started, by outcome.",
  labelNames: ["outcome"] as const,
  registers: [registry],
});

export const projectionLag = new Gauge({
  name: "seamtrace_projection_lag_events",
  help: "Events acknowledged but not yet folded into runs and steps.",
  registers: [registry],
});

export const projectionLagSeconds = new Gauge({
  name: "seamtrace_projection_lag_seconds",
  help: "How long the oldest event not yet folded into runs and steps has waited; 0 with no lag.",
  registers: [registry],
});

export const openEscalations = new Gauge({
  name: "seamtrace_escalations_open",
  help: "Escalations waiting for review, by kind (escalate, flag, spot_check), across projects.",
  labelNames: ["kind"] as const,
  registers: [registry],
});

export const logWriteFailures = new Counter({
  name: "seamtrace_log_write_failures_total",
  help: "Log lines the server could not write to stdout or stderr (a full disk, a closed pipe); dropped, never fatal.",
  registers: [registry],
});

/** Outcomes of one ingest request: counts, and the code of every rejected item. */
export interface IngestCounts {
  accepted: number;
  duplicate: number;
  /** Ids stored before with other content (nothing changed). */
  conflict?: number;
  rejectedCodes: readonly string[];
}

/** Called once per ingest request, after its commit. */
export function recordIngest(route: "events" | "otlp", counts: IngestCounts): void {
  if (counts.accepted > 0) ingestEvents.inc({ route, outcome: "accepted" }, counts.accepted);
  if (counts.duplicate > 0) ingestEvents.inc({ route, outcome: "duplicate" }, counts.duplicate);
  if (counts.conflict) ingestEvents.inc({ route, outcome: "conflict" }, counts.conflict);
  if (counts.rejectedCodes.length > 0) {
    ingestEvents.inc({ route, outcome: "rejected" }, counts.rejectedCodes.length);
    const byCode = new Map<string, number>();
    for (const code of counts.rejectedCodes) byCode.set(code, (byCode.get(code) ?? 0) + 1);
    for (const [code, n] of byCode) ingestRejections.inc({ route, code }, n);
  }
}

/** Called by the error renderer for every error envelope it sends. */
export function recordError(code: string, status: number): void {
  requestErrors.inc({ code, status: String(status) });
}

/**
 * Records how long a job ran. For the scheduler (jobs/scheduler.ts) and on-demand runs.
 * @example
 * const t = performance.now();
 * const outcome = await runCalibrationJob(deps).then(() => "ok", () => "error");
 * observeJobDuration("calibration", (performance.now() - t) / 1000, outcome);
 */
export function observeJobDuration(name: string, seconds: number, outcome: "ok" | "error" | string = "ok"): void {
  jobDuration.observe({ job: name, outcome }, seconds);
}

const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/**
 * Times every request and labels it with the route pattern that answered (`/v1/runs/:id`, not the
 * path), so the series stay as few as the routes. Mounted once, on the top-level app.
 */
export function requestMetrics() {
  return createMiddleware(async (c, next) => {
    const start = performance.now();
    try {
      await next();
    } finally {
      const status = STATUS_CLASSES[Math.floor(c.res.status / 100) - 1] ?? "other";
      requestDuration.observe({ method: c.req.method, route: routePath(c) || "unmatched", status }, (performance.now() - start) / 1000);
    }
  });
}
