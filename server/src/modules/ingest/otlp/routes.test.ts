import type { RunDetailResponse } from "../../runs/contract.js";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { putPolicy } from "../../policies/store.js";
import { createTestContext, type TestContext } from "../../../../test-support/testing.js";
import { runIdForTrace, stepIdFor } from "./ids.js";
import { decodeStatus, decodeTraceResponse } from "./proto.js";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const ROOT = "00f067aa0ba902b7";
const CHILD = "53995c3f42cd8ad8";
// An hour ago: inside the runs list's default window.
const T0 = BigInt(Date.now() - 3_600_000) * 1_000_000n;
const ns = (ms: number) => String(T0 + BigInt(ms) * 1_000_000n);

const kv = (key: string, value: string | number | boolean) => ({
  key,
  value:
    typeof value === "string"
      ? { stringValue: value }
      : typeof value === "boolean"
        ? { boolValue: value }
        : Number.isInteger(value)
          ? { intValue: String(value) }
          : { doubleValue: value },
});

function span(over: Record<string, unknown> = {}) {
  return { traceId: TRACE, spanId: ROOT, name: "pipeline", kind: 1, startTimeUnixNano: ns(0), endTimeUnixNano: ns(100), ...over };
}

function request(spans: unknown[], resource: unknown[] = [kv("service.name", "claims")]) {
  return { resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ scope: { name: "test" }, spans }] }] };
}

async function post(key: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await ctx.app.request("/v1/traces", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}`, ...headers },
    body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

async function runDetail(key: string, runId: string): Promise<RunDetailResponse> {
  const res = await ctx.app.request(`/v1/runs/${runId}`, { headers: { Authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as RunDetailResponse;
}

async function eventCount(projectId: string): Promise<number> {
  const rs = await ctx.store.client.execute({
    sql: "SELECT count(*) FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?)",
    args: [projectId],
  });
  return Number(rs.rows[0]![0]);
}

describe("POST /v1/traces (OTLP/JSON)", () => {
  it("maps a trace to a run, spans to steps with their parents, and confidences from attributes and evaluation events", async () => {
    const { key } = await ctx.newProject();
    const res = await post(
      key,
      request([
        span({ status: { code: 1 } }),
        span({
          spanId: CHILD,
          parentSpanId: ROOT,
          name: "chat gpt-x",
          startTimeUnixNano: ns(10),
          endTimeUnixNano: ns(60),
          attributes: [
            kv("gen_ai.operation.name", "chat"),
            kv("gen_ai.request.model", "gpt-x"),
            kv("gen_ai.response.model", "gpt-x-2025"),
            kv("gen_ai.usage.input_tokens", 120),
            kv("gen_ai.usage.output_tokens", 30),
            kv("gen_ai.input.messages", JSON.stringify([{ role: "user", parts: [{ type: "text", content: "claim?" }] }])),
            kv("gen_ai.output.messages", JSON.stringify([{ role: "assistant", parts: [{ type: "text", content: "auto" }] }])),
            kv("seamtrace.step", "classify"),
          ],
          events: [
            {
              name: "gen_ai.evaluation.result",
              timeUnixNano: ns(59),
              attributes: [kv("gen_ai.evaluation.score.value", 0.5), kv("gen_ai.evaluation.explanation", "unsure")],
            },
          ],
        }),
        span({
          spanId: "1111111111111111",
          parentSpanId: CHILD,
          name: "lookup",
          attributes: [kv("seamtrace.confidence", 0.8), kv("seamtrace.source", "direct")],
          startTimeUnixNano: ns(61),
          endTimeUnixNano: ns(70),
        }),
      ]),
    );
    expect(res).toMatchObject({ status: 200, body: {} });
    expect(res.type).toMatch(/^application\/json/);

    const detail = await runDetail(key, runIdForTrace(TRACE));
    expect(detail.run).toMatchObject({ workflow: "claims", status: "completed", key: TRACE });
    const byName = Object.fromEntries(detail.steps.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(["classify", "lookup", "pipeline"]);
    expect(byName.pipeline!.parents).toEqual([]);
    expect(byName.classify!.parents).toEqual([stepIdFor(TRACE, ROOT)]);
    expect(byName.lookup!.parents).toEqual([stepIdFor(TRACE, CHILD)]);
    expect(byName.classify).toMatchObject({ confidence: 0.5, cumulative: 0.5, reasoning: "unsure", durationMs: 50 });
    expect(byName.lookup).toMatchObject({ confidence: 0.8, cumulative: 0.4, source: "direct" });
    expect(byName.classify!.input).toEqual([{ role: "user", parts: [{ type: "text", content: "claim?" }] }]);
    expect(byName.classify!.output).toEqual([{ role: "assistant", parts: [{ type: "text", content: "auto" }] }]);
    expect(byName.classify!.features).toEqual({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "gpt-x",
      "gen_ai.response.model": "gpt-x-2025",
      "gen_ai.usage.input_tokens": 120,
      "gen_ai.usage.output_tokens": 30,
    });
  });

  it("cuts an attribute over the string limit with a visible marker, keeping the span's step, confidence and lineage", async () => {
    const small = await createTestContext({ SEAMTRACE_MAX_STRING_LENGTH: "1024" });
    try {
      const { key } = await small.newProject();
      const prompt = "p".repeat(5000);
      const res = await small.app.request("/v1/traces", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
        body: JSON.stringify(
          request([
            span(),
            span({
              spanId: CHILD,
              parentSpanId: ROOT,
              name: "chat",
              attributes: [kv("gen_ai.input.messages", prompt), kv("seamtrace.confidence", 0.7), kv("claim.id", "c".repeat(3000))],
            }),
            span({ spanId: "1111111111111111", parentSpanId: CHILD, name: "after", attributes: [kv("seamtrace.confidence", 0.5)] }),
          ]),
        ),
      });
      expect(await res.json()).toEqual({});
      const detail = (await (
        await small.app.request(`/v1/runs/${runIdForTrace(TRACE)}`, { headers: { Authorization: `Bearer ${key}` } })
      ).json()) as RunDetailResponse;
      const chat = detail.steps.find((s) => s.name === "chat")!;
      expect(chat.confidence).toBe(0.7);
      expect(chat.input).toHaveLength(1024);
      expect(chat.input).toMatch(/^p+…\[truncated by Seamtrace: 5000 characters\]$/);
      expect(String(chat.metadata!.attributes["claim.id"])).toMatch(/…\[truncated by Seamtrace: 3000 characters\]$/);
      expect(detail.steps.find((s) => s.name === "after")).toMatchObject({ parents: [stepIdFor(TRACE, CHILD)], cumulative: 0.35 });
    } finally {
      small.close();
    }
  });

  it("accepts int64 fields written as JSON numbers, as the OTLP JSON mapping allows", async () => {
    const { key } = await ctx.newProject();
    const startNs = Number(T0);
    expect(startNs).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    const res = await post(
      key,
      request([
        span({
          startTimeUnixNano: startNs,
          endTimeUnixNano: startNs + 100_000_000,
          attributes: [
            { key: "gen_ai.usage.input_tokens", value: { intValue: 120 } },
            { key: "big", value: { intValue: 2 ** 60 } },
          ],
        }),
      ]),
    );
    expect(res).toEqual({ status: 200, type: expect.any(String), body: {} });
    const detail = await runDetail(key, runIdForTrace(TRACE));
    expect(detail.steps[0]).toMatchObject({ durationMs: 100, features: { "gen_ai.usage.input_tokens": 120 } });
    expect(detail.run.status).toBe("completed");
  });

  it("keeps span kind, status, custom attributes and resource attributes as the step's metadata", async () => {
    const { key } = await ctx.newProject();
    await post(
      key,
      request(
        [
          span({
            kind: 2,
            status: { code: 1 },
            attributes: [
              kv("claim.id", "C-7"),
              kv("gen_ai.response.id", "resp-1"),
              kv("gen_ai.tool.call.id", "call-9"),
              kv("gen_ai.system_instructions", "be brief"),
            ],
          }),
        ],
        [kv("service.name", "claims"), kv("deployment.environment", "prod"), kv("host.name", "h1")],
      ),
    );
    const detail = await runDetail(key, runIdForTrace(TRACE));
    expect(detail.steps[0]!.metadata).toEqual({
      kind: "server",
      status: { code: "ok" },
      attributes: { "claim.id": "C-7", "gen_ai.response.id": "resp-1", "gen_ai.tool.call.id": "call-9", "gen_ai.system_instructions": "be brief" },
      resource: { "service.name": "claims", "deployment.environment": "prod", "host.name": "h1" },
      scope: { name: "test" },
    });
  });

  it("ends the run of a trace whose top span has a remote parent, keyed by the trace id, with no missing parent", async () => {
    const { key } = await ctx.newProject();
    // The child first, as a batch exporter sends it; the top span's parent is a gateway's (flags: remote).
    await post(
      key,
      request([span({ spanId: CHILD, parentSpanId: ROOT, startTimeUnixNano: ns(10), endTimeUnixNano: ns(20), attributes: [kv("seamtrace.confidence", 0.5)] })]),
    );
    await post(key, request([span({ parentSpanId: "ffffffffffffffff", flags: 0x300, attributes: [kv("seamtrace.confidence", 0.9)] })]));
    const state = await ctx.app.request(`/v1/run-state?workflow=claims&key=${TRACE}`, { headers: { Authorization: `Bearer ${key}` } });
    expect(state.status).toBe(200);
    const run = ((await state.json()) as { run: { id: string; status: string } }).run;
    expect(run.status).toBe("completed");
    const detail = await runDetail(key, run.id);
    expect(detail.steps.find((s) => s.id === stepIdFor(TRACE, ROOT))!.parents).toEqual([]);
    expect(detail.steps.find((s) => s.id === stepIdFor(TRACE, CHILD))).toMatchObject({ cumulative: 0.45 });
    expect(detail.edges).toEqual([{ from: stepIdFor(TRACE, ROOT), to: stepIdFor(TRACE, CHILD) }]);
  });

  it("files the children of a root that names seamtrace.run.id in that run, whichever arrives first", async () => {
    const { key } = await ctx.newProject();
    await post(key, request([span({ spanId: CHILD, parentSpanId: ROOT, startTimeUnixNano: ns(10), endTimeUnixNano: ns(20) })]));
    await post(key, request([span({ attributes: [kv("seamtrace.run.id", "claim-77")] })]));
    const list = (await (await ctx.app.request("/v1/runs?workflow=claims", { headers: { Authorization: `Bearer ${key}` } })).json()) as {
      items: Array<{ key: string | null; status: string; stepCount: number }>;
    };
    expect(list.items).toEqual([expect.objectContaining({ key: "claim-77", status: "completed", stepCount: 2 })]);
  });

  it("stores a resent export once: event ids come from the trace and span ids", async () => {
    const { key, projectId } = await ctx.newProject();
    const body = request([span(), span({ spanId: CHILD, parentSpanId: ROOT })]);
    expect((await post(key, body)).status).toBe(200);
    const stored = await eventCount(projectId);
    expect(stored).toBe(4); // run.started, run.completed and two steps
    expect((await post(key, body)).status).toBe(200);
    expect(await eventCount(projectId)).toBe(stored);
  });

  it("groups spans by seamtrace.run.id across traces, keeping a non-UUID name as the run's key", async () => {
    const { key } = await ctx.newProject();
    const other = "0af7651916cd43dd8448eb211c80319c";
    await post(
      key,
      request([
        span({ attributes: [kv("seamtrace.run.id", "claim-42")] }),
        span({ traceId: other, spanId: CHILD, attributes: [kv("seamtrace.run.id", "claim-42")] }),
      ]),
    );
    const list = (await (await ctx.app.request("/v1/runs?workflow=claims", { headers: { Authorization: `Bearer ${key}` } })).json()) as {
      items: Array<{ id: string; key: string | null; stepCount: number }>;
    };
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ key: "claim-42", stepCount: 2 });
  });

  it("answers with partial success and stores the valid spans when some are invalid", async () => {
    const { key } = await ctx.newProject();
    const res = await post(key, request([span(), span({ spanId: "xyz" }), span({ spanId: CHILD, parentSpanId: ROOT, endTimeUnixNano: ns(-5) })]));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      partialSuccess: { rejectedSpans: 2, errorMessage: expect.stringMatching(/^span 1: spanId: must be 16 hex digits; span 2: endTimeUnixNano is before/) },
    });
    const detail = await runDetail(key, runIdForTrace(TRACE));
    expect(detail.steps.map((s) => s.name)).toEqual(["pipeline"]);
  });

  it("marks a span with status ERROR as a failed step and fails its run", async () => {
    const { key } = await ctx.newProject();
    await post(
      key,
      request([span({ status: { code: 2, message: "model timed out" }, events: [{ name: "exception", attributes: [kv("exception.type", "TimeoutError")] }] })]),
    );
    const detail = await runDetail(key, runIdForTrace(TRACE));
    expect(detail.run.status).toBe("failed");
    expect(detail.steps[0]).toMatchObject({ status: "failed", error: { name: "TimeoutError", message: "model timed out" } });
  });

  it("flags a step whose confidence fails the served policy, opening a non-blocking escalation", async () => {
    const { key, projectId } = await ctx.newProject();
    await putPolicy(ctx.store.client, {
      projectId,
      workflow: "claims",
      step: null,
      actor: "user:test",
      now: Date.now(),
      patch: { minConfidence: 0.7, onLow: "escalate" },
    });
    await post(key, request([span(), span({ spanId: CHILD, parentSpanId: ROOT, name: "classify", attributes: [kv("seamtrace.confidence", 0.4)] })]));
    const detail = await runDetail(key, runIdForTrace(TRACE));
    const classify = detail.steps.find((s) => s.name === "classify")!;
    expect(classify).toMatchObject({ flagged: true, gate: { outcome: "flag", kinds: ["confidence"], minConfidence: 0.7 } });
    const rs = await ctx.store.client.execute({ sql: "SELECT kind, blocking, status FROM escalations WHERE project_id = ?", args: [projectId] });
    expect(rs.rows.map((r) => [r[0], Number(r[1]), r[2]])).toEqual([["flag", 0, "open"]]);
  });

  it("flags an unscored step when the served policy has requireConfidence, and leaves it unscored", async () => {
    const { key, projectId } = await ctx.newProject();
    await putPolicy(ctx.store.client, {
      projectId,
      workflow: "claims",
      step: "classify",
      actor: "user:test",
      now: Date.now(),
      patch: { requireConfidence: true },
    });
    await post(key, request([span(), span({ spanId: CHILD, parentSpanId: ROOT, name: "classify" })]));
    const detail = await runDetail(key, runIdForTrace(TRACE));
    const classify = detail.steps.find((s) => s.name === "classify")!;
    expect(classify).toMatchObject({ flagged: true, gate: { outcome: "flag", kinds: ["unscored"] } });
    expect(classify.confidence).toBeNull();
    // The root span has no policy of its own: unscored, it passes.
    expect(detail.steps.find((s) => s.name === "pipeline")).toMatchObject({ flagged: false, gate: null, confidence: null });
  });

  it("skips spans already reported through the SDK's OpenTelemetry helper", async () => {
    const { key, projectId } = await ctx.newProject();
    const res = await post(
      key,
      request([
        span({ attributes: [kv("seamtrace.step.id", "0190f0a0-0000-7000-8000-000000000001"), kv("seamtrace.run.id", "0190f0a0-0000-7000-8000-0000000000aa")] }),
        // The helper's run span of a run that never started (a duplicate key): no run id.
        span({ traceId: "1bf92f3577b34da6a3ce929d0e0e4736", attributes: [kv("seamtrace.reported", true)] }),
      ]),
    );
    expect(res.body).toEqual({});
    expect(await eventCount(projectId)).toBe(0);
  });

  it("accepts a gzip-compressed body", async () => {
    const { key, projectId } = await ctx.newProject();
    const res = await post(key, gzipSync(JSON.stringify(request([span()]))), { "Content-Encoding": "gzip" });
    expect(res.status).toBe(200);
    expect(await eventCount(projectId)).toBe(3);
  });
});

describe("POST /v1/traces: malformed requests", () => {
  const cases: Array<[string, unknown, string, number]> = [
    ["invalid JSON", "{ not json", "invalid_json", 400],
    ["a JSON array", "[]", "invalid_otlp", 400],
    ["resourceSpans that is not an array", { resourceSpans: { spans: [] } }, "invalid_otlp", 400],
    ["scopeSpans entries that are not objects", { resourceSpans: [{ scopeSpans: ["x"] }] }, "invalid_otlp", 400],
  ];
  for (const [what, body, code, status] of cases) {
    it(`answers ${status} ${code} for ${what} and stores nothing`, async () => {
      const { key, projectId } = await ctx.newProject();
      const res = await post(key, body);
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ error: { code, message: expect.any(String) } });
      expect(await eventCount(projectId)).toBe(0);
    });
  }

  it("answers 400 with a protobuf google.rpc.Status for protobuf bytes that do not decode, and stores nothing", async () => {
    const { key, projectId } = await ctx.newProject();
    const res = await ctx.app.request("/v1/traces", {
      method: "POST",
      headers: { "Content-Type": "application/x-protobuf", Authorization: `Bearer ${key}` },
      body: new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/x-protobuf");
    expect(decodeStatus(new Uint8Array(await res.arrayBuffer()))).toEqual({
      code: 3,
      message: expect.stringMatching(/^invalid_otlp: the body is not an OTLP ExportTraceServiceRequest/),
    });
    expect(await eventCount(projectId)).toBe(0);
  });

  it("answers a protobuf request's auth and media errors with a protobuf Status too", async () => {
    const res = await ctx.app.request("/v1/traces", {
      method: "POST",
      headers: { "Content-Type": "application/x-protobuf", Authorization: "Bearer st_nope" },
      body: new Uint8Array(0),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/x-protobuf");
    expect(decodeStatus(new Uint8Array(await res.arrayBuffer()))).toMatchObject({ code: 16, message: expect.stringMatching(/^unauthorized/) });
  });

  it("answers 405 with Allow: POST for another method, in the JSON envelope", async () => {
    const { key } = await ctx.newProject();
    for (const path of ["/v1/traces", "/v1/logs"]) {
      const res = await ctx.app.request(path, { headers: { Authorization: `Bearer ${key}` } });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
      expect(await res.json()).toMatchObject({ error: { code: "method_not_allowed" } });
    }
  });

  it("answers 415 for another media type and 401 without a key", async () => {
    const { key } = await ctx.newProject();
    expect((await post(key, request([span()]), { "Content-Type": "text/plain" })).status).toBe(415);
    expect((await post("st_nope", request([span()]))).status).toBe(401);
  });

  it("answers 413 for more spans than SEAMTRACE_OTLP_MAX_ITEMS", async () => {
    const small = await createTestContext({ SEAMTRACE_OTLP_MAX_ITEMS: "2" });
    try {
      const { key } = await small.newProject();
      const res = await small.app.request("/v1/traces", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
        body: JSON.stringify(request([span(), span({ spanId: CHILD }), span({ spanId: "2222222222222222" })])),
      });
      expect(res.status).toBe(413);
    } finally {
      small.close();
    }
  });

  it("answers the protobuf encoding with a protobuf partial success", async () => {
    const { key } = await ctx.newProject();
    // An empty request is valid protobuf: the answer is an empty ExportTraceServiceResponse.
    const res = await ctx.app.request("/v1/traces", {
      method: "POST",
      headers: { "Content-Type": "application/x-protobuf", Authorization: `Bearer ${key}` },
      body: new Uint8Array(0),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-protobuf");
    expect(decodeTraceResponse(new Uint8Array(await res.arrayBuffer()))).toEqual({});
  });
});
