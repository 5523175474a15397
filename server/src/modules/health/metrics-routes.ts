import { timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { AppError, unauthorized } from "../../platform/http/errors.js";
import {
  logWriteFailures,
  openEscalations,
  projectionLag,
  projectionLagSeconds,
  registry,
  writeQueueCommits,
  writeQueueItems,
  writeQueuePending,
} from "../../platform/metrics.js";
import { logWriteFailures as failedLogLines } from "../../app/logger.js";
import { ingestWriter } from "../ingest/store.js";
import { countOpenEscalations } from "../review/open-escalations.js";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

/**
 * `GET /metrics` in the Prometheus text format.
 *
 * Who may scrape: with `SEAMTRACE_METRICS_TOKEN` set, only a request bearing it (Prometheus'
 * `authorization` / `bearer_token` setting). Without one, the endpoint is open only while the
 * server listens on loopback, where only this machine can reach it; a server bound to a public
 * interface without a token refuses, rather than publish its traffic figures to anyone. The
 * figures hold no project data, but request rates and queue depths still tell an outsider when
 * to push.
 */
export function metricsRoutes(deps: AppDeps) {
  const token = deps.config.metricsToken;
  const open = token === undefined && LOOPBACK.test(deps.config.host);
  const expected = token === undefined ? undefined : Buffer.from(`Bearer ${token}`);

  return new Hono<AppEnv>().get("/metrics", async (c) => {
    if (!open) {
      if (expected === undefined) {
        throw new AppError(403, "forbidden", "metrics are served on a non-loopback address only with SEAMTRACE_METRICS_TOKEN set");
      }
      const given = Buffer.from(c.req.header("authorization") ?? "");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw unauthorized("a valid metrics token is required");
    }
    await readStoreGauges(deps);
    c.header("Cache-Control", "no-store");
    return c.body(await registry.metrics(), 200, { "Content-Type": registry.contentType });
  });
}

let reportedLogFailures = 0;

/** The gauges that come from the store and the write queue, read at scrape time. */
async function readStoreGauges(deps: AppDeps): Promise<void> {
  const writer = ingestWriter(deps.store);
  const stats = writer.stats();
  writeQueuePending.set(writer.pending);
  writeQueueCommits.set(stats.commits);
  writeQueueItems.set({ outcome: "written" }, stats.items);
  writeQueueItems.set({ outcome: "failed" }, stats.failed);
  // The logger counts on its own (it must never depend on the metrics); the counter catches up here.
  const lines = failedLogLines();
  if (lines > reportedLogFailures) logWriteFailures.inc(lines - reportedLogFailures);
  reportedLogFailures = lines;
  // A store that cannot answer leaves the last values and says so in its own series (process up,
  // scrape succeeded, gauges stale) rather than failing the whole scrape.
  try {
    const lag = await deps.projector.lag(deps.now());
    projectionLag.set(lag.lag);
    projectionLagSeconds.set(lag.ageMs / 1000);
    openEscalations.reset();
    for (const { kind, count } of await countOpenEscalations(deps.store.client)) openEscalations.set({ kind }, count);
  } catch (err) {
    deps.log.error("metrics: store gauges unavailable", { err: String(err) });
  }
}
