/**
 * `@seamtrace/sdk/memory`: an event sink that keeps a client's events in memory instead of
 * sending them to a collector, for tests and for evaluators that read what a workflow recorded
 * (the golden executor runs on it). Nothing is sent, batched or retried: an event is in the
 * sink, as the collector would receive it, the moment the SDK emits it.
 */
import { serializeEvent } from "./batch.js";
import type { Deferred, EventSink } from "./transport-types.js";
import type { SeamtraceEvent } from "./types.js";

export type { EventSink } from "./transport-types.js";

/** An event the sink could not keep, and why: it is not silently missing. */
export interface LostEvent {
  /** `serialize_error`: not representable as JSON (a BigInt, a cycle); `full`: past `maxEvents`. */
  reason: "serialize_error" | "full";
  /** What is known of the event: its run, step and type when they could be read. */
  runId?: string;
  step?: string;
  type?: string;
  message: string;
}

export interface MemorySinkOptions {
  /** Events held at once (taken runs no longer count). Past it new events are lost, and recorded as such. Default 100,000. */
  maxEvents?: number;
}

/** Events not tied to a run (`sdk.dropped`) are filed under this key. */
const NO_RUN = "";

/**
 * Keeps every event a client emits, filed by run, as JSON snapshots taken at emit time (the
 * same serialisation the transport sends, so outputs read back exactly as the collector would
 * store them, and later changes to a returned object do not leak in).
 *
 * Bounded: past `maxEvents` held events, further events are lost; every loss is kept (per run
 * when the run is known) so a caller can tell a missing event from a step that never ran.
 * @example
 * import { Seamtrace } from "@seamtrace/sdk";
 * import { MemorySink } from "@seamtrace/sdk/memory";
 *
 * const sink = new MemorySink();
 * const st = new Seamtrace({ sink });
 * const r = await st.workflow("claims").run({ input: email }, pipeline);
 * const { events, lost } = sink.take(r.runId);
 * expect(events.find((e) => e.type === "step.completed" && e.step === "classify")?.output).toBe("auto");
 */
export class MemorySink implements EventSink {
  private readonly maxEvents: number;
  private readonly runs = new Map<string, { events: SeamtraceEvent[]; lost: LostEvent[] }>();
  private held = 0;

  constructor(options: MemorySinkOptions = {}) {
    const max = options.maxEvents ?? 100_000;
    if (!(Number.isInteger(max) && max > 0)) throw new RangeError("maxEvents must be a positive whole number");
    this.maxEvents = max;
  }

  /** Called by the client for every event. Never throws. */
  write(event: SeamtraceEvent | Deferred): void {
    let wire: SeamtraceEvent | undefined;
    try {
      wire = isDeferred(event) ? event.toWire() : event;
      if (this.held >= this.maxEvents) return this.lose(wire, "full", `the sink holds ${this.maxEvents} events (maxEvents)`);
      const copy = JSON.parse(serializeEvent(wire).json) as SeamtraceEvent;
      this.entry(runOf(copy)).events.push(copy);
      this.held++;
    } catch (err) {
      this.lose(wire, "serialize_error", err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    }
  }

  /** Every event held, in emit order within each run (runs in the order they first emitted). */
  events(filter: { runId?: string } = {}): SeamtraceEvent[] {
    if (filter.runId !== undefined) return [...(this.runs.get(filter.runId)?.events ?? [])];
    return [...this.runs.values()].flatMap((r) => r.events);
  }

  /** Every loss not yet taken with its run. */
  lost(): LostEvent[] {
    return [...this.runs.values()].flatMap((r) => r.lost);
  }

  /**
   * One run's events and losses, removed from the sink, so memory stays bounded by the runs in
   * flight when runs are taken as they finish.
   */
  take(runId: string): { events: SeamtraceEvent[]; lost: LostEvent[] } {
    const r = this.runs.get(runId);
    if (!r) return { events: [], lost: [] };
    this.runs.delete(runId);
    this.held -= r.events.length;
    return r;
  }

  /** Events held now. */
  get size(): number {
    return this.held;
  }

  /** Forgets everything. */
  clear(): void {
    this.runs.clear();
    this.held = 0;
  }

  private entry(runId: string): { events: SeamtraceEvent[]; lost: LostEvent[] } {
    let r = this.runs.get(runId);
    if (!r) this.runs.set(runId, (r = { events: [], lost: [] }));
    return r;
  }

  private lose(wire: SeamtraceEvent | undefined, reason: LostEvent["reason"], message: string): void {
    const loss: LostEvent = { reason, message };
    if (wire !== undefined) {
      if (typeof wire.type === "string") loss.type = wire.type;
      if ("runId" in wire && typeof wire.runId === "string") loss.runId = wire.runId;
      if ("step" in wire && typeof wire.step === "string") loss.step = wire.step;
    }
    // Losses are few and small; capped anyway so a runaway producer cannot grow them without bound.
    const r = this.entry(loss.runId ?? NO_RUN);
    if (r.lost.length < 1000) r.lost.push(loss);
  }
}

function isDeferred(event: SeamtraceEvent | Deferred): event is Deferred {
  return typeof (event as Partial<Deferred>).toWire === "function";
}

function runOf(event: SeamtraceEvent): string {
  return "runId" in event && typeof event.runId === "string" ? event.runId : NO_RUN;
}
