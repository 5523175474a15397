import type { ErrorInfo, FeatureValue, PolicyRule, RunEndedEvent, RunStartedEvent, SeamtraceEvent, Source, StepEvent } from "@seamtrace/sdk";
import { isUuid } from "@seamtrace/sdk";
import { z } from "zod";
import { otlpSpanSchema, type OtlpSpan, type OtlpTraceRequest } from "./contract.js";
import { parseEvent, type ItemLimits } from "../contract.js";
import { checkJsonLimits } from "../../../platform/http/json-limits.js";
import { attributeMap, num, str, structured, type AttrValue } from "./attributes.js";
import { runIdForName, runIdForTrace, stepIdFor, timedUuid } from "./ids.js";
import { lineage } from "./lineage.js";
import type { SpanFacts } from "./span-facts.js";

/**
 * OTLP spans → Seamtrace events, a pure function of the request:
 * - a run per trace, or per `seamtrace.run.id` when spans name one (a UUID is used as is; any
 *   other string becomes the run's key and a stable id);
 * - a step per span, its parents from the span's parent (or `seamtrace.parent.step.id`);
 * - a root span also starts and ends its run (completed, or failed when its status is ERROR);
 * - confidence from `seamtrace.confidence`, else from a `gen_ai.evaluation.result` event's score;
 * - GenAI semantic-convention attributes kept: messages and tool-call arguments and results as the
 *   step's input and output, model, provider, operation and token usage as features.
 * Spans marked `seamtrace.reported` (or carrying `seamtrace.step.id`) were made by the SDK's
 * OpenTelemetry helper, which has already reported them through `/v1/events`: they are accepted
 * and not recorded twice.
 */

export interface MapOptions {
  limits: ItemLimits;
  /**
   * The served policy for a step, if any. OTLP reports steps after the fact, so a failed gate
   * cannot stop the run: it flags the step for review (a non-blocking escalation).
   */
  ruleFor?: (workflow: string, step: string) => PolicyRule | undefined;
}

export interface MapResult {
  events: SeamtraceEvent[];
  /** Spans accepted (including those already reported through the SDK). */
  accepted: number;
  rejected: number;
  /** One message per rejected span, in request order. */
  errors: string[];
}

const MS_PER_NS = 1_000_000n;
/** Dates past this cannot be written as ISO 8601 by `Date`. */
const MAX_DATE_MS = 8.64e15;
const SOURCES = new Set<Source>(["direct", "inferred", "human", "cache"]);

/** GenAI attributes kept as drift features (values that repeat: never ids). */
const GENAI_FEATURES = [
  "gen_ai.operation.name",
  "gen_ai.provider.name",
  "gen_ai.system",
  "gen_ai.request.model",
  "gen_ai.response.model",
  "gen_ai.request.temperature",
  "gen_ai.request.max_tokens",
  "gen_ai.usage.input_tokens",
  "gen_ai.usage.output_tokens",
  "gen_ai.response.finish_reasons",
  "gen_ai.tool.name",
  "gen_ai.agent.name",
];
const INPUT_ATTRS = ["seamtrace.input", "gen_ai.input.messages", "gen_ai.tool.call.arguments", "gen_ai.prompt"];
const OUTPUT_ATTRS = ["seamtrace.output", "gen_ai.output.messages", "gen_ai.tool.call.result", "gen_ai.completion"];


export function mapTraceRequest(request: OtlpTraceRequest, options: MapOptions): MapResult {
  const errors: string[] = [];
  const facts: SpanFacts[] = [];
  let accepted = 0;
  let index = 0;
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributeMap(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const raw of ss.spans ?? []) {
        const i = index++;
        const limit = checkJsonLimits(raw, options.limits);
        if (limit) {
          errors.push(`span ${i}: ${limit.message}`);
          continue;
        }
        const parsed = otlpSpanSchema.safeParse(raw);
        if (!parsed.success) {
          errors.push(`span ${i}: ${describe(parsed.error)}`);
          continue;
        }
        const f = spanFacts(i, parsed.data, resource);
        if (typeof f === "string") {
          errors.push(`span ${i}: ${f}`);
          continue;
        }
        if (f.attrs.get("seamtrace.reported") === true || f.attrs.has("seamtrace.step.id")) {
          accepted++; // reported through /v1/events by the SDK's OpenTelemetry helper
          continue;
        }
        facts.push(f);
      }
    }
  }

  const workflows = runWorkflows(facts);
  const steps = new Map<string, { facts: SpanFacts; event: StepEvent }>();
  for (const f of facts) steps.set(f.stepId, { facts: f, event: stepEvent(f, workflows.get(f.runId)!) });
  lineage(steps, options.ruleFor);

  const events: SeamtraceEvent[] = [];
  for (const { facts: f, event } of steps.values()) {
    const spanEvents: SeamtraceEvent[] = [event];
    if (!f.span.parentSpanId) spanEvents.unshift(...runEvents(f, event));
    // The same validation and limits as `POST /v1/events`: what we store is a valid wire event.
    const bad = spanEvents.map((e) => parseEvent(e, options.limits)).find((p) => !p.ok);
    if (bad && !bad.ok) {
      errors.push(`span ${f.index}: ${bad.message}`);
      continue;
    }
    accepted++;
    events.push(...spanEvents);
  }
  return { events, accepted, rejected: errors.length, errors };
}

function spanFacts(index: number, span: OtlpSpan, resource: Map<string, AttrValue>): SpanFacts | string {
  const start = BigInt(span.startTimeUnixNano);
  const end = BigInt(span.endTimeUnixNano);
  const startMs = Number(start / MS_PER_NS);
  const endMs = Number(end / MS_PER_NS);
  if (startMs >= MAX_DATE_MS || endMs >= MAX_DATE_MS) return "timestamp out of range";
  if (end < start) return "endTimeUnixNano is before startTimeUnixNano";
  const attrs = attributeMap(span.attributes);
  const named = str(attrs.get("seamtrace.run.id")) ?? str(resource.get("seamtrace.run.id"));
  const runId = named === undefined ? runIdForTrace(span.traceId) : isUuid(named) ? named.toLowerCase() : runIdForName(named);
  // The key finds the run again (resume by key): the name given, or the trace id.
  const runKey = named === undefined ? span.traceId : isUuid(named) ? str(attrs.get("seamtrace.run.key")) : named;
  // Set by the SDK's span processor inside a traced run: the step this span ran in, or empty
  // between steps (its parent span is the run's, which is no step).
  const parentStep = attrs.get("seamtrace.parent.step.id");
  const parents =
    typeof parentStep === "string"
      ? isUuid(parentStep)
        ? [parentStep.toLowerCase()]
        : []
      : span.parentSpanId
        ? [stepIdFor(span.traceId, span.parentSpanId)]
        : [];
  return {
    index,
    span,
    attrs,
    resource,
    runId,
    runKey,
    stepId: stepIdFor(span.traceId, span.spanId),
    parents,
    startMs,
    endMs,
    durationMs: Number(end - start) / 1e6,
  };
}

/**
 * The workflow (name and version) of each run: `seamtrace.workflow` on any of its spans or their
 * resource, else the root span's service, else the first span's. One answer per run, so a trace
 * crossing services still lands under one workflow.
 */
function runWorkflows(facts: readonly SpanFacts[]): Map<string, { workflow: string; version: string }> {
  const chosen = new Map<string, { workflow: string; version: string; rank: number }>();
  for (const f of facts) {
    const explicit = str(f.attrs.get("seamtrace.workflow")) ?? str(f.resource.get("seamtrace.workflow"));
    const rank = explicit !== undefined ? 3 : !f.span.parentSpanId ? 2 : 1;
    const prev = chosen.get(f.runId);
    if (prev && prev.rank >= rank) continue;
    const workflow = (explicit ?? str(f.resource.get("service.name")) ?? "otel").slice(0, 256);
    const version =
      str(f.attrs.get("seamtrace.workflow.version")) ?? str(f.resource.get("seamtrace.workflow.version")) ?? str(f.resource.get("service.version")) ?? "1";
    chosen.set(f.runId, { workflow, version: version.slice(0, 128), rank });
  }
  return new Map([...chosen].map(([k, v]) => [k, { workflow: v.workflow, version: v.version }]));
}

function stepEvent(f: SpanFacts, wf: { workflow: string; version: string }): StepEvent {
  const { span, attrs } = f;
  const failed = span.status?.code === 2;
  const evaluation = evaluationResult(span);
  const event: StepEvent = {
    id: timedUuid(f.startMs, "otlp-step-event", span.traceId, span.spanId),
    type: failed ? "step.failed" : "step.completed",
    time: iso(f.endMs),
    runId: f.runId,
    workflow: wf.workflow,
    version: wf.version,
    stepId: f.stepId,
    step: (str(attrs.get("seamtrace.step")) ?? span.name).slice(0, 256) || "span",
    parents: f.parents,
    source: sourceOf(attrs),
    stale: false,
    attempt: 1,
    durationMs: f.durationMs,
    startedAt: iso(f.startMs),
  };
  const confidence = unit(attrs.get("seamtrace.confidence")) ?? evaluation?.score;
  if (confidence !== undefined) event.confidence = confidence;
  const input = firstOf(attrs, INPUT_ATTRS);
  if (input !== undefined) event.input = input;
  const output = firstOf(attrs, OUTPUT_ATTRS);
  if (output !== undefined && !failed) event.output = output;
  const reasoning = str(attrs.get("seamtrace.reasoning")) ?? evaluation?.explanation;
  if (reasoning !== undefined) event.reasoning = reasoning;
  const alternatives = structured(attrs.get("seamtrace.alternatives"));
  if (Array.isArray(alternatives)) event.alternatives = alternatives;
  const observedAt = timeOf(attrs.get("seamtrace.observed_at"));
  if (observedAt !== undefined) event.observedAt = iso(observedAt);
  const maxAgeMs = num(attrs.get("seamtrace.max_age_ms"));
  if (maxAgeMs !== undefined && maxAgeMs >= 0) {
    event.maxAgeMs = maxAgeMs;
    if (observedAt !== undefined) event.stale = f.endMs - observedAt > maxAgeMs;
  }
  const features = featuresOf(attrs);
  if (features) event.features = features;
  if (failed) event.error = errorOf(span);
  return event;
}

function runEvents(f: SpanFacts, step: StepEvent): [RunStartedEvent, RunEndedEvent] {
  const identity = { runId: f.runId, workflow: step.workflow, version: step.version };
  const started: RunStartedEvent = { id: timedUuid(f.startMs, "otlp-run-started", f.span.traceId, f.span.spanId), type: "run.started", time: iso(f.startMs), ...identity };
  if (f.runKey !== undefined) started.key = f.runKey.slice(0, 1024);
  if (step.input !== undefined) started.input = step.input;
  const ended: RunEndedEvent = {
    id: timedUuid(f.endMs, "otlp-run-ended", f.span.traceId, f.span.spanId),
    type: step.type === "step.failed" ? "run.failed" : "run.completed",
    time: iso(f.endMs),
    ...identity,
    durationMs: f.durationMs,
  };
  if (step.output !== undefined) ended.output = step.output;
  if (step.error) {
    ended.error = step.error;
    ended.stepId = step.stepId;
  }
  return [started, ended];
}

/** A `gen_ai.evaluation.result` event: its score (when in [0, 1]) and explanation. */
function evaluationResult(span: OtlpSpan): { score: number | undefined; explanation: string | undefined } | undefined {
  for (const ev of span.events ?? []) {
    if (ev.name !== "gen_ai.evaluation.result") continue;
    const a = attributeMap(ev.attributes);
    const score = unit(a.get("gen_ai.evaluation.score.value"));
    if (score === undefined) continue;
    return { score, explanation: str(a.get("gen_ai.evaluation.explanation")) };
  }
  return undefined;
}

function errorOf(span: OtlpSpan): ErrorInfo {
  const exception = (span.events ?? []).find((e) => e.name === "exception");
  const a = attributeMap(exception?.attributes);
  const info: ErrorInfo = {
    name: str(a.get("exception.type")) ?? "Error",
    message: str(span.status?.message) ?? str(a.get("exception.message")) ?? "the span ended with status ERROR",
  };
  const stack = str(a.get("exception.stacktrace"));
  if (stack !== undefined) info.stack = stack;
  return info;
}

function sourceOf(attrs: Map<string, AttrValue>): Source {
  const s = str(attrs.get("seamtrace.source"));
  return s !== undefined && SOURCES.has(s as Source) ? (s as Source) : "inferred";
}

function featuresOf(attrs: Map<string, AttrValue>): Record<string, FeatureValue> | undefined {
  let features: Record<string, FeatureValue> | undefined;
  const put = (k: string, v: AttrValue | undefined) => {
    const value = Array.isArray(v) ? v.filter((x) => typeof x === "string").join(",") : v;
    if (typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))) (features ??= {})[k] = value;
  };
  for (const k of GENAI_FEATURES) if (attrs.has(k)) put(k, attrs.get(k));
  for (const [k, v] of attrs) if (k.startsWith("seamtrace.feature.") && k.length > 18) put(k.slice(18), v);
  return features;
}

function firstOf(attrs: Map<string, AttrValue>, keys: readonly string[]): unknown {
  for (const k of keys) {
    const v = attrs.get(k);
    if (v !== undefined && v !== null) return structured(v);
  }
  return undefined;
}

function unit(v: AttrValue | undefined): number | undefined {
  const n = num(v);
  return n !== undefined && n >= 0 && n <= 1 ? n : undefined;
}

/** ISO 8601 text or epoch milliseconds. */
function timeOf(v: AttrValue | undefined): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) && Math.abs(v) < MAX_DATE_MS ? v : undefined;
  if (typeof v !== "string") return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function describe(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return "invalid span";
  const where = first.path.length ? `${first.path.map(String).join(".")}: ` : "";
  return `${where}${first.message}${error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : ""}`;
}
