import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Scheduled jobs: who may run each job now, and what every run did.

/**
 * One row per job: the instance holding it and until when. Taken and renewed in a write
 * transaction, so of several instances on one store exactly one holds a live lease; a holder
 * that dies simply lets it expire. Jobs re-check it inside their own write transactions
 * (fencing), so a holder that stalled past expiry cannot commit over its successor.
 */
export const jobLeases = sqliteTable("job_leases", {
  job: text("job").primaryKey(),
  holder: text("holder").notNull(),
  acquiredAt: integer("acquired_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

/** Every run of every job, scheduled or on demand. */
export const jobRuns = sqliteTable(
  "job_runs",
  {
    id: text("id").primaryKey(),
    job: text("job").notNull(),
    trigger: text("trigger", { enum: ["schedule", "manual"] }).notNull(),
    /** The instance that ran it (host, pid and a random part). */
    holder: text("holder").notNull(),
    /** `user:<id>`, `sdk:<key id>`, `cli` or `system:scheduler`. */
    actor: text("actor").notNull(),
    /** The project of a user or key that asked for the run; null for the schedule and the CLI. */
    projectId: text("project_id"),
    /**
     * For a scheduled run, the time (ms) of the cron tick it ran for, the same on every instance;
     * null for a run on demand. Unique per job: the first instance to record a tick runs it.
     */
    tick: integer("tick"),
    /** When the run took its lease (after any wait for the write lock). */
    startedAt: integer("started_at").notNull(),
    endedAt: integer("ended_at"),
    /** `running` until it ends; a process that died mid-run leaves `running` with no end. */
    outcome: text("outcome", { enum: ["running", "ok", "failed"] }).notNull(),
    rowsRead: integer("rows_read"),
    rowsWritten: integer("rows_written"),
    error: text("error"),
    /** JSON: what the job reports about this run (cursors, counts, decisions). */
    details: text("details"),
  },
  (t) => [
    // History, newest first, per job and across jobs (keyset on started_at, id).
    index("job_runs_job_idx").on(t.job, t.startedAt),
    index("job_runs_started_idx").on(t.startedAt),
    // One run per scheduled tick of a job across every instance (NULLs, runs on demand, never clash).
    uniqueIndex("job_runs_tick_idx").on(t.job, t.tick),
  ],
);

/** Incremental jobs' positions (e.g. the rollup's position in the event log and the labels). */
export const jobCursors = sqliteTable("job_cursors", {
  name: text("name").primaryKey(),
  position: integer("position").notNull(),
  updatedAt: integer("updated_at").notNull(),
});
