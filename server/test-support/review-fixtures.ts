import { uuidv7, type SeamtraceEvent, type StepEvent } from "@seamtrace/sdk";
import { escalations } from "../src/modules/review/schema.js";
import type { TestContext } from "./testing.js";
import { postEvents, runEnded, runStarted, stepEvent } from "./events-fixtures.js";

// Review-queue scenarios built the way the SDK reports them, shared by the review tests.

const T0 = Date.UTC(2025, 0, 15, 9, 30);
export const iso = (ms: number) => new Date(ms).toISOString();

/** The contract of the `reserve` step: an amount and a currency, nothing else. */
export const RESERVE_CONTRACT = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  properties: { amount: { type: "number", minimum: 0 }, currency: { type: "string", enum: ["EUR", "USD"] } },
  required: ["amount", "currency"],
  additionalProperties: false,
};

/**
 * A claims run that escalates at `reserve`: extract → (classify ‖ match-policy) → reserve, then
 * run.paused. Split over two batches so the packet has to combine stored steps (extract,
 * classify) with steps of its own batch (match-policy); reserve also names a parent that was
 * never reported. `workflow` names another workflow (its own policies, judges, groups).
 */
export function escalatedRun(t0 = T0, workflow = "claims") {
  const start = runStarted({ workflow, time: iso(t0), key: `msg-${uuidv7()}`, input: { subject: "Flooded kitchen", body: "Water everywhere." } });
  const runId = start.runId;
  const extract = stepEvent(runId, {
    workflow,
    step: "extract",
    startedAt: iso(t0),
    time: iso(t0 + 100),
    output: { policyNo: "P-1234", amount: 1200 },
    confidence: 0.9,
    cumulative: 0.9,
  });
  const classify = stepEvent(runId, {
    workflow,
    step: "classify",
    parents: [extract.stepId],
    startedAt: iso(t0 + 110),
    time: iso(t0 + 200),
    output: "water",
    confidence: 0.8,
    cumulative: 0.72,
    gate: { outcome: "pass", kinds: [] },
  });
  const match = stepEvent(runId, {
    workflow,
    step: "match-policy",
    parents: [extract.stepId],
    startedAt: iso(t0 + 110),
    time: iso(t0 + 250),
    output: { holder: "A. Jones" },
    confidence: 1,
    cumulative: 0.9,
    source: "direct",
    observedAt: iso(t0 - 60_000),
    maxAgeMs: 86_400_000,
  });
  const unreported = uuidv7();
  const escalationId = uuidv7();
  const reserve = stepEvent(runId, {
    workflow,
    step: "reserve",
    parents: [classify.stepId, match.stepId, unreported],
    startedAt: iso(t0 + 260),
    time: iso(t0 + 300),
    input: { kind: "water", holder: "A. Jones" },
    output: { amount: 25_000, currency: "EUR" },
    confidence: 0.55,
    cumulative: 0.356,
    reasoning: "large claim, policy limit unclear",
    alternatives: [
      { amount: 12_000, currency: "EUR" },
      { amount: 2_500, currency: "EUR" },
    ],
    gate: { outcome: "escalate", kinds: ["confidence", "cumulative"], minConfidence: 0.8, minCumulative: 0.5 },
    escalationId,
    contract: { jsonSchema: RESERVE_CONTRACT, vendor: "zod" },
  });
  const paused = runEnded(runId, "run.paused", { workflow, time: iso(t0 + 301), durationMs: 301, stepId: reserve.stepId, escalationId });
  return {
    runId,
    escalationId,
    unreported,
    start,
    extract,
    classify,
    match,
    reserve,
    paused,
    batches: [
      [start, extract, classify],
      [match, reserve, paused],
    ] as SeamtraceEvent[][],
  };
}

/** Posts each batch and lets the projector fold it before the next one. */
export async function postBatches(ctx: TestContext, key: string, batches: SeamtraceEvent[][]): Promise<void> {
  for (const events of batches) {
    const res = await postEvents(ctx, key, { events });
    if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${JSON.stringify(res.body)}`);
    await ctx.deps.projector.sync();
  }
}

/** A step that went to review without stopping its run: flagged, or sampled as a spot check. */
export function reviewedStep(runId: string, how: "flag" | "spot_check", over: Partial<StepEvent> = {}): StepEvent {
  return stepEvent(runId, {
    escalationId: uuidv7(),
    ...(how === "flag"
      ? { gate: { outcome: "flag", kinds: ["confidence"], minConfidence: 0.8 }, confidence: 0.6, cumulative: 0.6 }
      : { gate: { outcome: "pass", kinds: [] }, spotCheck: { rate: 0.05 }, confidence: 0.95, cumulative: 0.95 }),
    ...over,
  });
}

export type EscalationSeed = Partial<typeof escalations.$inferInsert> & { projectId: string };

/** An open, blocking escalation row written straight into the queue (for queue-order tests). */
export async function seedEscalation(ctx: TestContext, seed: EscalationSeed): Promise<string> {
  const id = seed.id ?? uuidv7();
  await ctx.store.db.insert(escalations).values({
    id,
    runId: uuidv7(),
    stepId: uuidv7(),
    workflow: "claims",
    version: "3",
    step: "reserve",
    kind: "escalate",
    gateKinds: '["confidence"]',
    blocking: true,
    confidence: 0.5,
    cumulative: 0.5,
    packet: JSON.stringify({ output: { amount: 1 }, alternatives: null }),
    status: "open",
    createdAt: T0,
    ...seed,
  });
  return id;
}

export interface Caller {
  cookie?: string;
  key?: string;
}

/** A request as a signed-in user (cookie) or with an API key; a non-string body is sent as JSON. */
export async function call<T = unknown>(
  ctx: TestContext,
  method: string,
  path: string,
  who: Caller,
  body?: unknown,
): Promise<{ status: number; body: T; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (who.cookie) headers.cookie = who.cookie;
  if (who.key) headers.authorization = `Bearer ${who.key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await ctx.app.request(path, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}
