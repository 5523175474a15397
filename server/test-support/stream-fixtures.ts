import { seededRandom, type FeatureValue, type StepEvent } from "@seamtrace/sdk";
import type { Store } from "../src/platform/db/client.js";
import { decideEscalation } from "../src/modules/review/decision-store.js";
import { commitIngestBatches } from "../src/modules/ingest/store.js";
import { projectPending } from "../src/modules/runs/projection-store.js";

// Simulated streams for the analytics tests and the jobs benchmark: step events made the way
// the SDK makes them (gates applied, spot checks sampled), stored through the real ingest and
// projector, and reviewed through the real decision path, with a known truth per output.

/** A seeded PRNG (the SDK's), so every simulated stream is the same on every run. */
export const prng: (seed: number) => () => number = seededRandom;

/** A Beta(a, b) draw for integer a, b (order statistic of uniforms): enough for confidences. */
export function beta(rand: () => number, a: number, b: number): number {
  const u = Array.from({ length: a + b - 1 }, rand).sort((x, y) => x - y);
  return u[a - 1]!;
}

export interface StreamSpec {
  workflow?: string;
  version?: string;
  step?: string;
  /** First hour (ms) and how many hours, `perHour` outputs each. */
  from: number;
  hours: number;
  perHour: number;
  confidence(rand: () => number): number;
  /** Probability that an output with this confidence is right. */
  pCorrect(confidence: number): number;
  policy: { minConfidence: number; spotCheckRate: number; onLow?: "escalate" | "flag" };
  features?(rand: () => number): Record<string, FeatureValue>;
  output?(rand: () => number, correct: boolean): unknown;
  seed: number;
}

export interface SimulatedOutput {
  event: StepEvent;
  correct: boolean;
  /** The review it went to, if any. */
  review: "escalate" | "flag" | "spot_check" | null;
}

/**
 * UUIDv7-shaped ids from the stream's seed: the rollups sample by a hash of the step id
 * (analytics/bottom-k.ts), so random ids made drift p-values, and the tests reading them,
 * differ from run to run.
 */
function idMaker(seed: number): (time: number) => string {
  const rand = prng(seed ^ 0x5eed1d5);
  const hex = (bits: number) =>
    Math.floor(rand() * 2 ** bits)
      .toString(16)
      .padStart(bits / 4, "0");
  return (time) => {
    const ms = time.toString(16).padStart(12, "0");
    return `${ms.slice(0, 8)}-${ms.slice(8)}-7${hex(12)}-${(8 + Math.floor(rand() * 4)).toString(16)}${hex(12)}-${hex(24)}${hex(24)}`;
  };
}

/** The stream's step events, each gated and sampled as the SDK would under `policy`. */
export function simulateStream(spec: StreamSpec): SimulatedOutput[] {
  const rand = prng(spec.seed);
  const newId = idMaker(spec.seed);
  const out: SimulatedOutput[] = [];
  const { minConfidence, spotCheckRate, onLow = "escalate" } = spec.policy;
  for (let h = 0; h < spec.hours; h++) {
    for (let i = 0; i < spec.perHour; i++) {
      const t = spec.from + h * 3_600_000 + Math.floor(((i + 0.5) / spec.perHour) * 3_600_000);
      const confidence = Math.round(spec.confidence(rand) * 1e6) / 1e6;
      const correct = rand() < spec.pCorrect(confidence);
      const low = confidence < minConfidence;
      const spot = !low && rand() < spotCheckRate;
      const review = low ? (onLow === "flag" ? "flag" : "escalate") : spot ? "spot_check" : null;
      const event: StepEvent = {
        id: newId(t),
        type: "step.completed",
        time: new Date(t).toISOString(),
        runId: newId(t),
        workflow: spec.workflow ?? "claims",
        version: spec.version ?? "1",
        stepId: newId(t),
        step: spec.step ?? "classify",
        parents: [],
        output: spec.output ? spec.output(rand, correct) : correct ? "right" : "wrong",
        confidence,
        cumulative: confidence,
        source: "inferred",
        stale: false,
        attempt: 1,
        durationMs: Math.round(20 + rand() * 200),
        startedAt: new Date(t - 50).toISOString(),
        gate: low ? { outcome: onLow, kinds: ["confidence"], minConfidence } : { outcome: "pass", kinds: [], minConfidence },
      };
      if (review) event.escalationId = newId(t);
      if (spot) event.spotCheck = { rate: spotCheckRate };
      if (spec.features) event.features = spec.features(rand);
      out.push({ event, correct, review });
    }
  }
  return out;
}

/** Stores the events through the collector's own ingest and projects them (escalations included). */
export async function ingestStream(store: Store, projectId: string, keyId: string, outputs: readonly SimulatedOutput[]): Promise<void> {
  for (let i = 0; i < outputs.length; i += 1000) {
    const events = outputs.slice(i, i + 1000).map((o) => o.event);
    await commitIngestBatches(store.client, [{ projectId, keyId, receivedAt: Date.now(), events }]);
  }
  while ((await projectPending(store.client, 2000)).projected > 0);
}

/**
 * A reviewer decides every review item (escalations, flags, spot checks) by the truth: accept
 * when the output was right, correct it otherwise. Only items of `kinds` are reviewed.
 */
export async function reviewStream(
  store: Store,
  projectId: string,
  userId: string,
  outputs: readonly SimulatedOutput[],
  kinds: ReadonlyArray<"escalate" | "flag" | "spot_check"> = ["escalate", "flag", "spot_check"],
  now = Date.now(),
): Promise<number> {
  let n = 0;
  for (const o of outputs) {
    if (!o.review || !kinds.includes(o.review)) continue;
    const r = await decideEscalation(store.client, {
      projectId,
      id: o.event.escalationId!,
      userId,
      decision: o.correct ? "accept" : "correct",
      output: "right",
      reason: "simulated review",
      now,
    });
    if (r.status !== "settled") throw new Error(`review of ${o.event.escalationId} refused: ${r.status}`);
    n++;
  }
  return n;
}
