import type { Job, JobContext, JobReport } from "../../jobs/job.js";
import { withWriteLock } from "../../../platform/db/write-transaction.js";
import { yieldToEventLoop } from "../../../platform/yield.js";
import { listPolicies } from "../../policies/store.js";
import { appendPrepared } from "../store.js";
import { policyIndex } from "./policy-index.js";
import { closeTraces, idleTraces } from "./trace-store.js";

/** Traces closed per transaction: bounds each hold on the write lock. */
const TRACES_PER_TRANSACTION = 100;

/**
 * Ends what the trace never will: a trace whose spans still wait (for a root that was never
 * exported, a parent that was rejected, a link to a span that never came) once it has been quiet
 * for SEAMTRACE_OTLP_IDLE_CLOSE_MS. What waits settles with what arrived (otlp/settle.ts,
 * `closing`), and a run left without a root ends `failed` with a `RootMissing` error, so no run
 * stays `running` for ever.
 */
export async function runOtlpCloseJob(ctx: JobContext): Promise<JobReport> {
  const idleCloseMs = ctx.config.otlp.idleCloseMs;
  let traces = 0;
  let events = 0;
  for (;;) {
    if (ctx.signal.aborted) break;
    const now = ctx.now();
    const done = await withWriteLock(ctx.store.client, async (tx) => {
      const due = await idleTraces(tx, now - idleCloseMs, TRACES_PER_TRANSACTION);
      if (due.length === 0) return { commit: false, value: { traces: 0, events: 0 } };
      const byProject = new Map<string, string[]>();
      for (const t of due) byProject.set(t.projectId, [...(byProject.get(t.projectId) ?? []), t.traceId]);
      let emitted = 0;
      for (const [projectId, traceIds] of byProject) {
        const ruleFor = policyIndex(await listPolicies(ctx.store.db, projectId));
        const prepared = await closeTraces(tx, projectId, traceIds, now, { ruleFor, idleCloseMs });
        if (prepared.length > 0) await appendPrepared(tx, projectId, now, prepared);
        emitted += prepared.length;
      }
      await ctx.fence(tx);
      return { commit: true, value: { traces: due.length, events: emitted } };
    });
    traces += done.traces;
    events += done.events;
    if (done.traces < TRACES_PER_TRANSACTION) break;
    await yieldToEventLoop();
  }
  return { rowsRead: traces, rowsWritten: events, details: { traces, events } };
}

export const otlpCloseJob: Job = { name: "otlp-close", run: runOtlpCloseJob };
