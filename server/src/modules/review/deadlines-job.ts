import type { MetricValue } from "../analytics/metric-values-store.js";
import { HOUR_MS, windowEnd, writeMetrics } from "../analytics/windows.js";
import { listProjects } from "../auth/projects-store.js";
import type { Job, JobContext, JobReport } from "../jobs/job.js";
import { queueAgeing } from "./ageing-store.js";
import { DEADLINE_BATCH, expireDue, notifyDue, type DeadlineCounts } from "./deadlines-store.js";

export const DEADLINES_ACTOR = "system:review-deadlines";

/**
 * Queue-ageing metrics, one series per review group (the group is the series' `step`; empty for
 * escalations no group routes), so an alert rule can watch every group or one of them.
 */
export const AGEING_METRICS = {
  p50: "review.decision_p50_ms",
  p95: "review.decision_p95_ms",
  pastHalf: "review.past_half_deadline",
  overdue: "review.overdue",
  waiting: "review.waiting",
} as const;

/**
 * The deadline job: applies `onExpiry` to every item past its deadline, sends `review.due` for
 * items past half of it, and stores the queue-ageing metrics (decision time over the analytics
 * window, p50 and p95, and items past half their deadline) for the alert rules.
 */
export async function runReviewDeadlinesJob(ctx: JobContext): Promise<JobReport & { details: DeadlineCounts & { metrics: number } }> {
  const now = ctx.now();
  const fence = (tx: Parameters<JobContext["fence"]>[0]) => ctx.fence(tx);
  const counts: DeadlineCounts = { due: 0, rejected: 0, acceptedFlagged: 0, reassigned: 0 };
  // Expired first: an item past its deadline needs its fallback, not a reminder.
  for (;;) {
    if (ctx.signal.aborted) break;
    const c = await expireDue(ctx.store.client, now, DEADLINES_ACTOR, fence);
    counts.rejected += c.rejected;
    counts.acceptedFlagged += c.acceptedFlagged;
    counts.reassigned += c.reassigned;
    if (c.rejected + c.acceptedFlagged + c.reassigned < DEADLINE_BATCH) break;
  }
  for (;;) {
    if (ctx.signal.aborted) break;
    const n = await notifyDue(ctx.store.client, now, fence);
    counts.due += n;
    if (n < DEADLINE_BATCH) break;
  }

  const window = { from: now - ctx.config.analytics.windowHours * HOUR_MS, to: now };
  const at = windowEnd(now);
  const values: MetricValue[] = [];
  let rowsRead = 0;
  for (const project of await listProjects(ctx.store.db)) {
    if (ctx.signal.aborted) break;
    for (const g of await queueAgeing(ctx.store.client, project.id, window, now)) {
      rowsRead += g.decided + g.waiting;
      const series = { projectId: project.id, workflow: "", version: "", step: g.group ?? "", at };
      values.push(
        { ...series, metric: AGEING_METRICS.p50, value: g.p50Ms, details: { decided: g.decided } },
        { ...series, metric: AGEING_METRICS.p95, value: g.p95Ms, details: { decided: g.decided } },
        { ...series, metric: AGEING_METRICS.pastHalf, value: g.pastHalfDeadline },
        { ...series, metric: AGEING_METRICS.overdue, value: g.overdue },
        { ...series, metric: AGEING_METRICS.waiting, value: g.waiting },
      );
    }
  }
  await writeMetrics(ctx, values);
  const acted = counts.due + counts.rejected + counts.acceptedFlagged + counts.reassigned;
  return { rowsRead: rowsRead + acted, rowsWritten: acted + values.length, details: { ...counts, metrics: values.length } };
}

export const reviewDeadlinesJob: Job = { name: "review-deadlines", run: runReviewDeadlinesJob };
