import type { RunEndedEvent, RunStartedEvent } from "@seamtrace/sdk";
import { timedUuid } from "./ids.js";
import { iso } from "./span-draft.js";
import type { RootCandidate } from "./settle.js";

/**
 * A run can have several top spans: spans of several traces naming one `seamtrace.run.id`, or, at
 * idle close, spans standing in for a root that never came (and that root, if it comes later).
 * One of them speaks for the run (status, input, output, end): the best, whatever order they
 * arrive in. Best is a real top span over a stand-in, then the latest end (the run ends when
 * its last top span does), then the smallest trace and span id. Every candidate reports its
 * start (the run starts with its earliest); only a candidate better than every one before it
 * reports the rest, so the run's row always ends up as the best candidate says.
 */

export interface BestRoot {
  rootClass: number;
  endedAt: number;
  traceId: string;
  spanId: string;
}

export function beats(c: BestRoot, best: BestRoot | undefined): boolean {
  if (!best) return true;
  if (c.rootClass !== best.rootClass) return c.rootClass > best.rootClass;
  if (c.endedAt !== best.endedAt) return c.endedAt > best.endedAt;
  return `${c.traceId}${c.spanId}` < `${best.traceId}${best.spanId}`;
}

export const bestOf = (c: RootCandidate): BestRoot => ({ rootClass: c.rootClass, endedAt: c.endMs, traceId: c.traceId, spanId: c.spanId });

/** The run events a candidate reports, given the best candidate seen before it. */
export function runEvents(c: RootCandidate, best: BestRoot | undefined, idleCloseMs: number): Array<RunStartedEvent | RunEndedEvent> {
  const identity = { runId: c.runId, workflow: c.workflow, version: c.version };
  const started: RunStartedEvent = {
    id: timedUuid(c.startMs, "otlp-run-started", c.traceId, c.spanId),
    type: "run.started",
    time: iso(c.startMs),
    ...identity,
  };
  if (!beats(bestOf(c), best)) return [started];
  if (c.key !== undefined) started.key = c.key;
  // Always set (JSON null when the span had none), so it replaces a worse candidate's input.
  started.input = c.input ?? null;
  const ended: RunEndedEvent = {
    id: timedUuid(c.endMs, "otlp-run-ended", c.traceId, c.spanId),
    type: c.rootClass === 1 || c.error ? "run.failed" : "run.completed",
    time: iso(c.endMs),
    ...identity,
    durationMs: c.durationMs,
  };
  if (c.rootClass === 1) {
    ended.error = {
      name: "RootMissing",
      message: `the trace's root span never arrived: Seamtrace closed the run ${idleCloseMs} ms after its last span (SEAMTRACE_OTLP_IDLE_CLOSE_MS)`,
    };
    ended.stepId = c.stepId;
  } else if (c.error) {
    ended.error = c.error;
    ended.stepId = c.stepId;
  } else if (c.output !== undefined) ended.output = c.output;
  return [started, ended];
}
