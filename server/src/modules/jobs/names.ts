/**
 * The scheduled jobs, by name. The names are the API: schedules are configured by
 * them (SEAMTRACE_JOB_<NAME>_SCHEDULE), `seamtrace jobs run <name>` and
 * `POST /v1/jobs/:name/run` take them, and the run history records them.
 */
export const JOB_NAMES = [
  "rollup",
  "calibration",
  "escalation",
  "drift",
  "alerts",
  "auto-tighten",
  "recalibrate",
  "retention",
  "checkpoint",
  "otlp-close",
] as const;

export type JobName = (typeof JOB_NAMES)[number];

export const isJobName = (s: string): s is JobName => (JOB_NAMES as readonly string[]).includes(s);

/**
 * Default schedules (cron, UTC). The rollup runs often so everything downstream is fresh; the
 * jobs reading it run after it within the hour, staggered so they do not all start at :00.
 */
export const DEFAULT_SCHEDULES: Record<JobName, string> = {
  rollup: "*/5 * * * *",
  calibration: "10 * * * *",
  escalation: "12 * * * *",
  drift: "15 * * * *",
  alerts: "2-59/5 * * * *",
  "auto-tighten": "20 * * * *",
  recalibrate: "30 3 * * *",
  retention: "0 3 * * *",
  checkpoint: "0 * * * *",
  // Every minute: a trace quiet past SEAMTRACE_OTLP_IDLE_CLOSE_MS ends within a minute of it.
  "otlp-close": "* * * * *",
};
