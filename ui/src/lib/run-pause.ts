import { formatDuration } from "./format.js";
import type { GateKind, RunDetailResponse, StepView } from "./types.js";

export interface PauseReason {
  step: StepView | null;
  /** Why its gate stopped it, one clause per gate that failed. */
  why: string[];
  /** A reviewer has decided: the run now waits for its worker to resume it, not for review. */
  decided: boolean;
}

const num = (v: number | null | undefined) => (v === null || v === undefined ? "none" : String(Number(v.toFixed(3))));

function clause(kind: GateKind, s: StepView): string {
  const g = s.gate!;
  switch (kind) {
    case "confidence":
      return `its confidence ${num(s.confidence)} is below the minimum ${num(g.minConfidence)}`;
    case "cumulative":
      return `its cumulative confidence ${num(s.cumulative)} is below the minimum ${num(g.minCumulative)}`;
    case "contract": {
      const n = g.issues?.length ?? 0;
      return `its output broke the step's contract${n > 0 ? ` (${n} issue${n === 1 ? "" : "s"})` : ""}`;
    }
    case "stale":
      return `its data was older than its max age${s.maxAgeMs !== null ? ` of ${formatDuration(s.maxAgeMs)}` : ""}`;
    case "unscored":
      return "it reported no confidence and its policy requires one";
  }
}

/**
 * Why a paused run is paused: the step it stopped at and which of that step's gates sent it to
 * review; `decided` when its audit trail holds the reviewer's decision. Null for a run that is
 * not paused.
 */
export function pauseReason(d: RunDetailResponse, decided = false): PauseReason | null {
  if (d.run.status !== "paused") return null;
  const step = d.steps.find((s) => s.id === d.run.stopStepId) ?? [...d.steps].reverse().find((s) => s.gate?.outcome === "escalate") ?? null;
  if (!step?.gate) return { step, why: [], decided };
  return { step, why: step.gate.kinds.map((k) => clause(k, step)), decided };
}
