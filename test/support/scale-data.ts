/**
 * Realistic event traffic for scale measurements, deterministic per run index:
 * three workflows (several versions, 3–5 steps each, lineage through parents), model confidences
 * from a beta distribution, gates that escalate (blocking: the run pauses), flag (non-blocking)
 * or sample a spot check, a few failing steps, features that drift in the last days, and run
 * inputs/outputs/reasoning of a realistic size. Ids are UUIDv7 made at the event's own time, as
 * the SDK makes them.
 *
 * Pure: no store here. test/support/scale-writer.ts writes it through the real ingest and
 * projection code; test/support/scale-store.ts orchestrates whole stores.
 */
import type { RunEndedEvent, RunStartedEvent, SeamtraceEvent, StepEvent } from "@seamtrace/sdk";
import { beta, prng } from "../../server/test-support/stream-fixtures.js";

export const DAY = 86_400_000;
/** The span the generated runs cover, ending at the store's `end`. */
export const SPAN_DAYS = 30;
/** Escalations this recent stay open (the queue); older ones were mostly decided. */
export const OPEN_DAYS = 2;
/** Share of older escalations a reviewer decided (the rest are still in the queue). */
export const DECIDE_SHARE = 0.5;
/** Share of completed claims runs whose classify step gets late feedback. */
export const FEEDBACK_SHARE = 0.01;

interface WorkflowSpec {
  name: string;
  /** Version by the run's position in time (0..1): a new version rolls out part way. */
  version: (f: number) => string;
  steps: string[];
  onLow: "escalate" | "flag";
  minConfidence: number;
  spotCheckRate: number;
}

export const WORKFLOWS: readonly WorkflowSpec[] = [
  {
    name: "claims",
    version: (f) => (f < 0.6 ? "3" : "4"),
    steps: ["extract", "classify", "match-policy", "reserve", "route"],
    onLow: "escalate",
    minConfidence: 0.5,
    spotCheckRate: 0.01,
  },
  {
    name: "invoices",
    version: (f) => (f < 0.3 ? "1" : "2"),
    steps: ["ocr", "extract", "validate", "post"],
    onLow: "escalate",
    minConfidence: 0.5,
    spotCheckRate: 0.01,
  },
  { name: "support-triage", version: () => "7", steps: ["classify", "draft", "tone-check"], onLow: "flag", minConfidence: 0.5, spotCheckRate: 0.02 },
];

/** Runs 0–5 of every 10 are claims, 6–8 invoices, 9 support triage. */
export function workflowOf(i: number): WorkflowSpec {
  const k = i % 10;
  return WORKFLOWS[k < 6 ? 0 : k < 9 ? 1 : 2]!;
}

/** Step events per run on average (cut short by pauses and failures): measured, see stepsPerRun(). */
export const EXPECTED_STEPS_PER_RUN = 4.3;

/** Runs to generate for about `stepEvents` step events. */
export function runsFor(stepEvents: number): number {
  return Math.max(1, Math.round(stepEvents / EXPECTED_STEPS_PER_RUN));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A UUIDv7 for time `ms`, its random bits from `rand` (so generation is reproducible). */
export function uuidv7At(ms: number, rand: () => number): string {
  const b = new Array<number>(16);
  let t = ms;
  for (let i = 5; i >= 0; i--) {
    b[i] = t % 256;
    t = Math.floor(t / 256);
  }
  for (let i = 6; i < 16; i++) b[i] = Math.floor(rand() * 256);
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.map((x) => HEX[x]!);
  return `${h.slice(0, 4).join("")}-${h.slice(4, 6).join("")}-${h.slice(6, 8).join("")}-${h.slice(8, 10).join("")}-${h.slice(10).join("")}`;
}

export interface GeneratedRun {
  events: SeamtraceEvent[];
  /** Escalations this run's steps created, with what a reviewer would decide (null: left open). */
  escalations: Array<{ id: string; time: number; decision: "accept" | "correct" | "reject" | null }>;
  /** Late feedback for one step, when this run gets some. */
  feedback: { runId: string; stepId: string; correct: boolean; time: number } | null;
  stepEvents: number;
}

const CHANNELS = ["email", "web", "phone", "partner"];
const CAUSES = ["storm", "flood", "fire", "theft", "hail", "collision"];

/**
 * Run `i` of `runs`, spread evenly over [end − SPAN_DAYS, end). Deterministic in (seed, i).
 */
export function generateRun(i: number, runs: number, end: number, seed = 1): GeneratedRun {
  const rand = prng(seed * 1_000_003 + i * 7919 + 17);
  const span = SPAN_DAYS * DAY;
  const f = i / runs;
  const start = end - span + Math.floor(f * span) + Math.floor(rand() * 1000);
  const wf = workflowOf(i);
  const version = wf.version(f);
  const runId = uuidv7At(start, rand);
  const late = start > end - 3 * DAY; // the last days drift: larger amounts, more web traffic
  const amount = Math.round((late ? 1500 : 500) + rand() * 3000);
  const channel = CHANNELS[Math.floor(rand() * (late ? 2 : 4)) % 4]!;
  const base = { workflow: wf.name, version, runId };
  const events: SeamtraceEvent[] = [];
  const escalations: GeneratedRun["escalations"] = [];
  const started: RunStartedEvent = {
    id: uuidv7At(start, rand),
    type: "run.started",
    time: new Date(start).toISOString(),
    ...base,
    key: `${wf.name}-${i}`,
    input: { reference: `REF-${String(i).padStart(9, "0")}`, channel, amount, text: "Customer reports damage; photos attached; policy active since 2021." },
  };
  events.push(started);

  let t = start + 5;
  let cumulative = 1;
  let parent: string | null = null;
  let stepEvents = 0;
  let ended: RunEndedEvent | null = null;
  let feedbackStep: { stepId: string; confidence: number } | null = null;
  for (const [k, step] of wf.steps.entries()) {
    const stepStart = t;
    const durationMs = Math.round(20 + rand() * 400 + (step === "classify" || step === "draft" ? 600 : 0));
    t = stepStart + durationMs;
    // Version 4 of claims classifies a little less confidently: something for calibration to show.
    const confidence = Math.round(beta(rand, version === "4" && step === "classify" ? 8 : 9, 2) * 1e4) / 1e4;
    cumulative = Math.round(cumulative * confidence * 1e6) / 1e6;
    const stepId = uuidv7At(stepStart, rand);
    const failed = rand() < 0.004;
    const low = !failed && confidence < wf.minConfidence;
    const spot = !failed && !low && rand() < wf.spotCheckRate;
    const outcome = low ? wf.onLow : "pass";
    const escalationId = low || spot ? uuidv7At(t, rand) : undefined;
    const cause = CAUSES[Math.floor(rand() * CAUSES.length)]!;
    const e: StepEvent = {
      id: uuidv7At(t, rand),
      type: failed ? "step.failed" : "step.completed",
      time: new Date(t).toISOString(),
      ...base,
      stepId,
      step,
      parents: parent ? [parent] : [],
      input: k === 0 ? { reference: started.input && (started.input as { reference: string }).reference } : { from: step, amount },
      ...(failed
        ? {
            error: { name: "UpstreamError", message: "model endpoint returned 503 after 3 attempts" },
            attempt: 3,
            attemptErrors: [
              { name: "UpstreamError", message: "503" },
              { name: "UpstreamError", message: "503" },
            ],
          }
        : {
            output: step === "classify" ? cause : { step, amount, decision: confidence > 0.8 ? "auto" : "check", code: `${cause}-${k}` },
            confidence,
            cumulative,
            attempt: 1,
          }),
      source: "inferred",
      stale: false,
      ...(step === "classify" && !failed
        ? { reasoning: `The description and photos indicate ${cause} damage to the property.`, alternatives: CAUSES.filter((c) => c !== cause).slice(0, 2) }
        : {}),
      features: { amount, channel, words: 40 + Math.floor(rand() * 200) },
      durationMs,
      startedAt: new Date(stepStart).toISOString(),
      ...(failed ? {} : { gate: { outcome, kinds: low ? ["confidence"] : [], minConfidence: wf.minConfidence } }),
      ...(outcome === "flag" ? { flagged: true } : {}),
      ...(escalationId ? { escalationId } : {}),
      ...(spot ? { spotCheck: { rate: wf.spotCheckRate } } : {}),
    };
    events.push(e);
    stepEvents++;
    parent = stepId;
    if (step === "classify" && !failed && !low) feedbackStep = { stepId, confidence };
    if (escalationId) {
      const decided = t < end - OPEN_DAYS * DAY && rand() < DECIDE_SHARE;
      const r = rand();
      // Reviewers agree with confident outputs more often: labels that calibrate.
      const decision = !decided ? null : r < confidence ? "accept" : r < confidence + (1 - confidence) / 2 ? "correct" : "reject";
      escalations.push({ id: escalationId, time: t, decision });
    }
    if (failed) {
      ended = {
        id: uuidv7At(t + 1, rand),
        type: "run.failed",
        time: new Date(t + 1).toISOString(),
        ...base,
        error: e.error!,
        stepId,
        durationMs: t + 1 - start,
      };
      break;
    }
    if (low && wf.onLow === "escalate") {
      ended = {
        id: uuidv7At(t + 1, rand),
        type: "run.paused",
        time: new Date(t + 1).toISOString(),
        ...base,
        stepId,
        escalationId: escalationId!,
        durationMs: t + 1 - start,
      };
      break;
    }
    t += 2;
  }
  ended ??= {
    id: uuidv7At(t + 1, rand),
    type: "run.completed",
    time: new Date(t + 1).toISOString(),
    ...base,
    output: { status: "done", amount },
    durationMs: t + 1 - start,
  };
  events.push(ended);
  const feedback =
    wf.name === "claims" && ended.type === "run.completed" && feedbackStep && rand() < FEEDBACK_SHARE
      ? { runId, stepId: feedbackStep.stepId, correct: rand() < feedbackStep.confidence, time: t + 3 * 3_600_000 }
      : null;
  return { events, escalations, feedback, stepEvents };
}
