import type { ErrorInfo, FeatureValue, PolicyRule, StepEvent } from "@seamtrace/sdk";
import { evaluateGate } from "@seamtrace/sdk";
import { CONFIDENCE_SOURCES } from "../contract.js";
import { hashedUuid, runIdForLocalRoot, runIdForTrace, stepIdFor } from "./ids.js";
import { stepEventOf, type ReportedDraft, type Score, type SpanDraft } from "./span-draft.js";

/**
 * Where a span's step sits in its run, worked out from the spans of its trace that are stored.
 *
 * A step's run, workflow, cumulative confidence, flag and gate depend on its ancestors: its parent
 * span up to the top of its tree, and the spans it links to. A span therefore settles (becomes a
 * step event, once) only when every one of those is stored and settled; until then it waits. Each
 * value is then a function of the span and its ancestors alone, so the same spans give the same
 * steps whatever split and order they arrive in. The top of a tree is a span with no parent, or
 * one whose parent the exporter marks as remote (a `traceparent` from a service that may never
 * export here: lineage stops there rather than wait for it).
 *
 * When a trace has been quiet for the idle time (`closing`), what still waits settles with what
 * arrived: a missing parent or link is cut, and a span whose parent never came stands in as the
 * root of its run (class 1), which then ends as `RootMissing`.
 */

/** What the descendants of a settled span inherit from it. */
export interface Settled {
  runId: string;
  workflow: string;
  version: string;
  /** Own confidence as the cumulative counts it; null when unscored (neutral). */
  own: number | null;
  /** A human-verified output: counts as 1 and hides its own ancestors. */
  human: boolean;
  flagged: boolean;
  /** Spans of this trace whose steps are this step's lineage parents (walked for cumulative). */
  lineage: string[];
}

export type TraceSpan =
  | { kind: "span"; state: "pending"; draft: SpanDraft }
  | { kind: "span"; state: "settled"; settled: Settled }
  | { kind: "reported"; draft: ReportedDraft };

/** A served policy as the OTLP path reads it. */
export interface OtlpRule extends PolicyRule {
  /** The evaluation whose score is the step's confidence. */
  confidenceFrom?: string;
}

export interface SettleInput {
  traceId: string;
  /** Every stored span of the trace, by span id; settled spans are replaced in place. */
  spans: Map<string, TraceSpan>;
  ruleFor(workflow: string, step: string): OtlpRule | undefined;
  /** Every score stored for a step (span events and log records). */
  scoresFor(stepId: string): readonly Score[];
  closing: boolean;
}

/** A top span of a run: it speaks for the run if it is the run's best (otlp/run-roots.ts). */
export interface RootCandidate {
  runId: string;
  /** 2: a top span (no parent, a remote parent, or a span naming a run of its own); 1: standing in for a root that never came. */
  rootClass: 1 | 2;
  traceId: string;
  spanId: string;
  stepId: string;
  startMs: number;
  endMs: number;
  durationMs: number;
  workflow: string;
  version: string;
  key?: string;
  input: unknown;
  output?: unknown;
  error?: ErrorInfo;
}

export interface SettledStep {
  spanId: string;
  draft: SpanDraft;
  settled: Settled;
  event: StepEvent;
  root?: RootCandidate;
}

/** Settles every span of the trace that can settle now, parents before children. */
export function settleTrace(input: SettleInput): SettledStep[] {
  const out: SettledStep[] = [];
  const order = [...input.spans.entries()]
    .filter((e): e is [string, Extract<TraceSpan, { state: "pending" }>] => e[1].kind === "span" && e[1].state === "pending")
    .sort(([a, x], [b, y]) => x.draft.startMs - y.draft.startMs || (a < b ? -1 : 1))
    .map(([id]) => id);
  const pending = () => order.filter((id) => isPending(input.spans.get(id)));
  for (;;) {
    let progress = false;
    for (const id of pending()) {
      const step = trySettle(input, id, false);
      if (step) {
        out.push(step);
        progress = true;
      }
    }
    if (progress) continue;
    if (!input.closing) break;
    // Closing: the earliest span still waiting gives up on what it waits for, and the rest follow.
    const first = pending()[0];
    if (first === undefined) break;
    out.push(trySettle(input, first, true)!);
  }
  return out;
}

function isPending(s: TraceSpan | undefined): boolean {
  return s !== undefined && s.kind === "span" && s.state === "pending";
}

interface Place {
  runId: string;
  workflow: { name: string; version: string };
  /** Lineage parents as step ids, in order. */
  parents: string[];
  /** Settled spans of the trace among the parents: walked for cumulative and flags. */
  walk: string[];
  root?: { rootClass: 1 | 2; key?: string };
}

function trySettle(input: SettleInput, spanId: string, cut: boolean): SettledStep | undefined {
  const d = (input.spans.get(spanId) as Extract<TraceSpan, { state: "pending" }>).draft;
  const place = placeOf(input, d, cut);
  if (!place) return undefined;

  const rule = input.ruleFor(place.workflow.name, d.step.name);
  const scores = input.scoresFor(d.stepId);
  const { own, error, chosen, source } = confidenceOf(d, rule, scores);
  const human = d.step.source === "human";

  let cumulative = human ? 1 : (own ?? 1);
  let flagged = false;
  if (!human) {
    const seen = new Set<string>();
    const stack = [...place.walk];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const s = input.spans.get(id);
      if (s?.kind !== "span" || s.state !== "settled") continue;
      if (s.settled.human) continue; // counts as 1, and its ancestors no longer count
      cumulative *= s.settled.own ?? 1;
      stack.push(...s.settled.lineage);
    }
  }
  // A flag reaches everything downstream, through the parents (each already carries its own ancestors').
  for (const id of place.walk) {
    const s = input.spans.get(id);
    if (s && s.kind === "span" && s.state === "settled" && s.settled.flagged) flagged = true;
  }

  const event = stepEventOf(d, {
    runId: place.runId,
    workflow: place.workflow.name,
    version: place.workflow.version,
    parents: place.parents,
    cumulative,
    ...(own !== undefined ? { confidence: own } : {}),
    ...(source !== undefined ? { confidenceSource: source } : {}),
    ...(error ? { error } : {}),
    ...(chosen?.explanation ? { reasoning: chosen.explanation } : {}),
    features: withScores(d.step.features, scores),
  });
  if (rule && event.type === "step.completed") {
    // Reported after the fact, an OTLP step cannot stop its run: a failed gate flags it for review.
    // Unscored passes a minConfidence (neutral) and fails only a requireConfidence, as in the SDK.
    const gate = evaluateGate(rule, { confidence: own, cumulative, stale: event.stale });
    if (gate.outcome !== "pass") {
      event.gate = { ...gate, outcome: "flag" };
      flagged = true;
      event.escalationId = hashedUuid("otlp-escalation", d.traceId, d.spanId);
    }
  }
  if (flagged) event.flagged = true;

  const settled: Settled = {
    runId: place.runId,
    workflow: place.workflow.name,
    version: place.workflow.version,
    own: human ? 1 : (own ?? null),
    human,
    flagged,
    lineage: place.walk,
  };
  input.spans.set(spanId, { kind: "span", state: "settled", settled });
  const result: SettledStep = { spanId, draft: d, settled, event };
  if (place.root) {
    const root: RootCandidate = {
      runId: place.runId,
      rootClass: place.root.rootClass,
      traceId: d.traceId,
      spanId: d.spanId,
      stepId: d.stepId,
      startMs: d.startMs,
      endMs: d.endMs,
      durationMs: d.durationMs,
      workflow: place.workflow.name,
      version: place.workflow.version,
      input: d.step.input,
    };
    if (place.root.key !== undefined) root.key = place.root.key;
    if (event.output !== undefined) root.output = event.output;
    if (event.error) root.error = event.error;
    result.root = root;
  }
  return result;
}

/** The span's run, workflow and lineage parents, or undefined while something it needs is missing. */
function placeOf(input: SettleInput, d: SpanDraft, cut: boolean): Place | undefined {
  const parents: string[] = [];
  const walk: string[] = [];
  let place: Omit<Place, "parents" | "walk">;

  if (d.attached) {
    // Started inside a step of the SDK's traced run: its step is the parent, the SDK owns the run.
    if (d.attached.stepId) parents.push(d.attached.stepId);
    place = { runId: d.attached.runId, workflow: d.workflow ?? d.service };
  } else if (d.parentSpanId && !d.remoteParent) {
    const p = input.spans.get(d.parentSpanId);
    if (p === undefined || isPending(p)) {
      if (!cut) return undefined;
      // Closing without the parent: this span stands in for the root of the trace's run.
      place = { runId: d.run?.id ?? runIdForTrace(d.traceId), workflow: d.workflow ?? d.service, root: { rootClass: 1, key: d.run ? d.run.key : d.traceId } };
    } else if (p.kind === "reported" && p.draft.runId !== null) {
      // Under a span of the SDK's helper (no span processor stamped this one): that span's run and step.
      if (p.draft.stepId) parents.push(p.draft.stepId);
      const runId = d.run?.id ?? p.draft.runId;
      place = { runId, workflow: d.workflow ?? p.draft.workflow ?? d.service };
      if (runId !== p.draft.runId) place.root = { rootClass: 2, ...(d.run?.key !== undefined ? { key: d.run.key } : {}) };
    } else if (p.kind === "reported") {
      // Under the helper's span of a run that never started: this span starts the trace's run.
      place = { runId: d.run?.id ?? runIdForTrace(d.traceId), workflow: d.workflow ?? d.service, root: { rootClass: 2, key: d.run ? d.run.key : d.traceId } };
    } else {
      const s = (p as Extract<TraceSpan, { state: "settled" }>).settled;
      parents.push(stepIdFor(d.traceId, d.parentSpanId));
      walk.push(d.parentSpanId);
      const runId = d.run?.id ?? s.runId;
      place = { runId, workflow: d.workflow ?? { name: s.workflow, version: s.version } };
      // A span naming a run of its own starts that run here.
      if (runId !== s.runId) place.root = { rootClass: 2, ...(d.run?.key !== undefined ? { key: d.run.key } : {}) };
    }
  } else {
    // The top of a tree: the trace's root, or the first span of this process under a remote parent.
    const runId = d.run?.id ?? (d.remoteParent ? runIdForLocalRoot(d.traceId, d.spanId) : runIdForTrace(d.traceId));
    place = { runId, workflow: d.workflow ?? d.service, root: { rootClass: 2, key: d.run ? d.run.key : d.traceId } };
  }
  if (place.root && place.root.key === undefined) delete place.root.key;

  for (const ref of d.refs) {
    const r = input.spans.get(ref);
    if (r === undefined || isPending(r)) {
      if (!cut) return undefined;
      parents.push(stepIdFor(d.traceId, ref)); // declared lineage, shown as missing
    } else if (r.kind === "reported") {
      if (r.draft.stepId) parents.push(r.draft.stepId);
    } else {
      parents.push(stepIdFor(d.traceId, ref));
      walk.push(ref);
    }
  }
  parents.push(...d.stepRefs);
  return { ...place, parents: [...new Set(parents)], walk: [...new Set(walk)] };
}

/**
 * The step's own confidence. With a policy naming `confidenceFrom`, that evaluation's score;
 * otherwise (or when the span has no such evaluation) `seamtrace.confidence`; otherwise, without
 * `confidenceFrom`, the lowest evaluation score in [0, 1] (scores on other scales are kept but
 * are no confidence). Anything chosen that is not a finite number in [0, 1] fails the step with
 * an `InvalidConfidence` error naming the value; it is never clamped. Nothing: unscored.
 * The source: an evaluation's score is a judge's; `seamtrace.confidence` has the one
 * `seamtrace.confidence.source` names (anything but a known source fails the step, as in the SDK).
 */
export function confidenceOf(
  d: SpanDraft,
  rule: OtlpRule | undefined,
  scores: readonly Score[],
): { own?: number; error?: ErrorInfo; chosen?: Score; source?: ConfidenceSource } {
  const from = rule?.confidenceFrom;
  if (from !== undefined) {
    const named = scores.filter((s) => s.name === from).sort((a, b) => b.time - a.time || (a.id < b.id ? -1 : 1))[0];
    if (named) {
      if (named.value !== null && isUnit(named.value)) return { own: named.value, chosen: named, source: "judge" };
      return {
        error: invalid(
          `the evaluation "${from}" (the policy's confidenceFrom) scored ${named.value === null ? `no value${named.label !== null ? ` (label ${JSON.stringify(named.label)})` : ""}` : named.value}`,
        ),
        chosen: named,
      };
    }
  }
  if (d.confidence.state === "value") {
    const named = d.confidenceSource;
    if (named === undefined) return { own: d.confidence.value };
    if (isConfidenceSource(named)) return { own: d.confidence.value, source: named };
    return {
      error: {
        name: "InvalidConfidenceSource",
        message: `seamtrace.confidence.source is ${JSON.stringify(named)}: one of ${CONFIDENCE_SOURCES.join(", ")}, or left out`,
      },
    };
  }
  if (d.confidence.state === "invalid") return { error: invalid(`seamtrace.confidence is ${d.confidence.shown}`) };
  if (from !== undefined) return {};
  let lowest: Score | undefined;
  for (const s of scores) {
    if (s.value === null || !isUnit(s.value)) continue;
    if (!lowest || s.value < lowest.value! || (s.value === lowest.value && (s.time < lowest.time || (s.time === lowest.time && s.id < lowest.id)))) lowest = s;
  }
  return lowest ? { own: lowest.value!, chosen: lowest, source: "judge" } : {};
}

type ConfidenceSource = NonNullable<StepEvent["confidenceSource"]>;

function isConfidenceSource(s: string): s is ConfidenceSource {
  return (CONFIDENCE_SOURCES as readonly string[]).includes(s);
}

function isUnit(v: number): boolean {
  return Number.isFinite(v) && v >= 0 && v <= 1;
}

function invalid(what: string): ErrorInfo {
  return { name: "InvalidConfidence", message: `${what}: a confidence must be a finite number in [0, 1]` };
}

/** Scores as numeric features (`score.<name>`, the latest per name), so drift series and alert rules can follow them. */
function withScores(features: Record<string, FeatureValue> | undefined, scores: readonly Score[]): Record<string, FeatureValue> | undefined {
  const latest = new Map<string, Score>();
  for (const s of scores) {
    if (s.name === null || s.value === null || !Number.isFinite(s.value)) continue;
    const prev = latest.get(s.name);
    if (!prev || s.time > prev.time || (s.time === prev.time && s.id > prev.id)) latest.set(s.name, s);
  }
  if (latest.size === 0) return features;
  const out: Record<string, FeatureValue> = { ...features };
  for (const [name, s] of latest) out[`score.${name}`.slice(0, 256)] = s.value!;
  return out;
}
