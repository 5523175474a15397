/**
 * The ordering guarantee, as a property: spans made by a real OpenTelemetry tracer, serialized by
 * the official OTLP transformer (the code inside the official exporters), sent in any split across
 * requests, in any order, in either encoding, store the same runs, steps, edges, cumulative
 * confidences, gates, flags and escalations as when sent all at once.
 */
import { context, trace, type Attributes, type Link, type Span, type Tracer } from "@opentelemetry/api";
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../../../../test-support/testing.js";
import { putPolicy } from "../../policies/store.js";
import { STEP_EVENT_JOIN, stepPayload } from "../../runs/step-payload.js";
import { idFromStored } from "../../../platform/db/stored-id.js";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

interface SpanPlan {
  /** Index of the parent among earlier spans; -1 for the root. */
  parent: number;
  confidence: number | null;
  evaluation: number | null;
  /** Index of an earlier span this one links to (data flow), or -1. */
  link: number;
  human: boolean;
}
interface TracePlan {
  spans: SpanPlan[];
  /** The root's parent is remote (a traceparent from a gateway that does not export here). */
  remoteRoot: boolean;
  workflowOnRoot: boolean;
  runNameOnRoot: boolean;
}

const spanPlan = (i: number): fc.Arbitrary<SpanPlan> =>
  fc.record({
    parent: i === 0 ? fc.constant(-1) : fc.integer({ min: 0, max: i - 1 }),
    confidence: fc.option(fc.constantFrom(0.3, 0.6, 0.85, 0.9, 1), { nil: null }),
    evaluation: fc.option(fc.constantFrom(0.2, 0.7, 0.95), { nil: null }),
    link: i < 2 ? fc.constant(-1) : fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: i - 1 })),
    human: fc.boolean().map((b) => b && i > 0 && i % 4 === 0),
  });

const tracePlan: fc.Arbitrary<TracePlan> = fc.integer({ min: 2, max: 9 }).chain((n) =>
  fc.record({
    spans: fc.tuple(...Array.from({ length: n }, (_, i) => spanPlan(i))),
    remoteRoot: fc.boolean(),
    workflowOnRoot: fc.boolean(),
    runNameOnRoot: fc.boolean(),
  }),
);

/** Makes the planned trace with a real tracer; spans end children first, as they do in code. */
function makeTrace(tracer: Tracer, plan: TracePlan, tag: string): void {
  const spans: Span[] = [];
  plan.spans.forEach((p, i) => {
    const attributes: Attributes = {};
    if (p.confidence !== null) attributes["seamtrace.confidence"] = p.confidence;
    if (p.human) attributes["seamtrace.source"] = "human";
    if (i === 0 && plan.workflowOnRoot) attributes["seamtrace.workflow"] = "prop-named";
    if (i === 0 && plan.runNameOnRoot) attributes["seamtrace.run.id"] = `run-${tag}`;
    const links: Link[] = p.link >= 0 ? [{ context: spans[p.link]!.spanContext() }] : [];
    const parentCtx =
      i === 0
        ? plan.remoteRoot
          ? trace.setSpanContext(context.active(), { traceId: randomHex(32), spanId: randomHex(16), traceFlags: 1, isRemote: true })
          : context.active()
        : trace.setSpan(context.active(), spans[p.parent]!);
    const span = tracer.startSpan(`step-${i % 5}`, { attributes, links }, parentCtx);
    if (p.evaluation !== null) span.addEvent("gen_ai.evaluation.result", { "gen_ai.evaluation.name": "judge", "gen_ai.evaluation.score.value": p.evaluation });
    spans.push(span);
  });
  for (const s of [...spans].reverse()) s.end();
}

function randomHex(length: number): string {
  let s = "";
  while (s.length < length) s += Math.floor(Math.random() * 16).toString(16);
  return s.replace(/^0+$/, "1".repeat(length));
}

async function send(key: string, spans: ReadableSpan[], protobuf: boolean): Promise<void> {
  const body = protobuf ? ProtobufTraceSerializer.serializeRequest(spans)! : JsonTraceSerializer.serializeRequest(spans)!;
  const res = await ctx.app.request("/v1/traces", {
    method: "POST",
    headers: { "Content-Type": protobuf ? "application/x-protobuf" : "application/json", Authorization: `Bearer ${key}` },
    body,
  });
  expect(res.status).toBe(200);
}

/** What the ordering guarantee covers: runs, steps (edges as parents), cumulative confidences, gates, flags, and the review queue. */
async function stored(projectId: string): Promise<unknown> {
  await ctx.deps.projector.sync();
  const q = async (sql: string, project: string | Uint8Array = projectId) =>
    (await ctx.store.client.execute({ sql, args: [project] })).rows.map((r) => ({ ...r }));
  return {
    runs: await q(
      `SELECT id, workflow, version, key, status, input, output, error, stop_step_id, started_at, ended_at, duration_ms, step_count, min_cumulative
       FROM runs WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) ORDER BY id`,
    ),
    steps: (
      await q(
        `SELECT s.id, s.run_id, s.name, s.status, s.confidence, s.cumulative, s.source, s.flagged, s.escalation_id, ev.body AS event_body
         FROM steps s ${STEP_EVENT_JOIN} WHERE s.project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) ORDER BY s.id`,
        projectId,
      )
    ).map(({ event_body, ...row }) => {
      const p = stepPayload(event_body);
      return { ...row, id: idFromStored(row.id), run_id: idFromStored(row.run_id), parents: p.parents, gate: p.gate, features: p.features, error: p.error };
    }),
    escalations: await q(
      "SELECT id, run_id, step_id, kind, blocking, gate_kinds, confidence, cumulative, status FROM escalations WHERE project_id = ? ORDER BY id",
    ),
  };
}

async function policies(projectId: string): Promise<void> {
  const now = Date.now();
  await putPolicy(ctx.store.client, { projectId, workflow: "prop", step: null, actor: "user:test", now, patch: { minCumulative: 0.5, onLow: "flag" } });
  await putPolicy(ctx.store.client, { projectId, workflow: "prop", step: "step-2", actor: "user:test", now, patch: { minConfidence: 0.7 } });
  await putPolicy(ctx.store.client, { projectId, workflow: "prop-named", step: null, actor: "user:test", now, patch: { minCumulative: 0.8, onLow: "flag" } });
}

describe("OTLP ordering guarantee", () => {
  it("stores the same runs, steps, confidences, gates and flags for any split and order of the spans", async () => {
    let traces = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(tracePlan, { minLength: 1, maxLength: 2 }),
        fc.infiniteStream(fc.integer({ min: 0, max: 1_000_000 })),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        async (plans, randoms, requests, protobuf) => {
          const exporter = new InMemorySpanExporter();
          const provider = new BasicTracerProvider({
            resource: resourceFromAttributes({ "service.name": "prop" }),
            spanProcessors: [new SimpleSpanProcessor(exporter)],
          });
          const tracer = provider.getTracer("prop");
          for (const plan of plans) makeTrace(tracer, plan, String(traces++));
          await provider.forceFlush();
          const spans = exporter.getFinishedSpans();

          const whole = await ctx.newProject();
          await policies(whole.projectId);
          await send(whole.key, spans, false);

          // Any order (a shuffle drawn from the stream), cut into `requests` requests.
          const r = randoms[Symbol.iterator]();
          const shuffled = [...spans];
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = r.next().value! % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
          }
          const split = await ctx.newProject();
          await policies(split.projectId);
          const cuts = [...new Set(Array.from({ length: requests - 1 }, () => r.next().value! % shuffled.length))].sort((a, b) => a - b);
          let from = 0;
          for (const cut of [...cuts, shuffled.length]) {
            if (cut > from) await send(split.key, shuffled.slice(from, cut), protobuf);
            from = cut;
          }
          await provider.shutdown();

          const a = await stored(whole.projectId);
          expect((a as { steps: unknown[] }).steps).toHaveLength(spans.length);
          expect(await stored(split.projectId)).toEqual(a);
        },
      ),
      { numRuns: 40 },
    );
  }, 600_000);
});
