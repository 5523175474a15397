/**
 * What a gated node hands LangGraph's `interrupt()`: the escalation packet, kept in the graph's
 * checkpoint with the pending interrupt, and the way back to the Seamtrace run from the thread.
 */
import type { ConfidenceSource, GateKind } from "../../types.js";

/**
 * The value of a Seamtrace interrupt (`task.interrupts[].value`, `result.__interrupt__`).
 * `escalated`: this node's output failed its gate and waits for review. `waiting`: another step
 * stopped the run, so this node did not run (or its output did not pass) and runs on resume.
 */
export interface EscalationPacket {
  seamtrace: "escalated" | "waiting";
  runId: string;
  workflow: string;
  /** The node (step name) and its step id, when it ran. */
  step: string;
  stepId?: string;
  /** The escalation a reviewer decides; for `waiting`, the one the run waits on. */
  escalationId?: string;
  /** Why it stopped: the gates that failed. */
  kinds?: GateKind[];
  confidence?: number;
  /** How `confidence` was obtained, when known (`logprob` when it came from the model's log-probabilities). */
  confidenceSource?: ConfidenceSource;
  cumulative?: number;
  /** The node's update, as it returned it: what accept resumes with. */
  output?: unknown;
  /** How many Seamtrace interrupts this task raised before (LangGraph matches resume values by index). */
  index: number;
}

/** The resume value the adapter sends with `Command({ resume })` for a Seamtrace interrupt. */
export interface ReviewAnswer {
  seamtrace: "review" | "go";
  decision?: "accept" | "correct" | "reject";
  /** The update the node returns: its own on accept, the reviewer's on correct. */
  output?: unknown;
  reason?: string | null;
}

export function isPacket(value: unknown): value is EscalationPacket {
  const v = value as Partial<EscalationPacket> | null;
  return typeof v === "object" && v !== null && (v.seamtrace === "escalated" || v.seamtrace === "waiting") && typeof v.runId === "string";
}
