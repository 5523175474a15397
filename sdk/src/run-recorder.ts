import { StepHandle } from "./step-handle.js";
import type { Deferred } from "./transport-types.js";
import type { RunState, SeamtraceEvent } from "./types.js";

/** @internal A resume claim won: the epoch its events carry. */
export interface Claim {
  epoch: number;
  escalationId: string;
}

/**
 * @internal How one execution of a run records its events. Each carries the run's epoch and
 * its position in it, so the server orders them without reading the worker's clock: a resume
 * takes the epoch its claim was granted; a replay without a claim (an interrupted or finished
 * run run again) the one after the latest the server knows; a new run 0.
 */
export class RunRecorder {
  private seq = 0;
  private readonly epoch: number;

  constructor(
    private readonly send: (event: SeamtraceEvent | Deferred) => void,
    state: RunState | undefined,
    claim: Claim | undefined,
  ) {
    this.epoch = claim?.epoch || (state ? (state.run.epoch ?? 0) + 1 : 0);
  }

  readonly emit = (event: SeamtraceEvent | StepHandle<unknown>): void => {
    if (event instanceof StepHandle || event.type !== "sdk.dropped") {
      event.epoch = this.epoch;
      event.epochSeq = this.seq++;
    }
    this.send(event);
  };
}
