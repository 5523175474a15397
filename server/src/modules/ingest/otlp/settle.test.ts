import type { StepEvent } from "@seamtrace/sdk";
import { describe, expect, it } from "vitest";
import { attributeMap } from "./attributes.js";
import { otlpSpanSchema } from "./contract.js";
import { runIdForLocalRoot, runIdForTrace, stepIdFor } from "./ids.js";
import { settleTrace, type OtlpRule, type SettledStep, type TraceSpan } from "./settle.js";
import { draftSpan, type Score, type SpanDraft } from "./span-draft.js";

const TRACE = "0af7651916cd43dd8448eb211c80319c";
const LIMITS = { maxStringLength: 1024, maxDepth: 32 };
const T0 = 1_750_000_000_000_000_000n;

type Attr = string | number | boolean;
interface SpanSpec {
  id: string;
  parent?: string;
  remote?: boolean;
  name?: string;
  attrs?: Record<string, Attr>;
  links?: string[];
  start?: number;
  end?: number;
  evaluations?: Array<Record<string, Attr>>;
}

const kv = (key: string, v: Attr) => ({
  key,
  value:
    typeof v === "string" ? { stringValue: v } : typeof v === "boolean" ? { boolValue: v } : Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v },
});

/** A span as an exporter writes it in OTLP/JSON, drafted as the route drafts it. */
function draft(s: SpanSpec, resource: Record<string, Attr> = { "service.name": "claims" }): SpanDraft {
  const start = s.start ?? 0;
  const span = otlpSpanSchema.parse({
    traceId: TRACE,
    spanId: s.id,
    parentSpanId: s.parent ?? "",
    flags: s.remote ? 0x300 : 0x100,
    name: s.name ?? `s-${s.id.slice(-2)}`,
    startTimeUnixNano: String(T0 + BigInt(start) * 1_000_000n),
    endTimeUnixNano: String(T0 + BigInt(s.end ?? start + 10) * 1_000_000n),
    attributes: Object.entries(s.attrs ?? {}).map(([k, v]) => kv(k, v)),
    links: (s.links ?? []).map((id) => ({ traceId: TRACE, spanId: id })),
    events: (s.evaluations ?? []).map((e, i) => ({
      name: "gen_ai.evaluation.result",
      timeUnixNano: String(T0 + BigInt(start + i) * 1_000_000n),
      attributes: Object.entries(e).map(([k, v]) => kv(k, v)),
    })),
  });
  const d = draftSpan(span, attributeMap(Object.entries(resource).map(([k, v]) => kv(k, v))), undefined, LIMITS);
  if (typeof d === "string" || d.draft.kind !== "span") throw new Error(`not drafted: ${String(d)}`);
  return d.draft;
}

const id = (n: number) => `a0000000000000${n.toString(16).padStart(2, "0")}`;

/**
 * Delivers the spans in the given batches to one in-memory trace store and settles after each,
 * as the ingest transaction does; answers every step event by span id.
 */
function deliver(
  batches: SpanSpec[][],
  options: { rule?: (workflow: string, step: string) => OtlpRule | undefined; scores?: Record<string, Score[]>; close?: boolean } = {},
) {
  const spans = new Map<string, TraceSpan>();
  const events = new Map<string, StepEvent>();
  const settled: SettledStep[] = [];
  const run = (closing: boolean) => {
    const out = settleTrace({
      traceId: TRACE,
      spans,
      ruleFor: options.rule ?? (() => undefined),
      scoresFor: (stepId) => options.scores?.[stepId] ?? [],
      closing,
    });
    for (const s of out) {
      expect(events.has(s.spanId), `span ${s.spanId} settles once`).toBe(false);
      events.set(s.spanId, s.event);
      settled.push(s);
    }
  };
  for (const batch of batches) {
    for (const s of batch) if (!spans.has(s.id)) spans.set(s.id, { kind: "span", state: "pending", draft: draft(s) });
    run(false);
  }
  if (options.close) run(true);
  return { events, settled, pending: [...spans.values()].filter((s) => s.kind === "span" && s.state === "pending").length };
}

/** root → a (0.9) → b (0.85) → c (0.5) */
const chain: SpanSpec[] = [
  { id: id(1), name: "agent", start: 0, end: 100 },
  { id: id(2), parent: id(1), attrs: { "seamtrace.confidence": 0.9 }, start: 1, end: 90 },
  { id: id(3), parent: id(2), attrs: { "seamtrace.confidence": 0.85 }, start: 2, end: 80 },
  { id: id(4), parent: id(3), attrs: { "seamtrace.confidence": 0.5 }, start: 3, end: 70 },
];

describe("settleTrace: lineage from the stored spans", () => {
  it("multiplies own confidences down the chain, an unscored span counting as 1", () => {
    const { events } = deliver([chain]);
    expect([1, 2, 3, 4].map((n) => events.get(id(n))!.cumulative)).toEqual([1, 0.9, 0.9 * 0.85, 0.9 * 0.85 * 0.5]);
    expect(events.get(id(4))!.parents).toEqual([stepIdFor(TRACE, id(3))]);
    expect(events.get(id(1))!.confidence).toBeUndefined();
  });

  it("gives the same step events whatever the split and order: a child waits for its ancestors", () => {
    const whole = deliver([chain]).events;
    for (const batches of [
      [[chain[3]!], [chain[2]!], [chain[1]!], [chain[0]!]],
      [
        [chain[2]!, chain[3]!],
        [chain[0]!, chain[1]!],
      ],
      [[chain[0]!], [chain[3]!], [chain[1]!, chain[2]!]],
    ]) {
      const split = deliver(batches);
      expect(split.pending).toBe(0);
      for (const [spanId, e] of whole) expect(split.events.get(spanId)).toEqual(e);
    }
  });

  it("keeps a child waiting while an ancestor is missing", () => {
    const r = deliver([[chain[0]!, chain[2]!, chain[3]!]]);
    expect([...r.events.keys()]).toEqual([id(1)]);
    expect(r.pending).toBe(2);
  });

  it("re-bases the chain at a human-verified output", () => {
    const { events } = deliver([
      [
        { id: id(1), attrs: { "seamtrace.confidence": 0.5 } },
        { id: id(2), parent: id(1), attrs: { "seamtrace.source": "human" }, start: 1 },
        { id: id(3), parent: id(2), attrs: { "seamtrace.confidence": 0.8 }, start: 2 },
      ],
    ]);
    expect([1, 2, 3].map((n) => events.get(id(n))!.cumulative)).toEqual([0.5, 1, 0.8]);
  });

  it("takes the root's workflow for every span under it, and checks each against that workflow's policy", () => {
    const rule = (workflow: string, step: string) => (workflow === "roof" && step === "classify" ? { minCumulative: 0.8 } : undefined);
    const spans: SpanSpec[] = [
      { id: id(1), name: "agent", attrs: { "seamtrace.workflow": "roof", "seamtrace.confidence": 0.9 } },
      { id: id(2), parent: id(1), name: "classify", attrs: { "seamtrace.confidence": 0.85 }, start: 1 },
    ];
    for (const batches of [[spans], [[spans[1]!], [spans[0]!]]]) {
      const e = deliver(batches, { rule }).events.get(id(2))!;
      expect(e).toMatchObject({ workflow: "roof", cumulative: 0.9 * 0.85, flagged: true, gate: { outcome: "flag", kinds: ["cumulative"] } });
    }
  });

  it("carries a flag to everything below the flagged step, with a stable escalation id", () => {
    const rule = (_: string, step: string) => (step === "s-02" ? { minConfidence: 0.95 } : undefined);
    const a = deliver([chain], { rule }).events;
    const b = deliver([[chain[3]!], [chain[0]!, chain[1]!, chain[2]!]], { rule }).events;
    expect(a.get(id(2))).toMatchObject({ flagged: true, escalationId: expect.any(String) });
    expect(a.get(id(4))).toMatchObject({ flagged: true });
    expect(a.get(id(4))!.escalationId).toBeUndefined();
    expect(b.get(id(2))!.escalationId).toBe(a.get(id(2))!.escalationId);
    expect(b.get(id(4))!.flagged).toBe(true);
  });

  it("makes a link to a span of the trace a lineage parent, waited for like the parent", () => {
    // A flat agent trace: sequential siblings, the second consuming the first's output.
    const flat: SpanSpec[] = [
      { id: id(1), name: "agent" },
      { id: id(2), parent: id(1), name: "search", attrs: { "seamtrace.confidence": 0.6 }, start: 1 },
      { id: id(3), parent: id(1), name: "answer", attrs: { "seamtrace.confidence": 0.9 }, links: [id(2)], start: 2 },
      { id: id(4), parent: id(1), name: "cite", attrs: { "seamtrace.confidence": 0.5, "seamtrace.parents": id(3) }, start: 3 },
    ];
    const early = deliver([[flat[2]!, flat[3]!, flat[0]!], [flat[1]!]]);
    expect(early.events.get(id(3))!.parents).toEqual([stepIdFor(TRACE, id(1)), stepIdFor(TRACE, id(2))]);
    expect(early.events.get(id(3))!.cumulative).toBeCloseTo(0.54);
    expect(early.events.get(id(4))!.cumulative).toBeCloseTo(0.27);
    expect(deliver([flat]).events).toEqual(early.events);
  });
});

describe("settleTrace: roots and runs", () => {
  it("makes a span with a remote parent the root of a run of its own, with no parent to wait for", () => {
    const { settled, events } = deliver([
      [
        { id: id(1), parent: "ffffffffffffffff", remote: true, name: "handle" },
        { id: id(2), parent: id(1), start: 1 },
      ],
    ]);
    expect(events.get(id(1))!.parents).toEqual([]);
    expect(events.get(id(1))!.runId).toBe(runIdForLocalRoot(TRACE, id(1)));
    expect(events.get(id(2))!.runId).toBe(runIdForLocalRoot(TRACE, id(1)));
    expect(settled[0]!.root).toMatchObject({ rootClass: 2, key: TRACE });
  });

  it("gives the children of a root that names its run that run", () => {
    const { events } = deliver([[{ id: id(2), parent: id(1), start: 1 }], [{ id: id(1), attrs: { "seamtrace.run.id": "claim-42" } }]]);
    expect(events.get(id(2))!.runId).toBe(events.get(id(1))!.runId);
    expect(events.get(id(1))!.runId).not.toBe(runIdForTrace(TRACE));
  });

  it("closes a trace whose root never came: the earliest orphan stands in for it, the rest settle under it", () => {
    const r = deliver([[chain[1]!, chain[2]!, chain[3]!]], { close: true });
    expect(r.pending).toBe(0);
    expect(r.settled.map((s) => s.spanId)).toEqual([id(2), id(3), id(4)]);
    expect(r.settled[0]!.root).toMatchObject({ rootClass: 1, runId: runIdForTrace(TRACE), key: TRACE });
    expect(r.events.get(id(2))!.parents).toEqual([]);
    expect(r.events.get(id(4))!.cumulative).toBeCloseTo(0.9 * 0.85 * 0.5);
  });

  it("closes a cycle of links deterministically", () => {
    const cycle: SpanSpec[] = [{ id: id(1) }, { id: id(2), parent: id(1), links: [id(3)], start: 1 }, { id: id(3), parent: id(1), links: [id(2)], start: 2 }];
    const a = deliver([cycle], { close: true });
    const b = deliver([[cycle[2]!], [cycle[1]!], [cycle[0]!]], { close: true });
    expect(a.pending).toBe(0);
    expect(b.events).toEqual(a.events);
  });
});

describe("settleTrace: which score is the confidence", () => {
  const evalSpan = (evaluations: Array<Record<string, Attr>>, attrs: Record<string, Attr> = {}): SpanSpec[] => [
    { id: id(1), name: "chat", attrs, evaluations },
  ];
  const step = (spans: SpanSpec[], rule?: OtlpRule) => {
    const d = draft(spans[0]!);
    // Span events are scores too; the store hands them to settle with the log records'.
    const scores: Score[] = (spans[0]!.evaluations ?? []).map((e, i) => ({
      id: `s${i}`,
      name: (e["gen_ai.evaluation.name"] as string | undefined) ?? null,
      value: typeof e["gen_ai.evaluation.score.value"] === "number" ? (e["gen_ai.evaluation.score.value"] as number) : null,
      label: null,
      explanation: (e["gen_ai.evaluation.explanation"] as string | undefined) ?? null,
      time: i,
      origin: "span",
    }));
    return deliver([spans], { rule: () => rule, scores: { [d.stepId]: scores } }).events.get(id(1))!;
  };
  const two: Array<Record<string, Attr>> = [
    { "gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": 0.95 },
    { "gen_ai.evaluation.name": "faithfulness", "gen_ai.evaluation.score.value": 0.3, "gen_ai.evaluation.explanation": "made up a clause" },
  ];

  it("takes the lowest evaluation in [0, 1] by default, whatever their order, with its explanation", () => {
    expect(step(evalSpan(two))).toMatchObject({ confidence: 0.3, reasoning: "made up a clause" });
    expect(step(evalSpan([...two].reverse()))).toMatchObject({ confidence: 0.3 });
  });

  it("takes the evaluation the policy names with confidenceFrom", () => {
    expect(step(evalSpan(two), { confidenceFrom: "relevance" })).toMatchObject({ confidence: 0.95, type: "step.completed" });
  });

  it("keeps a score on another scale as a score and a feature, never as a confidence", () => {
    const e = step(evalSpan([{ "gen_ai.evaluation.name": "stars", "gen_ai.evaluation.score.value": 4 }]));
    expect(e.confidence).toBeUndefined();
    expect(e.features).toMatchObject({ "score.stars": 4 });
  });

  it("fails the step, naming the value, when confidenceFrom names a score that is not a confidence", () => {
    const e = step(evalSpan([{ "gen_ai.evaluation.name": "stars", "gen_ai.evaluation.score.value": 4 }]), { confidenceFrom: "stars" });
    expect(e).toMatchObject({
      type: "step.failed",
      error: { name: "InvalidConfidence", message: expect.stringContaining('"stars" (the policy\'s confidenceFrom) scored 4') },
    });
    expect(e.confidence).toBeUndefined();
  });

  it("fails the step, naming the value, for a seamtrace.confidence outside [0, 1], never clamping it", () => {
    for (const bad of [1.5, -0.1, "high", "0.9"]) {
      const e = step(evalSpan([], { "seamtrace.confidence": bad }));
      expect(e).toMatchObject({ type: "step.failed", error: { name: "InvalidConfidence", message: expect.stringContaining(JSON.stringify(bad)) } });
      expect(e.confidence).toBeUndefined();
      expect(e.cumulative).toBe(1);
    }
  });

  it("records where the confidence came from: an evaluation is a judge's, seamtrace.confidence.source names its own", () => {
    expect(step(evalSpan(two)).confidenceSource).toBe("judge");
    expect(step(evalSpan(two), { confidenceFrom: "relevance" }).confidenceSource).toBe("judge");
    expect(step(evalSpan([], { "seamtrace.confidence": 0.7, "seamtrace.confidence.source": "logprob" }))).toMatchObject({
      confidence: 0.7,
      confidenceSource: "logprob",
    });
    expect(step(evalSpan([], { "seamtrace.confidence": 0.7 })).confidenceSource).toBeUndefined();
    expect(step(evalSpan([], { "seamtrace.confidence.source": "logprob" })).confidenceSource).toBeUndefined();
  });

  it("fails the step, naming the value, for a seamtrace.confidence.source that is not a known source", () => {
    const e = step(evalSpan([], { "seamtrace.confidence": 0.7, "seamtrace.confidence.source": "gut feeling" }));
    expect(e).toMatchObject({ type: "step.failed", error: { name: "InvalidConfidenceSource", message: expect.stringContaining('"gut feeling"') } });
    expect(e.confidence).toBeUndefined();
  });

  it("leaves a step without any confidence unscored: neutral for its children", () => {
    const e = step(evalSpan([]));
    expect(e.confidence).toBeUndefined();
    expect(e.cumulative).toBe(1);
  });
});
