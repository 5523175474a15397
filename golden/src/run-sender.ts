/**
 * Sends the runs of a golden run to a Seamtrace server while the set runs, so the dashboard can
 * open each case's run as a DAG beside the result. The events are the ones the workflow recorded
 * in memory, each tagged `golden: { set, case, result, outcome }`, and go through the server's
 * normal ingest (`POST /v1/events`) on the SDK's own transport: batched, compressed, retried.
 * The server keeps tagged runs out of the review queue, the run counts and the analytics.
 */
import { Transport, uuidv7, type GoldenRunTag, type RequestFn, type SeamtraceEvent } from "@seamtrace/sdk";

/** What became of the runs sent. */
export interface GoldenRunsSent {
  server: string;
  /** The golden result the runs name (`golden.result`): the id the result is stored under. */
  result: string;
  runs: number;
  events: number;
  /** Events the server stored. */
  delivered: number;
  /** Events it does not have, by reason (`http_401`, `buffer_full`, `rejected:<code>`, …). */
  undelivered: number;
  undeliveredByReason: Record<string, number>;
  lastError?: string;
}

export interface GoldenRunSenderOptions {
  server: string;
  apiKey: string;
  /** The set's name as the result names it. */
  set: string;
  /** The result's id; one is made (UUIDv7) when absent. */
  result?: string;
  /** HTTP, for tests; default `fetch`. */
  request?: RequestFn;
}

/** Buffered events past which the next run waits for the transport to catch up. */
const BACKPRESSURE_EVENTS = 2_000;
/** How long a run waits for it; a server that does not catch up is not waited for again. */
const BACKPRESSURE_WAIT_MS = 15_000;

/**
 * Tags and sends each run's events; `close()` waits for delivery and says what arrived.
 * @example
 * const sender = new GoldenRunSender({ server: "http://127.0.0.1:7077", apiKey, set: "claims" });
 * await executeGoldenSet(cases, mod, { onRun: (c, run, events) => sender.send(c.id, run, events) });
 * console.log(await sender.close()); // { result: "01a2…", delivered: 4210, undelivered: 0, … }
 */
export class GoldenRunSender {
  readonly result: string;
  private readonly transport: Transport;
  private runs = 0;
  private events = 0;
  /** Set once the server fell behind for a whole wait: later runs no longer wait for it. */
  private stalled = false;

  constructor(private readonly options: GoldenRunSenderOptions) {
    this.result = options.result ?? uuidv7();
    this.transport = new Transport({
      endpoint: options.server,
      apiKey: options.apiKey,
      // Not the console: the report says what was lost, and the command exits 1 for it.
      logger: false,
      ...(options.request && { request: options.request }),
    });
  }

  /** Sends one run's events, tagged with its case and outcome. Resolves once the buffer has room. */
  async send(caseId: string, outcome: GoldenRunTag["outcome"], events: readonly SeamtraceEvent[]): Promise<void> {
    const golden: GoldenRunTag = { set: this.options.set, case: caseId, result: this.result, outcome };
    this.runs++;
    for (const e of events) {
      // Run events only: a drop report belongs to no run, and the transport makes its own.
      if (e.type === "sdk.dropped") continue;
      this.transport.enqueue({ ...e, golden });
      this.events++;
    }
    if (!this.stalled && this.transport.stats().buffered >= BACKPRESSURE_EVENTS) {
      const flushed = await this.transport.flush({ timeoutMs: BACKPRESSURE_WAIT_MS });
      if (flushed.undelivered > 0) this.stalled = true;
    }
  }

  /**
   * Delivers what is left (until `timeoutMs`) and reports. Backpressure keeps what is left to a
   * few thousand events, seconds of ingest; the bound is for a server that cannot be reached.
   */
  async close(timeoutMs = 15_000): Promise<GoldenRunsSent> {
    const r = await this.transport.shutdown({ timeoutMs });
    const sent: GoldenRunsSent = {
      server: this.options.server,
      result: this.result,
      runs: this.runs,
      events: this.events,
      delivered: r.delivered,
      undelivered: r.undelivered,
      undeliveredByReason: r.undeliveredByReason,
    };
    if (r.lastError !== undefined) sent.lastError = r.lastError;
    return sent;
  }
}
