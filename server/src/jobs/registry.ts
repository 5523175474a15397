import type { Job } from "./job.js";
import { alertsJob } from "./alerts-job.js";
import { autoTightenJob } from "./auto-tighten-job.js";
import { calibrationJob } from "./calibration-job.js";
import { driftJob } from "./drift-job.js";
import { escalationJob } from "./escalation-job.js";
import { recalibrateJob } from "./recalibrate-job.js";
import { rollupJob } from "./rollup-job.js";

/**
 * Every job this server runs, scheduled and on demand. Adding one — e.g. the `retention` job of
 * jobs/retention-job.ts — is one entry here (plus its import): its name is already one of
 * JOB_NAMES, its schedule is already configurable (SEAMTRACE_JOB_RETENTION_SCHEDULE, default in
 * names.ts), and the scheduler, `seamtrace jobs run` and `POST /v1/jobs/:name/run` find it here.
 * A job is `{ name, run(ctx) }` (jobs/job.ts); it must call `ctx.fence(tx)` in its write
 * transactions and return the rows it read.
 */
export const JOBS: readonly Job[] = [rollupJob, calibrationJob, escalationJob, driftJob, alertsJob, autoTightenJob, recalibrateJob];
