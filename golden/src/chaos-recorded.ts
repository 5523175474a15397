/**
 * Knowing when a chaos run's steps have all been recorded. A run can end while one of its steps
 * still runs (a parallel sibling stopped it); that step records its outcome later, and reading
 * the run's events before then reported an injected hang as "no event was recorded".
 */
import type { StepFn } from "@seamtrace/sdk";
import type { MemorySink } from "@seamtrace/sdk/memory";

/** A run's step calls as the interceptor saw them. */
export interface StepCalls {
  runId?: string;
  /** Every step call made in the run, as `call:name`, to wait for its event. */
  seen: Set<string>;
  /** Attempts of step functions not yet settled. */
  inflight: Set<Promise<unknown>>;
}

/** Wraps a step function so its unsettled attempts are known. */
export function tracked(ctx: StepCalls, fn: StepFn<unknown>): StepFn<unknown> {
  return (c) => {
    const ret = fn(c);
    if (typeof (ret as { then?: unknown } | null)?.then === "function") {
      const p = ret as Promise<unknown>;
      ctx.inflight.add(p);
      const done = () => ctx.inflight.delete(p);
      p.then(done, done);
    }
    return ret;
  };
}

/**
 * Waits until every step call of the run has its event in the sink, or the deadline passes. A
 * step still running when `run()` resolved records its outcome later; reading the events before
 * then reported an injected hang as "no event was recorded".
 */
export async function recorded(ctx: StepCalls, sink: MemorySink, deadline: number): Promise<void> {
  const missing = () => {
    if (ctx.runId === undefined) return false;
    const have = new Set<string>();
    for (const e of sink.events({ runId: ctx.runId })) if (e.type === "step.completed" || e.type === "step.failed") have.add(`${e.call ?? 0}:${e.step}`);
    return [...ctx.seen].some((k) => !have.has(k));
  };
  for (;;) {
    // The SDK records a settled step in promise continuations: let them run first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (!missing()) return;
    const left = deadline - Date.now();
    if (left <= 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const wait = new Promise<void>((resolve) => (timer = setTimeout(resolve, ctx.inflight.size > 0 ? left : Math.min(left, 10))));
    // Between attempts (a retry's backoff) nothing is in flight: look again shortly.
    await Promise.race([ctx.inflight.size > 0 ? Promise.allSettled([...ctx.inflight]) : wait, wait]);
    clearTimeout(timer);
  }
}
