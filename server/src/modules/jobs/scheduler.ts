import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { schedule, type ScheduledTask } from "node-cron";
import type { Config } from "../../app/config.js";
import type { Store } from "../../platform/db/client.js";
import type { Logger } from "../../app/logger.js";
import { CheckpointSigner } from "../audit/chain.js";
import { acquireLeaseAndStart, assertLease, finishRunAndRelease, renewLease } from "./store.js";
import type { Job, JobReport } from "./job.js";
import type { JobName } from "./names.js";

export interface SchedulerDeps {
  store: Store;
  config: Readonly<Config>;
  log: Logger;
  /** The jobs' clock (window ends). */
  now: () => number;
  /** The server's audit signer; derived from the config's secret when not given (the CLI). */
  auditSigner?: CheckpointSigner;
}

export interface SchedulerOptions {
  /** Names this instance in leases and run records. Default host:pid:random. */
  holder?: string;
  /** Default config.jobs.leaseMs. */
  leaseMs?: number;
  /** Real time for leases, kept apart from the jobs' clock, which tests fix. Default Date.now. */
  clock?: () => number;
}

export interface RunTrigger {
  trigger: "schedule" | "manual";
  /** `user:<id>`, `cli` or `system:scheduler`. */
  actor: string;
  /** The project of the user who asked (the API), recorded so other projects do not see who. */
  projectId?: string | undefined;
}

export interface FinishedRun {
  runId: string;
  job: JobName;
  outcome: "ok" | "failed";
  rowsRead: number | null;
  rowsWritten: number | null;
  error: string | null;
  details: unknown;
  durationMs: number;
}

export type StartOutcome =
  | { status: "started"; runId: string; done: Promise<FinishedRun> }
  /** Another instance (or this one) holds the job's lease: it is running now. */
  | { status: "busy" }
  | { status: "unknown" };

/** What routes and the CLI need from the scheduler. */
export interface JobRunner {
  jobs(): readonly JobName[];
  start(name: string, trigger: RunTrigger): Promise<StartOutcome>;
}

/**
 * Runs the analytics jobs on their cron schedules (node-cron, UTC, noOverlap) and on
 * demand, with one runner per job across every instance sharing the store:
 *
 * - a run starts only by taking the job's lease row (store/jobs.ts) in a write transaction,
 *   recording the run in the same transaction, with its start read once the lock is held;
 *   another holder's live lease means "busy";
 * - a scheduled run also records its cron tick, unique per job: every instance fires every
 *   tick, and the first to record it runs it (the lease alone let a second instance run the
 *   same tick as soon as the first had released it);
 * - while the job runs, the lease is renewed every third of its length; if a renewal finds it
 *   gone (this process stalled past expiry and another took over) the job's signal aborts, and
 *   the job's own write transactions refuse to commit (`fence`);
 * - the end (outcome, rows read, error) and the release commit together.
 *
 * The registry (jobs/registry.ts) lists the jobs; this class knows none of them by name.
 */
export class Scheduler implements JobRunner {
  private readonly byName: Map<JobName, Job>;
  private readonly holder: string;
  private readonly leaseMs: number;
  private readonly clock: () => number;
  private signer: CheckpointSigner | undefined;
  private readonly tasks: ScheduledTask[] = [];
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly controllers = new Set<AbortController>();
  private stopped = false;

  constructor(
    private readonly deps: SchedulerDeps,
    jobs: readonly Job[],
    options: SchedulerOptions = {},
  ) {
    this.byName = new Map(jobs.map((j) => [j.name, j]));
    this.holder = options.holder ?? `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
    this.leaseMs = options.leaseMs ?? deps.config.jobs.leaseMs;
    this.clock = options.clock ?? Date.now;
  }

  jobs(): readonly JobName[] {
    return [...this.byName.keys()];
  }

  /** Stops scheduling, aborts running jobs at their next chunk boundary, and waits for them. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.tasks.splice(0)) await t.destroy();
    for (const c of this.controllers) c.abort(new Error("the scheduler is stopping"));
    await Promise.allSettled([...this.inflight]);
  }

  /** Starts a run of `name` now, if its lease is free; `done` settles when it has ended. */
  start(name: string, trigger: RunTrigger): Promise<StartOutcome> {
    return this.start1(name, trigger);
  }

  /** Runs a job now (when its lease is free) and waits for the end. */
  async run(name: string, trigger: RunTrigger): Promise<FinishedRun | "busy" | "unknown"> {
    const s = await this.start1(name, trigger);
    return s.status === "started" ? s.done : s.status;
  }

  /** Schedules every registered job that has a schedule. Idempotent. */
  startSchedules(): void {
    if (this.tasks.length > 0 || this.stopped) return;
    for (const [name] of this.byName) {
      const expression = this.deps.config.jobs.schedules[name];
      if (!expression) continue;
      const task = schedule(
        expression,
        // node-cron's `date` is the tick itself (the matched second), the same on every instance
        // whenever each one's timer fires.
        async ({ date }) => {
          await this.runTick(name, date.getTime());
        },
        { timezone: "UTC", noOverlap: true, name: `seamtrace:${name}` },
      );
      this.tasks.push(task);
    }
  }

  /**
   * One scheduled tick of a job, as cron fires it on every instance: run here only if no
   * instance has recorded this tick and the job's lease is free. Busy (another instance has the
   * tick, or is still running the job) is normal with several instances.
   */
  async runTick(name: string, tick: number): Promise<FinishedRun | "busy" | "unknown"> {
    const started = await this.start1(name, { trigger: "schedule", actor: "system:scheduler" }, tick);
    return started.status === "started" ? started.done : started.status;
  }

  private async start1(name: string, trigger: RunTrigger, tick?: number): Promise<StartOutcome> {
    const job = this.byName.get(name as JobName);
    if (!job) return { status: "unknown" };
    if (this.stopped) return { status: "busy" };
    const lease = { job: job.name, holder: this.holder, ttlMs: this.leaseMs };
    const start = await acquireLeaseAndStart(this.deps.store.client, lease, { ...trigger, tick }, this.clock);
    if (start === "busy" || start === "ticked") return { status: "busy" };
    const { runId, startedAt } = start;
    const done = this.execute(job, runId, startedAt);
    this.inflight.add(done);
    void done.finally(() => this.inflight.delete(done));
    return { status: "started", runId, done };
  }

  private auditSigner(): CheckpointSigner {
    return (this.signer ??= this.deps.auditSigner ?? new CheckpointSigner(this.deps.config.secret));
  }

  private async execute(job: Job, runId: string, startedAt: number): Promise<FinishedRun> {
    const { store, config, log } = this.deps;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the job context's lazy getter
    const self = this;
    const controller = new AbortController();
    this.controllers.add(controller);
    const renewEvery = Math.max(100, Math.floor(this.leaseMs / 3));
    let renewing: Promise<void> | undefined;
    const timer = setInterval(() => {
      renewing ??= renewLease(store.client, { job: job.name, holder: this.holder, now: this.clock(), ttlMs: this.leaseMs })
        .then((ours) => {
          if (!ours) controller.abort(new Error(`lost the lease on ${job.name}`));
        })
        .catch((err: unknown) => log.error("lease renewal failed", { job: job.name, err: String(err) }))
        .finally(() => (renewing = undefined));
    }, renewEvery);
    timer.unref?.();

    let report: JobReport | undefined;
    let error: string | null = null;
    try {
      report = await job.run({
        store,
        config,
        now: this.deps.now,
        log,
        get signer() {
          return self.auditSigner();
        },
        signal: controller.signal,
        fence: (tx) => assertLease(tx, job.name, this.holder, this.clock()),
      });
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      log.error("job failed", { job: job.name, runId, err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    } finally {
      clearInterval(timer);
      await renewing;
      this.controllers.delete(controller);
    }
    const end = this.clock();
    const finished: FinishedRun = {
      runId,
      job: job.name,
      outcome: error === null ? "ok" : "failed",
      rowsRead: report?.rowsRead ?? null,
      rowsWritten: report?.rowsWritten ?? null,
      error,
      details: report?.details,
      durationMs: end - startedAt,
    };
    try {
      await finishRunAndRelease(store.client, { job: job.name, holder: this.holder }, runId, { ...finished, now: end });
    } catch (err) {
      // The run stays `running` in the history and its lease lapses by itself after leaseMs.
      log.error("could not record the end of a job run", { job: job.name, runId, err: String(err) });
    }
    return finished;
  }
}
