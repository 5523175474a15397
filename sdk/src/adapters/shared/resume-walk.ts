/**
 * Re-entering a recorded run from a framework adapter. A framework resumes its own run from its
 * own saved state (messages, a checkpoint, a serialised RunState) and re-runs only what had not
 * finished; the Seamtrace run must meanwhile hold a handle for every recorded step, so the steps
 * that follow get their lineage and cumulative confidence, and the reviewed step must come back
 * with the reviewer's value. This walks the recorded steps through `run.step()` under their
 * recorded calls: the core replays each one without calling any code.
 */
import type { Run, StepHandle } from "../../run.js";
import type { RunState } from "../../types.js";

export type RecordedStep = RunState["steps"][number];

export interface Walked {
  /** A handle per recorded step that was walked, by step id. */
  handles: Map<string, StepHandle<unknown>>;
  /** The records, by step id (latest record of each step). */
  records: Map<string, RecordedStep>;
  /** The reviewed escalation this run resumes from, if any. */
  review: NonNullable<RunState["escalation"]> | undefined;
  /** The reviewed step's handle (the reviewer's value), unless deferred or rejected. */
  reviewed: StepHandle<unknown> | undefined;
  /**
   * Records not walked: steps that failed their gate and were never reviewed (the framework
   * runs them again), and the reviewed step when `deferReviewed` is set.
   */
  pending: RecordedStep[];
}

class NotRecorded extends Error {}

/**
 * Walks `run.recorded` in execution order. A `reject` decision stops the run (the core fails it
 * with `ReviewRejected`); check `run.stopped` afterwards.
 */
export async function walkRecorded(run: Run, options: { deferReviewed?: boolean } = {}): Promise<Walked> {
  const state = run.recorded;
  const walked: Walked = { handles: new Map(), records: new Map(), review: undefined, reviewed: undefined, pending: [] };
  if (!state) return walked;
  const review = state.escalation?.status === "resolved" ? state.escalation : undefined;
  walked.review = review;
  // The latest record of a (name, call) supersedes earlier ones, as in the core's replay.
  const latest = new Map<string, RecordedStep>();
  for (const s of state.steps) latest.set(`${s.call}:${s.name}`, s);
  const never = () => {
    throw new NotRecorded();
  };
  for (const r of parentsFirst([...latest.values()])) {
    walked.records.set(r.stepId, r);
    if (r.status !== "completed") continue;
    const isReviewed = review !== undefined && review.stepId === r.stepId && r.source !== "human";
    if ((r.gated && !isReviewed && r.source !== "human") || (isReviewed && options.deferReviewed)) {
      walked.pending.push(r);
      continue;
    }
    const from = parentsOf(r, walked.handles);
    try {
      const handle = await run.step(r.name, { call: r.call, from }, never);
      walked.handles.set(r.stepId, handle);
      if (isReviewed) walked.reviewed = handle;
    } catch (err) {
      if (err === run.stopped) return walked; // a rejected review: the run has failed
      throw err;
    }
  }
  return walked;
}

/**
 * Records with every parent before its children. The recorded order alone does not ensure it:
 * steps that start in the same millisecond are ordered by id, and an id is made when first read.
 */
function parentsFirst(records: RecordedStep[]): RecordedStep[] {
  const byId = new Map(records.map((r) => [r.stepId, r]));
  const out: RecordedStep[] = [];
  const seen = new Set<string>();
  // Depth-first without recursion: a run's chain can be thousands of steps long.
  for (const root of records) {
    if (seen.has(root.stepId)) continue;
    seen.add(root.stepId);
    const stack: Array<{ r: RecordedStep; i: number }> = [{ r: root, i: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const parent = top.i < top.r.parents.length ? byId.get(top.r.parents[top.i++]!) : undefined;
      if (parent && !seen.has(parent.stepId)) {
        seen.add(parent.stepId);
        stack.push({ r: parent, i: 0 });
      } else if (top.i >= top.r.parents.length) {
        out.push(top.r);
        stack.pop();
      }
    }
  }
  return out;
}

/** The handles of a record's parents that this process holds. */
export function parentsOf(r: RecordedStep, handles: ReadonlyMap<string, StepHandle<unknown>>): StepHandle<unknown>[] {
  const from: StepHandle<unknown>[] = [];
  for (const id of r.parents) {
    const h = handles.get(id);
    if (h) from.push(h);
  }
  return from;
}
