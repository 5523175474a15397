import {
  uuidv7,
  type DroppedEvent,
  type ErrorBody,
  type IngestResponse,
  type RunEndedEvent,
  type RunStartedEvent,
  type SeamtraceEvent,
  type StepEvent,
} from "@seamtrace/sdk";
import type { Store } from "../src/platform/db/client.js";
import type { TestContext } from "./testing.js";

// Events built the way the SDK builds them (sdk/src/client.ts, sdk/src/run.ts): UUIDv7 ids,
// ISO times from Date#toISOString, lineage as parent step ids. Shared by the ingest tests.

const iso = (ms: number) => new Date(ms).toISOString();
const T0 = Date.UTC(2025, 0, 15, 9, 30);

export function runStarted(over: Partial<RunStartedEvent> = {}): RunStartedEvent {
  return {
    id: uuidv7(),
    type: "run.started",
    time: iso(T0),
    runId: uuidv7(),
    workflow: "claims",
    version: "3",
    key: "msg-1",
    input: { subject: "Water damage", body: "My kitchen flooded on 3 January." },
    ...over,
  };
}

export function stepEvent(runId: string, over: Partial<StepEvent> = {}): StepEvent {
  return {
    id: uuidv7(),
    type: "step.completed",
    time: iso(T0 + 120),
    runId,
    workflow: "claims",
    version: "3",
    stepId: uuidv7(),
    step: "extract",
    parents: [],
    input: { subject: "Water damage" },
    output: { policyNo: "P-1234", amount: 1200 },
    confidence: 0.92,
    cumulative: 0.92,
    source: "inferred",
    stale: false,
    attempt: 1,
    durationMs: 120,
    startedAt: iso(T0),
    ...over,
  };
}

export function runEnded(runId: string, type: RunEndedEvent["type"] = "run.completed", over: Partial<RunEndedEvent> = {}): RunEndedEvent {
  return { id: uuidv7(), type, time: iso(T0 + 1000), runId, workflow: "claims", version: "3", durationMs: 1000, ...over };
}

export function dropped(over: Partial<DroppedEvent> = {}): DroppedEvent {
  return { id: uuidv7(), type: "sdk.dropped", time: iso(T0 + 2000), reason: "buffer_full", count: 12, from: iso(T0), to: iso(T0 + 1500), ...over };
}

/** A whole run as the SDK reports it: start, extract → (classify ‖ match-policy), end. */
export function completedRun(runId = uuidv7()): { runId: string; stepIds: string[]; events: SeamtraceEvent[] } {
  const extract = stepEvent(runId, {
    step: "extract",
    reasoning: "policy number found in the subject line",
    alternatives: [{ policyNo: "P-1243" }],
    features: { amount: 1200, channel: "email", urgent: false },
  });
  const classify = stepEvent(runId, {
    step: "classify",
    parents: [extract.stepId],
    output: "water",
    confidence: 0.8,
    cumulative: 0.736,
    startedAt: iso(T0 + 130),
    time: iso(T0 + 200),
    gate: { outcome: "pass", kinds: [], minConfidence: 0.7, minCumulative: 0.5 },
  });
  const match = stepEvent(runId, {
    step: "match-policy",
    parents: [extract.stepId],
    output: { holder: "A. Jones" },
    confidence: 1,
    cumulative: 0.92,
    source: "direct",
    observedAt: iso(T0 - 60_000),
    maxAgeMs: 86_400_000,
    attempt: 2,
    attemptErrors: [{ name: "FetchError", message: "ECONNRESET" }],
    startedAt: iso(T0 + 130),
    time: iso(T0 + 400),
  });
  return {
    runId,
    stepIds: [extract.stepId, classify.stepId, match.stepId],
    events: [runStarted({ runId }), extract, classify, match, runEnded(runId, "run.completed", { output: { route: "auto" } })],
  };
}

export interface PostResult {
  status: number;
  headers: Headers;
  body: IngestResponse & Partial<ErrorBody>;
}

/** `POST /v1/events` with a key; a non-string body is sent as JSON. */
export async function postEvents(ctx: TestContext, key: string | null, body: unknown, init: { headers?: Record<string, string> } = {}): Promise<PostResult> {
  const headers: Record<string, string> = { "content-type": "application/json", ...init.headers };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const payload = typeof body === "string" || body instanceof Uint8Array || body instanceof ReadableStream ? body : JSON.stringify(body);
  const res = await ctx.app.request("/v1/events", { method: "POST", headers, body: payload as RequestInit["body"], duplex: "half" } as RequestInit);
  return { status: res.status, headers: res.headers, body: (await res.json()) as PostResult["body"] };
}

export type CountedTable = "events" | "runs" | "steps" | "workflows" | "audit_log";

/** Rows of a table belonging to one project. */
export async function countRows(store: Store, table: CountedTable, projectId: string): Promise<number> {
  // The event log, the audit log, runs and steps name the project by its key (project-key.ts).
  const keyed = table !== "workflows";
  const rs = await store.client.execute({
    sql: `SELECT count(*) AS n FROM ${table} WHERE ${keyed ? "project_key = (SELECT project_key FROM project_keys WHERE project_id = ?)" : "project_id = ?"}`,
    args: [projectId],
  });
  return Number(rs.rows[0]!.n);
}

/** Rows of the log and of its projections, once the projector has caught up. */
export async function counts(ctx: TestContext, projectId: string) {
  await ctx.deps.projector.sync();
  const [events, runs, steps] = await Promise.all(["events", "runs", "steps"].map((t) => countRows(ctx.store, t as "events", projectId)));
  return { events, runs, steps };
}
