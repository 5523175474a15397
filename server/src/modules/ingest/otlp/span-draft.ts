import type { ErrorInfo, FeatureValue, Source, StepEvent } from "@seamtrace/sdk";
import { isUuid } from "@seamtrace/sdk";
import type { OtlpSpan } from "./contract.js";
import { parseEvent, type ItemLimits } from "../contract.js";
import { attributeMap, bound, cut, num, str, structured, type AttrValue } from "./attributes.js";
import { conventionView } from "./conventions.js";
import { hashedUuid, runIdForName, stepIdFor, timedUuid } from "./ids.js";
import { spanMeta, type SpanMeta } from "./span-meta.js";

/**
 * One span, mapped as far as the span alone allows: everything its step will say except what
 * depends on other spans (its run, workflow, cumulative confidence, flag and gate: otlp/settle.ts).
 * A pure function of the span and its resource, so a resent span drafts the same.
 */

/** One `gen_ai.evaluation.result`, from a span event or a log record. */
export interface Score {
  /** Stable per evaluation: a resent export stores it once. */
  id: string;
  name: string | null;
  value: number | null;
  label: string | null;
  explanation: string | null;
  time: number;
  origin: "span" | "log";
}

/** `seamtrace.confidence` as sent: absent, a confidence, or something that is not one. */
export type ConfidenceAttr = { state: "absent" } | { state: "value"; value: number } | { state: "invalid"; shown: string };

/** The step a span becomes, before its place in the run is known. */
export interface StepDraft {
  name: string;
  input?: unknown;
  output?: unknown;
  source: Source;
  stale: boolean;
  observedAt?: string;
  maxAgeMs?: number;
  reasoning?: string;
  alternatives?: unknown[];
  features?: Record<string, FeatureValue>;
  /** Set when the span ended with status ERROR. */
  error?: ErrorInfo;
}

interface DraftBase {
  traceId: string;
  spanId: string;
  startMs: number;
  endMs: number;
}

export interface SpanDraft extends DraftBase {
  kind: "span";
  stepId: string;
  /** The OTLP parent, when the span has one. */
  parentSpanId: string | null;
  /** The exporter says the parent lives in another process: this span is the top of its own tree. */
  remoteParent: boolean;
  /** Started inside a run of the SDK's OpenTelemetry helper (its span processor said so). */
  attached?: { runId: string; stepId: string | null };
  /** `seamtrace.run.id` on the span or its resource: the run this span (and what it starts) belongs to. */
  run?: { id: string; key?: string };
  /** `seamtrace.workflow` on the span or its resource: the workflow from this span down. */
  workflow?: { name: string; version: string };
  /** The workflow a top span gives its tree when none is named: its service's. */
  service: { name: string; version: string };
  /** Spans of the same trace whose steps feed this one besides its parent (links, `seamtrace.parents`). */
  refs: string[];
  /** Step ids `seamtrace.parents` names directly (steps reported some other way). */
  stepRefs: string[];
  durationMs: number;
  step: StepDraft;
  confidence: ConfidenceAttr;
  /** `seamtrace.confidence.source` as sent: how `seamtrace.confidence` was obtained. */
  confidenceSource?: string;
}

/** A span the SDK's OpenTelemetry helper made: its step came through `/v1/events`. */
export interface ReportedDraft extends DraftBase {
  kind: "reported";
  /** Null for the run span of a run that never started (the SDK answered `duplicate`). */
  runId: string | null;
  /** The SDK step the span stands for; null for the run's own span. */
  stepId: string | null;
  workflow?: { name: string; version: string };
}

export type Draft = SpanDraft | ReportedDraft;

export interface DraftResult {
  draft: Draft;
  meta: SpanMeta;
  /** The span's own evaluation events. */
  scores: Score[];
}

const MS_PER_NS = 1_000_000n;
/** Dates past this cannot be written as ISO 8601 by `Date`. */
const MAX_DATE_MS = 8.64e15;
const SOURCES = new Set<Source>(["direct", "inferred", "human", "cache"]);
const SPAN_ID = /^[0-9a-f]{16}$/;

/** Maps one validated span; a string says why it cannot be a step. */
export function draftSpan(
  span: OtlpSpan,
  resource: Map<string, AttrValue>,
  scope: { name?: string | undefined; version?: string | undefined } | undefined,
  limits: ItemLimits,
): DraftResult | string {
  const start = BigInt(span.startTimeUnixNano);
  const end = BigInt(span.endTimeUnixNano);
  const startMs = Number(start / MS_PER_NS);
  const endMs = Number(end / MS_PER_NS);
  if (startMs >= MAX_DATE_MS || endMs >= MAX_DATE_MS) return "timestamp out of range";
  if (end < start) return "endTimeUnixNano is before startTimeUnixNano";
  const attrs = attributeMap(span.attributes);
  const meta = spanMeta(span, attrs, resource, scope);
  const base = { traceId: span.traceId, spanId: span.spanId, startMs, endMs };
  const named = str(attrs.get("seamtrace.run.id")) ?? str(resource.get("seamtrace.run.id"));
  const workflow = explicitWorkflow(attrs, resource);

  if (attrs.get("seamtrace.reported") === true || attrs.has("seamtrace.step.id")) {
    const stepId = str(attrs.get("seamtrace.step.id"));
    // No run id: the helper's run span of a run that never started (a duplicate key).
    const runId = named === undefined ? null : runIdOf(named);
    const reported: ReportedDraft = { kind: "reported", ...base, runId, stepId: stepId !== undefined && isUuid(stepId) ? stepId.toLowerCase() : null };
    if (workflow) reported.workflow = workflow;
    return { draft: reported, meta, scores: [] };
  }

  const stepId = stepIdFor(span.traceId, span.spanId);
  const draft: SpanDraft = {
    kind: "span",
    ...base,
    stepId,
    parentSpanId: span.parentSpanId ? span.parentSpanId : null,
    remoteParent: span.parentSpanId !== undefined && span.parentSpanId !== "" && isRemote(span.flags),
    service: {
      name: (str(resource.get("service.name")) ?? "otel").slice(0, 256),
      version: (
        str(attrs.get("seamtrace.workflow.version")) ??
        str(resource.get("seamtrace.workflow.version")) ??
        str(resource.get("service.version")) ??
        "1"
      ).slice(0, 128),
    },
    refs: [],
    stepRefs: [],
    durationMs: Number(end - start) / 1e6,
    step: stepDraft(span, attrs, limits),
    confidence: confidenceAttr(attrs.get("seamtrace.confidence")),
  };
  const source = attrs.get("seamtrace.confidence.source");
  if (source !== undefined) draft.confidenceSource = cut(typeof source === "string" ? source : (JSON.stringify(source) ?? String(source)), 200);
  if (named !== undefined) {
    draft.run = { id: runIdOf(named) };
    // The key finds the run again (resume by key): the name given, or the key named with a UUID.
    const key = isUuid(named) ? str(attrs.get("seamtrace.run.key")) : named;
    if (key !== undefined) draft.run.key = key.slice(0, 1024);
  }
  if (workflow) draft.workflow = workflow;
  // Set by the SDK's span processor inside a traced run: the step this span ran in, or empty
  // between steps (its parent span is then the run's, which is no step).
  const parentStep = attrs.get("seamtrace.parent.step.id");
  if (typeof parentStep === "string" && draft.run) draft.attached = { runId: draft.run.id, stepId: isUuid(parentStep) ? parentStep.toLowerCase() : null };
  lineageRefs(draft, span, attrs);

  // The same checks as `POST /v1/events`, on the step as it will be stored (run values stand in):
  // what settles later is then sure to be a valid wire event.
  const probe = parseEvent(stepEventOf(draft, { runId: stepId, workflow: "w", version: "1", parents: [], cumulative: 1 }), limits);
  if (!probe.ok) return probe.message;
  return { draft, meta, scores: evaluations(span, limits) };
}

/** The step event a drafted span becomes, once its run-level values are known. */
export function stepEventOf(
  d: SpanDraft,
  at: {
    runId: string;
    workflow: string;
    version: string;
    parents: string[];
    cumulative: number;
    confidence?: number;
    confidenceSource?: StepEvent["confidenceSource"];
    error?: ErrorInfo;
    reasoning?: string;
    features?: Record<string, FeatureValue>;
  },
): StepEvent {
  const error = d.step.error ?? at.error;
  const event: StepEvent = {
    id: hashedTimeId(d),
    type: error ? "step.failed" : "step.completed",
    time: iso(d.endMs),
    runId: at.runId,
    workflow: at.workflow,
    version: at.version,
    stepId: d.stepId,
    step: d.step.name,
    parents: at.parents,
    source: d.step.source,
    stale: d.step.stale,
    attempt: 1,
    durationMs: d.durationMs,
    startedAt: iso(d.startMs),
    cumulative: at.cumulative,
  };
  if (at.confidence !== undefined) event.confidence = at.confidence;
  if (at.confidence !== undefined && at.confidenceSource !== undefined) event.confidenceSource = at.confidenceSource;
  if (d.step.input !== undefined) event.input = d.step.input;
  if (d.step.output !== undefined && !error) event.output = d.step.output;
  const reasoning = d.step.reasoning ?? at.reasoning;
  if (reasoning !== undefined) event.reasoning = reasoning;
  if (d.step.alternatives !== undefined) event.alternatives = d.step.alternatives;
  if (d.step.observedAt !== undefined) event.observedAt = d.step.observedAt;
  if (d.step.maxAgeMs !== undefined) event.maxAgeMs = d.step.maxAgeMs;
  const features = at.features ?? d.step.features;
  if (features && Object.keys(features).length > 0) event.features = features;
  if (error) event.error = error;
  return event;
}

/** The step event's id: time-ordered like the SDK's, stable per span. */
function hashedTimeId(d: SpanDraft): string {
  return timedUuid(d.startMs, "otlp-step-event", d.traceId, d.spanId);
}

function runIdOf(named: string): string {
  return isUuid(named) ? named.toLowerCase() : runIdForName(named);
}

function explicitWorkflow(attrs: Map<string, AttrValue>, resource: Map<string, AttrValue>): { name: string; version: string } | undefined {
  const name = str(attrs.get("seamtrace.workflow")) ?? str(resource.get("seamtrace.workflow"));
  if (name === undefined) return undefined;
  const version =
    str(attrs.get("seamtrace.workflow.version")) ?? str(resource.get("seamtrace.workflow.version")) ?? str(resource.get("service.version")) ?? "1";
  return { name: name.slice(0, 256), version: version.slice(0, 128) };
}

/** OTLP span flags: bit 8 says whether the parent's remoteness is known, bit 9 whether it is remote. */
function isRemote(flags: number | undefined): boolean {
  return flags !== undefined && (flags & 0x100) !== 0 && (flags & 0x200) !== 0;
}

/**
 * Data flow besides nesting: links to spans of the same trace, and `seamtrace.parents` (span ids
 * of this trace, or step ids). A link into another trace is kept in the metadata only: its span
 * may never reach this store, and lineage must not wait on it.
 */
function lineageRefs(draft: SpanDraft, span: OtlpSpan, attrs: Map<string, AttrValue>): void {
  const refs = new Set<string>();
  const stepRefs = new Set<string>();
  for (const link of span.links ?? []) {
    const id = link.spanId.toLowerCase();
    if (link.traceId.toLowerCase() === span.traceId && SPAN_ID.test(id) && id !== span.spanId) refs.add(id);
  }
  const named = attrs.get("seamtrace.parents");
  const list = Array.isArray(named) ? named : typeof named === "string" ? named.split(",") : [];
  for (const item of list) {
    if (typeof item !== "string") continue;
    const v = item.trim().toLowerCase();
    if (SPAN_ID.test(v) && v !== span.spanId) refs.add(v);
    else if (isUuid(v)) stepRefs.add(v);
  }
  if (draft.parentSpanId) refs.delete(draft.parentSpanId);
  draft.refs = [...refs].sort();
  draft.stepRefs = [...stepRefs].sort();
}

function stepDraft(span: OtlpSpan, attrs: Map<string, AttrValue>, limits: ItemLimits): StepDraft {
  const failed = span.status?.code === 2;
  const view = conventionView(attrs);
  // Room for the event's own nesting around a payload (event → input → …).
  const payload = { maxString: limits.maxStringLength, maxDepth: Math.max(1, limits.maxDepth - 2) };
  const step: StepDraft = {
    name: (str(attrs.get("seamtrace.step")) ?? span.name).slice(0, 256) || "span",
    source: sourceOf(attrs),
    stale: false,
  };
  if (view.input !== undefined) step.input = bound(view.input, payload);
  if (view.output !== undefined) step.output = bound(view.output, payload);
  const reasoning = str(attrs.get("seamtrace.reasoning"));
  if (reasoning !== undefined) step.reasoning = cut(reasoning, limits.maxStringLength);
  const alternatives = structured(attrs.get("seamtrace.alternatives"));
  if (Array.isArray(alternatives)) step.alternatives = bound(alternatives, payload) as unknown[];
  const observedAt = timeOf(attrs.get("seamtrace.observed_at"));
  if (observedAt !== undefined) step.observedAt = iso(observedAt);
  const maxAgeMs = num(attrs.get("seamtrace.max_age_ms"));
  if (maxAgeMs !== undefined && maxAgeMs >= 0 && maxAgeMs <= Number.MAX_SAFE_INTEGER) {
    step.maxAgeMs = maxAgeMs;
    if (observedAt !== undefined) step.stale = Number(BigInt(span.endTimeUnixNano) / MS_PER_NS) - observedAt > maxAgeMs;
  }
  const features: Record<string, FeatureValue> = {};
  for (const [k, v] of Object.entries(view.features)) features[cut(k, 256)] = typeof v === "string" ? cut(v, 1024) : v;
  if (Object.keys(features).length > 0) step.features = features;
  if (failed) step.error = errorOf(span, limits);
  return step;
}

/** A number attribute in [0, 1]; anything else (a string "0.9" included, as in the SDK) is not a confidence. */
function confidenceAttr(v: AttrValue | undefined): ConfidenceAttr {
  if (v === undefined) return { state: "absent" };
  if (typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 1) return { state: "value", value: v };
  return { state: "invalid", shown: cut(JSON.stringify(v) ?? String(v), 200) };
}

/** Every `gen_ai.evaluation.result` event of the span, in the order the span holds them. */
function evaluations(span: OtlpSpan, limits: ItemLimits): Score[] {
  const scores: Score[] = [];
  (span.events ?? []).forEach((ev, i) => {
    if (ev.name !== "gen_ai.evaluation.result") return;
    const a = attributeMap(ev.attributes);
    const time = ev.timeUnixNano !== undefined ? Number(BigInt(ev.timeUnixNano) / MS_PER_NS) : Number(BigInt(span.endTimeUnixNano) / MS_PER_NS);
    scores.push(
      scoreOf(a, { id: hashedUuid("otlp-score", span.traceId, span.spanId, String(i)), time: Math.min(time, MAX_DATE_MS - 1), origin: "span" }, limits),
    );
  });
  return scores;
}

/** A score from the attributes of an evaluation event or record. */
export function scoreOf(a: Map<string, AttrValue>, at: { id: string; time: number; origin: "span" | "log" }, limits: ItemLimits): Score {
  const value = num(a.get("gen_ai.evaluation.score.value"));
  const text = (k: string, max: number) => {
    const v = str(a.get(k));
    return v === undefined ? null : cut(v, max);
  };
  return {
    ...at,
    name: text("gen_ai.evaluation.name", 256),
    value: value ?? null,
    label: text("gen_ai.evaluation.score.label", 256),
    explanation: text("gen_ai.evaluation.explanation", limits.maxStringLength),
  };
}

function errorOf(span: OtlpSpan, limits: ItemLimits): ErrorInfo {
  const exception = (span.events ?? []).find((e) => e.name === "exception");
  const a = attributeMap(exception?.attributes);
  const info: ErrorInfo = {
    name: cut(str(a.get("exception.type")) ?? "Error", 256),
    message: cut(str(span.status?.message) ?? str(a.get("exception.message")) ?? "the span ended with status ERROR", limits.maxStringLength),
  };
  const stack = str(a.get("exception.stacktrace"));
  if (stack !== undefined) info.stack = cut(stack, limits.maxStringLength);
  return info;
}

function sourceOf(attrs: Map<string, AttrValue>): Source {
  const s = str(attrs.get("seamtrace.source"));
  return s !== undefined && SOURCES.has(s as Source) ? (s as Source) : "inferred";
}

/** ISO 8601 text or epoch milliseconds. */
function timeOf(v: AttrValue | undefined): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) && Math.abs(v) < MAX_DATE_MS ? v : undefined;
  if (typeof v !== "string") return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export type { SpanMeta };
