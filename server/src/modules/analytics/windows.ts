import { HOUR_MS, hourOf } from "./maths/rollup.js";
import { metricStatements, type MetricValue } from "./metric-values-store.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import type { JobContext } from "../jobs/job.js";

export { HOUR_MS };

/**
 * Jobs look at whole hours: a window ends at the start of the current hour, so a run at 10:20
 * and one at 10:50 read the same complete hours and write the same values.
 */
export function windowEnd(now: number): number {
  return hourOf(now);
}

/** Writes a job's metric values in one fenced transaction. */
export async function writeMetrics(ctx: JobContext, values: readonly MetricValue[]): Promise<void> {
  if (values.length === 0) return;
  await withWriteLock(ctx.store.client, async (tx) => {
    await ctx.fence(tx);
    await tx.batch(metricStatements(values));
    return { commit: true, value: undefined };
  });
}
