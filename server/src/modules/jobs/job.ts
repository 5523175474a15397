import type { Transaction } from "@libsql/client";
import type { Config } from "../../app/config.js";
import type { Store } from "../../platform/db/client.js";
import type { CheckpointSigner } from "../audit/chain.js";
import type { Logger } from "../../app/logger.js";
import type { JobName } from "./names.js";

/** What a job gets to run with (jobs take their dependencies, tests pass a fixed `now`). */
export interface JobContext {
  store: Store;
  config: Readonly<Config>;
  /** The job's clock: window ends, record times. Tests fix it. */
  now: () => number;
  log: Logger;
  /** Signs audit checkpoints (the checkpoint job). */
  signer: CheckpointSigner;
  /** Aborted when the lease is lost or the scheduler stops: stop at the next chunk boundary. */
  signal: AbortSignal;
  /**
   * Fencing: call inside every write transaction of the job, just before its commit. Throws
   * LeaseLostError (rolling the transaction back) if this instance no longer holds the lease.
   */
  fence(tx: Transaction): Promise<void>;
}

/** What a run reports; stored on its job_runs row. Aggregate counts only: runs span projects. */
export interface JobReport {
  rowsRead: number;
  rowsWritten?: number;
  details?: Record<string, unknown>;
}

export interface Job {
  name: JobName;
  run(ctx: JobContext): Promise<JobReport>;
}
