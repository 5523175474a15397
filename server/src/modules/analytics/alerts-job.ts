import { evaluateAlerts } from "./alerts-store.js";
import { latestMetrics } from "./metric-values-store.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import type { Job, JobContext, JobReport } from "../jobs/job.js";
import { HOUR_MS } from "./windows.js";

/**
 * Alerts: every rule, and the built-in drift rule, against the newest value of each
 * metric series. A value older than two windows no longer counts: its series went quiet, and a
 * firing alert on it resolves rather than fire forever.
 */
export async function runAlertsJob(ctx: JobContext): Promise<JobReport> {
  const now = ctx.now();
  const { windowHours, driftCurrentHours } = ctx.config.analytics;
  const staleBefore = now - 2 * Math.max(windowHours, driftCurrentHours) * HOUR_MS;
  const latest = await latestMetrics(ctx.store.client, staleBefore);
  const result = await withWriteLock(ctx.store.client, async (tx) => {
    const r = await evaluateAlerts(tx, latest, now, staleBefore);
    await ctx.fence(tx);
    if (r.statements.length > 0) await tx.batch(r.statements);
    return { commit: true, value: r };
  });
  return { rowsRead: latest.length, rowsWritten: result.fired + result.resolved, details: { fired: result.fired, resolved: result.resolved } };
}

export const alertsJob: Job = { name: "alerts", run: runAlertsJob };
