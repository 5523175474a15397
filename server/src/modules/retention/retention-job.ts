import type { Config } from "../../app/config.js";
import type { Store } from "../../platform/db/client.js";
import { activeRetentionPolicies, deleteExpiredRuns, purgeToFinal, type PurgeCounts } from "./store.js";
import { yieldToEventLoop } from "../../platform/yield.js";

export interface RetentionJobDeps {
  store: Store;
  now: () => number;
  config: Readonly<Config>;
}

export interface RetentionJobResult {
  /** Runs purged or deleted, which is what this job reads. */
  rowsRead: number;
  final: PurgeCounts;
  deleted: PurgeCounts;
}

const DAY_MS = 86_400_000;
/**
 * A run is reduced to `final` an hour after it ended, not at once: step events from another
 * batch can still be in flight, and the analytics rollups read step rows within the hour.
 */
export const FINAL_GRACE_MS = 60 * 60_000;
/** Runs per transaction: keeps each hold on the write lock short while ingest goes on. */
const RUNS_PER_TRANSACTION = 200;

const add = (a: PurgeCounts, b: PurgeCounts) => ((a.runs += b.runs), (a.steps += b.steps), (a.events += b.events));

/**
 * Applies every workflow's retention: TTL deletions first, then `final` reductions.
 * Each batch finds its runs through an index on end time (the `final` one partial, holding only
 * runs still to reduce), so the cost follows what is due, not the size of the history.
 */
export async function runRetentionJob(deps: RetentionJobDeps): Promise<RetentionJobResult> {
  const now = deps.now();
  const result: RetentionJobResult = { rowsRead: 0, final: { runs: 0, steps: 0, events: 0 }, deleted: { runs: 0, steps: 0, events: 0 } };
  for (const p of await activeRetentionPolicies(deps.store.db)) {
    if (p.workflowId === null) continue; // No run of it yet.
    const base = { projectId: p.projectId, workflowId: p.workflowId, limit: RUNS_PER_TRANSACTION, now };
    if (p.ttlDays !== null) {
      for (;;) {
        const c = await deleteExpiredRuns(deps.store.client, { ...base, endedBefore: now - p.ttlDays * DAY_MS });
        add(result.deleted, c);
        if (c.runs < RUNS_PER_TRANSACTION) break;
        await yieldToEventLoop();
      }
    }
    if (p.mode === "final") {
      for (;;) {
        const c = await purgeToFinal(deps.store.client, { ...base, endedBefore: now - FINAL_GRACE_MS });
        add(result.final, c);
        if (c.runs < RUNS_PER_TRANSACTION) break;
        await yieldToEventLoop();
      }
    }
  }
  result.rowsRead = result.final.runs + result.deleted.runs;
  return result;
}
