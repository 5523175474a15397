import type { Run } from "./run.js";
import type { Resumer } from "./resumer.js";
import { ResumeLease } from "./resume-lease.js";
import { StepHandle } from "./step-handle.js";
import type { Deferred } from "./transport-types.js";
import type { RunState, SeamtraceEvent } from "./types.js";

/** @internal A resume claim won: the epoch its events carry, and the lease to renew (0: an older server grants none). */
export interface Claim {
  epoch: number;
  leaseMs: number;
  escalationId: string;
  /** `performance.now()` when the claim was asked for. */
  claimedAt: number;
}

/**
 * @internal How one execution of a run records its events. Each carries the run's epoch and
 * its position in it, so the server orders them without reading the worker's clock: a resume
 * takes the epoch its claim was granted; a replay without a claim (an interrupted or finished
 * run run again) the one after the latest the server knows; a new run 0. A resume renews its
 * claim meanwhile; once the claim is lost the run stops before its next step (`Run.leaseLost`)
 * and nothing more is recorded: every later event is dropped here.
 */
export class RunRecorder {
  private seq = 0;
  private run: Run | undefined;
  private readonly epoch: number;
  private readonly lease: ResumeLease | undefined;

  constructor(
    private readonly send: (event: SeamtraceEvent | Deferred) => void,
    runId: string,
    state: RunState | undefined,
    claim: Claim | undefined,
    resumer: Resumer | undefined,
    report: (err: unknown) => void,
  ) {
    this.epoch = claim?.epoch || (state ? (state.run.epoch ?? 0) + 1 : 0);
    if (claim && claim.leaseMs > 0 && resumer) {
      this.lease = new ResumeLease({
        leaseMs: claim.leaseMs,
        claimedAt: claim.claimedAt,
        renew: () => resumer.renew(runId, claim.escalationId, claim.epoch),
        onLost: (reason) => report(this.run ? this.run.leaseLost(reason) : new Error(reason)),
      });
    }
  }

  /** The run this records, told when its claim is lost. */
  attach(run: Run): void {
    this.run = run;
  }

  /** True once the resume claim is lost: the run is another worker's now. */
  get lost(): boolean {
    return this.lease !== undefined && !this.lease.held();
  }

  readonly emit = (event: SeamtraceEvent | StepHandle<unknown>): void => {
    if (this.lost) return;
    if (event instanceof StepHandle || event.type !== "sdk.dropped") {
      event.epoch = this.epoch;
      event.epochSeq = this.seq++;
    }
    this.send(event);
  };

  /** The execution is over: no more renewals. */
  stop(): void {
    this.lease?.stop();
  }
}
