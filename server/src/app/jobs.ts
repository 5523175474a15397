import type { Job, JobContext, JobReport } from "../modules/jobs/job.js";
import { alertsJob } from "../modules/analytics/alerts-job.js";
import { autoTightenJob } from "../modules/policies/auto-tighten-job.js";
import { calibrationJob } from "../modules/analytics/calibration-job.js";
import { runCheckpointJob } from "../modules/audit/checkpoint-job.js";
import { driftJob } from "../modules/analytics/drift-job.js";
import { escalationJob } from "../modules/analytics/escalation-job.js";
import { recalibrateJob } from "../modules/policies/recalibrate-job.js";
import { rollupJob } from "../modules/analytics/rollup-job.js";
import { runRetentionJob } from "../modules/retention/retention-job.js";
import { otlpCloseJob } from "../modules/ingest/otlp/close-job.js";

/**
 * Every job this server runs, scheduled and on demand. Adding one is one entry here (plus its
 * import): its name is one of JOB_NAMES, its schedule is configurable already
 * (SEAMTRACE_JOB_<NAME>_SCHEDULE, default in names.ts), and the scheduler, `seamtrace jobs run`
 * and `POST /v1/jobs/:name/run` find it here. A job is `{ name, run(ctx) }` (jobs/job.ts): the
 * context carries store, config, now, log and the audit signer, so a `run<Name>Job(deps)` taking
 * a subset of them fits as it is. It should call `ctx.fence(tx)` in its write transactions
 * (retention and checkpoint do not yet: their writes are idempotent) and return the rows it read.
 */
export const JOBS: readonly Job[] = [
  rollupJob,
  calibrationJob,
  escalationJob,
  driftJob,
  alertsJob,
  autoTightenJob,
  recalibrateJob,
  { name: "retention", run: counted(runRetentionJob) },
  // Hourly, with a threshold of one entry; the server's
  // CheckpointWatcher signs every N entries in between.
  { name: "checkpoint", run: counted((ctx) => runCheckpointJob(ctx, { minEntries: 1 })) },
  otlpCloseJob,
];

/** For a `run<Name>Job` answering `{ rowsRead, …counts }`: the counts become the run's details. */
function counted<R extends { rowsRead: number }>(run: (ctx: JobContext) => Promise<R>): (ctx: JobContext) => Promise<JobReport> {
  return async (ctx) => {
    const { rowsRead, ...details } = await run(ctx);
    return { rowsRead, details: details as Record<string, unknown> };
  };
}
