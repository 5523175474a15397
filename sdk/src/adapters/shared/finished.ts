import type { RunResult, Workflow } from "../../client.js";

/**
 * The answer for a run that has already ended, or undefined when it may be resumed. The core
 * replays an ended run asked for by id; a framework's run cannot be replayed that way (its saved
 * state would run the paused calls a second time), so a resume of an ended run does nothing.
 */
export async function endedRun<T>(workflow: Workflow, runId: string): Promise<RunResult<T> | undefined> {
  const state = await workflow.client.resumer?.state(runId);
  const status = state?.run.status;
  return status === "completed" || status === "failed" ? { status: "duplicate", runId } : undefined;
}
