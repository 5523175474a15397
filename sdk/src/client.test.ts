// The client as a host application meets it: `new Seamtrace({ request })`, a workflow, a run.
// The network is an injected request function, so each test decides what
// "the collector" does — answer, fail, or never answer — and reads exactly what was sent.
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { Seamtrace, type SeamtraceOptions } from "./client.js";
import type { RequestFn, TransportResponse } from "./transport-types.js";
import type { IngestItemResult, RunEndedEvent, RunStartedEvent, StepEvent } from "./types.js";
import { isUuid } from "./uuid.js";

type Wire = Record<string, unknown> & { id: string; type: string };

/** A collector that decodes every request and answers item by item (all accepted by default). */
function collector(answer: (event: Wire) => Omit<IngestItemResult, "id"> = () => ({ status: "accepted" })) {
  const requests: Array<{ url: string; headers: Record<string, string>; events: Wire[] }> = [];
  const request: RequestFn = async (url, init) => {
    const sent = init.body ?? "";
    const raw = typeof sent === "string" ? Buffer.from(sent, "utf8") : Buffer.from(sent);
    // gunzipSync throws on a body that is not gzip, failing the test rather than guessing.
    const text = (init.headers["Content-Encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
    const events = (JSON.parse(text) as { events: Wire[] }).events;
    requests.push({ url, headers: init.headers, events });
    const results = events.map((e) => ({ id: e.id, ...answer(e) }));
    return { status: 200, headers: { get: () => null }, text: async () => JSON.stringify({ results }) };
  };
  return { request, requests, events: () => requests.flatMap((r) => r.events) };
}

/** Timers short enough that failures and retries happen within a few milliseconds. */
function client(request: RequestFn, extra: Partial<SeamtraceOptions> = {}): Seamtrace {
  return new Seamtrace({
    endpoint: "http://collector.test/",
    request,
    transport: { flushIntervalMs: 0, minBackoffMs: 1, maxBackoffMs: 2 },
    ...extra,
  });
}

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const ofType = <T>(events: Wire[], type: string) => events.filter((e) => e.type === type) as unknown as T[];

describe("telemetry never reaches user code", () => {
  // What each broken collector should count as: no answer (kept and retried), or a refusal
  // (dropped by reason, never retried).
  const broken: Array<[string, RequestFn, "retried" | "http_500"]> = [
    [
      "throws synchronously",
      () => {
        throw new TypeError("fetch failed");
      },
      "retried",
    ],
    ["returns a rejected promise", () => Promise.reject(new Error("ECONNRESET")), "retried"],
    ["returns a response without a status", async () => ({ headers: { get: () => null }, text: async () => "" }) as unknown as TransportResponse, "retried"],
    ["returns null", async () => null as unknown as TransportResponse, "retried"],
    [
      "returns a 500 whose headers and body cannot be read",
      async () =>
        ({
          status: 500,
          headers: null,
          text: () => {
            throw new Error("body");
          },
        }) as unknown as TransportResponse,
      "http_500",
    ],
  ];
  const hooks: Array<[string, boolean]> = [
    ["a quiet onError", false],
    ["an onError that itself throws", true],
  ];

  for (const [requestCase, failing, outcome] of broken) {
    for (const [hookCase, hookThrows] of hooks) {
      it(`completes the run when the request function ${requestCase}, with ${hookCase}`, async () => {
        let calls = 0;
        const request: RequestFn = (url, init) => {
          calls++;
          return failing(url, init);
        };
        const reported: unknown[] = [];
        const st = client(request, {
          onError: (err) => {
            reported.push(err);
            if (hookThrows) throw new Error("the diagnostics hook is broken too");
          },
        });
        const wf = st.workflow("claims", { version: "3" });
        const handles: Array<{ value: unknown }> = [];

        const result = await wf.run({ input: { claim: 7 }, key: "msg-7" }, async (run) => {
          const a = await run.step("extract", () => ({ value: { amount: 120 }, confidence: 0.9 }));
          handles.push(a);
          // Hold the run open until telemetry has failed twice (a first attempt and a retry),
          // so the failures happen while user code is running, not after it.
          const b = await run.step("wait-for-telemetry", { from: [a] }, async () => {
            await until(() => calls >= 2, "two failed requests");
            return { value: a.value.amount * 2, confidence: 0.8 };
          });
          handles.push(b);
          const c = await run.step("route", { from: [b] }, () => ({ value: b.value > 200 ? "review" : "auto" }));
          handles.push(c);
          return c.value;
        });

        expect(result).toMatchObject({ status: "completed", output: "review" });
        expect(result.failure).toBeUndefined();
        expect(handles.map((h) => h.value)).toEqual([{ amount: 120 }, 240, "review"]);
        expect(calls).toBeGreaterThanOrEqual(2);
        expect(reported.length).toBeGreaterThanOrEqual(2); // the hook did hear about it
        const stats = st.stats();
        expect(stats.lastError).toEqual(expect.any(String));
        if (outcome === "retried") {
          expect(stats.retries).toBeGreaterThanOrEqual(1);
          expect(stats.dropped).toEqual({});
        } else {
          expect(stats.retries).toBe(0);
          expect(Object.keys(stats.dropped)).toEqual([outcome]);
        }
        // Stopping does not reject either: it reports. (Nothing got through, by construction.)
        await expect(st.shutdown({ timeoutMs: 20 })).resolves.toMatchObject({ delivered: 0 });
        expect(st.stats().sent).toBe(0);
      });
    }
  }

  it("completes the run when a value cannot be serialised, dropping only that event", async () => {
    const c = collector();
    const st = client(c.request, { transport: { flushIntervalMs: 60_000 } });
    const circular: Record<string, unknown> = { name: "loop" };
    circular.self = circular;
    const result = await st.workflow("claims").run({ input: { n: 1 } }, async (run) => {
      const a = await run.step("a", () => ({ value: circular }));
      const b = await run.step("b", { from: [a] }, () => ({ value: 10n })); // BigInt: not JSON
      return (await run.step("c", { from: [b] }, () => ({ value: "ok" }))).value;
    });
    expect(result).toMatchObject({ status: "completed", output: "ok" });
    expect(await st.flush()).toEqual({ delivered: 3, undelivered: 2 });
    // The gap itself reaches the server, in the batch after the one the events were dropped from.
    await until(() => c.events().some((e) => e.type === "sdk.dropped"), "the drop report");
    expect(c.events().map((e) => e.type)).toEqual(["run.started", "step.completed", "run.completed", "sdk.dropped"]);
    expect(c.events()[3]).toMatchObject({ reason: "serialize_error", count: 2 });
    expect(st.stats().dropped).toEqual({ serialize_error: 2 });
    await st.shutdown();
  });
});

describe("what a run sends", () => {
  it("sends run.started, one step.completed per step with lineage, and run.completed, gzipped", async () => {
    const c = collector();
    const st = client(c.request, { transport: { flushIntervalMs: 60_000 } });
    const wf = st.workflow("claims", { version: "3" });
    const ids: Record<string, string> = {};

    const result = await wf.run({ input: { email: "e-1" }, key: "msg-1" }, async (run) => {
      const a = await run.step("extract", { input: { email: "e-1" } }, () => ({ value: { amount: 1200 }, confidence: 0.9 }));
      const b = await run.step("classify", { from: [a] }, async () => ({ value: "auto", confidence: 0.5 }));
      // Diamond: `a` reaches `reserve` directly and through `b`, and counts once.
      const r = await run.step("reserve", { from: [a, b] }, () => ({ value: 600, confidence: 0.8 }));
      Object.assign(ids, { a: a.stepId, b: b.stepId, r: r.stepId });
      return { reserve: r.value };
    });
    expect(result).toMatchObject({ status: "completed", output: { reserve: 600 } });
    expect(await st.flush()).toEqual({ delivered: 5, undelivered: 0 });

    expect(c.requests).toHaveLength(1);
    expect(c.requests[0]!.url).toBe("http://collector.test/v1/events");
    expect(c.requests[0]!.headers["Content-Encoding"]).toBe("gzip");
    const events = c.events();
    expect(events.map((e) => e.type)).toEqual(["run.started", "step.completed", "step.completed", "step.completed", "run.completed"]);
    const identity = { runId: result.runId, workflow: "claims", version: "3" };
    for (const e of events) expect(e).toMatchObject(identity);
    expect(events.every((e) => isUuid(e.id))).toBe(true);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

    const [started] = ofType<RunStartedEvent>(events, "run.started");
    expect(started).toMatchObject({ key: "msg-1", input: { email: "e-1" } });

    const steps = ofType<StepEvent>(events, "step.completed");
    expect(steps.map((s) => [s.step, s.stepId, s.parents])).toEqual([
      ["extract", ids.a, []],
      ["classify", ids.b, [ids.a]],
      ["reserve", ids.r, [ids.a, ids.b]],
    ]);
    expect(steps[0]).toMatchObject({ input: { email: "e-1" }, output: { amount: 1200 }, confidence: 0.9, attempt: 1 });
    expect(steps.map((s) => s.cumulative)).toEqual([0.9, expect.closeTo(0.45, 12), expect.closeTo(0.8 * 0.5 * 0.9, 12)]);

    const [completed] = ofType<RunEndedEvent>(events, "run.completed");
    expect(completed!.output).toEqual({ reserve: 600 });
    expect(completed!.error).toBeUndefined();
    await st.shutdown();
  });

  it("stops and explains when a step fails after its retries: step.failed, run.failed, status failed", async () => {
    const c = collector();
    const reported: unknown[] = [];
    const st = client(c.request, { transport: { flushIntervalMs: 60_000 }, onError: (err) => reported.push(err) });
    let attempts = 0;
    let downstreamRan = false;
    let failedStepId = "";

    const result = await st.workflow("claims", { version: "3" }).run({ input: 1 }, async (run) => {
      const a = await run.step("extract", () => ({ value: 1, confidence: 0.9 }));
      await run.step("charge", { from: [a], retry: { attempts: 3 } }, (ctx) => {
        attempts++;
        failedStepId = ctx.stepId;
        throw new TypeError(`card declined (attempt ${ctx.attempt})`);
      });
      downstreamRan = true;
      return "unreachable";
    });

    expect(attempts).toBe(3);
    expect(downstreamRan).toBe(false);
    expect(result).toEqual({
      status: "failed",
      runId: expect.any(String),
      failure: {
        step: "charge",
        stepId: failedStepId,
        attempts: 3,
        error: expect.objectContaining({ name: "TypeError", message: "card declined (attempt 3)" }),
      },
    });
    expect(result.output).toBeUndefined();

    await st.flush();
    const events = c.events();
    expect(events.map((e) => e.type)).toEqual(["run.started", "step.completed", "step.failed", "run.failed"]);
    const [failed] = ofType<StepEvent>(events, "step.failed");
    expect(failed).toMatchObject({ step: "charge", stepId: failedStepId, attempt: 3, error: { name: "TypeError", message: "card declined (attempt 3)" } });
    expect(failed!.attemptErrors!.map((e) => e.message)).toEqual(["card declined (attempt 1)", "card declined (attempt 2)"]);
    const [runFailed] = ofType<RunEndedEvent>(events, "run.failed");
    expect(runFailed).toMatchObject({ runId: result.runId, stepId: failedStepId, error: { message: "card declined (attempt 3)" } });
    // The diagnostics hook is for telemetry problems, not for the user's own errors.
    expect(reported).toEqual([]);
    await st.shutdown();
  });

  it("records a returned step handle's value as the run output, not the handle", async () => {
    const c = collector();
    const st = client(c.request, { transport: { flushIntervalMs: 60_000 } });
    const result = await st.workflow("claims").run({}, async (run) => {
      const a = await run.step("extract", () => ({ value: { amount: 5 }, confidence: 0.7 }));
      return run.step("route", { from: [a] }, () => ({ value: { queue: "auto" }, confidence: 0.9 }));
    });
    expect(result.status).toBe("completed");
    expect(result.output!.value).toEqual({ queue: "auto" }); // the caller still gets its handle
    await st.flush();
    const [completed] = ofType<RunEndedEvent>(c.events(), "run.completed");
    // Exactly the value: no name, stepId, confidence or lineage riding along.
    expect(completed!.output).toEqual({ queue: "auto" });
    await st.shutdown();
  });
});

describe("shutdown and stats", () => {
  it("returns at the shutdown deadline when the collector never answers, and reports what was lost", async () => {
    const signals: AbortSignal[] = [];
    const never: RequestFn = (_url, init) => {
      signals.push(init.signal!);
      return new Promise<never>(() => {}); // ignores its signal, as a careless fetch wrapper might
    };
    const st = new Seamtrace({ endpoint: "http://collector.test", request: never, transport: { flushIntervalMs: 60_000 } });
    const result = await st.workflow("claims").run({ input: 1 }, async (run) => {
      const a = await run.step("a", () => ({ value: 1 }));
      return (await run.step("b", { from: [a] }, () => ({ value: 2 }))).value;
    });
    expect(result).toMatchObject({ status: "completed", output: 2 });

    const started = performance.now();
    const down = await st.shutdown({ timeoutMs: 200 });
    const elapsed = performance.now() - started;

    expect(elapsed).toBeGreaterThanOrEqual(190); // it did wait for the collector, up to the deadline
    expect(elapsed).toBeLessThan(200 + 300);
    expect(down).toEqual({ delivered: 0, undelivered: 4, undeliveredByReason: { shutdown: 4 }, dropped: { shutdown: 4 }, timedOut: true });
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(true); // the hung request is abandoned, not left running
    expect(st.stats()).toMatchObject({ buffered: 0, sent: 0, droppedTotal: 4 });
    // Idempotent: a second call is the same answer, not a second wait.
    expect(await st.shutdown({ timeoutMs: 200 })).toBe(down);
    // And the host keeps working after it: runs complete, their events are counted as dropped.
    const after = await st.workflow("claims").run({}, async (run) => (await run.step("a", () => ({ value: "x" }))).value);
    expect(after).toMatchObject({ status: "completed", output: "x" });
    expect(st.stats().dropped).toEqual({ shutdown: 7 });
  });

  it("counts sent, duplicate and rejected items and batches after each flush", async () => {
    let rejectNext = false;
    const c = collector((e) => {
      if (!rejectNext || e.type === "run.started") return { status: "accepted" };
      if (e.type === "step.completed") return { status: "duplicate" };
      return { status: "rejected", code: "invalid_event", message: "no" };
    });
    const st = client(c.request, { transport: { flushIntervalMs: 60_000 } });
    const wf = st.workflow("claims");
    const twoSteps = async () =>
      wf.run({ input: 1 }, async (run) => {
        const a = await run.step("a", () => ({ value: 1 }));
        return (await run.step("b", { from: [a] }, () => ({ value: 2 }))).value;
      });

    await twoSteps();
    expect(st.stats().buffered).toBe(4);
    expect(await st.flush()).toEqual({ delivered: 4, undelivered: 0 });
    expect(st.stats()).toEqual({
      buffered: 0,
      sent: 4,
      duplicates: 0,
      rejected: 0,
      rejectedByCode: {},
      dropped: {},
      droppedTotal: 0,
      batches: 1,
      retries: 0,
    });

    rejectNext = true;
    await twoSteps();
    // run.started accepted, two step.completed duplicates (delivered), run.completed rejected.
    expect(await st.flush()).toEqual({ delivered: 3, undelivered: 1 });
    expect(st.stats()).toEqual({
      buffered: 0,
      sent: 5,
      duplicates: 2,
      rejected: 1,
      rejectedByCode: { invalid_event: 1 },
      dropped: {},
      droppedTotal: 0,
      batches: 2,
      retries: 0,
      lastError: expect.stringContaining("invalid_event"),
    });
    expect(c.requests).toHaveLength(2);
    await st.shutdown();
  });
});

describe("durable resume never hurts the host", () => {
  it("starts a fresh run when the server's run-state answer is not a run state, or the server is down", async () => {
    const odd: RequestFn = async (_url, init) =>
      init.method === "GET"
        ? { status: 200, headers: { get: () => null }, text: async () => '{"policies":[],"unexpected":true}' }
        : { status: 200, headers: { get: () => null }, text: async () => '{"results":[]}' };
    const errors: unknown[] = [];
    const st = new Seamtrace({ endpoint: "http://collector.test", apiKey: "st_test", request: odd, onError: (e) => errors.push(e) });
    const r = await st.workflow("w").run({ key: "k-1" }, async (run) => (await run.step("a", () => ({ value: 1, confidence: 1 }))).value);
    expect(r).toMatchObject({ status: "completed", output: 1 });
    expect(errors.some((e) => String(e).includes("unexpected shape"))).toBe(true);

    const down: RequestFn = async () => {
      throw new Error("ECONNREFUSED");
    };
    const st2 = new Seamtrace({ endpoint: "http://collector.test", apiKey: "st_test", request: down });
    const r2 = await st2.workflow("w").run({ runId: "0190a000-0000-7000-8000-0000000000aa" }, async (run) => (await run.step("a", () => ({ value: 2 }))).value);
    expect(r2).toMatchObject({ status: "completed", output: 2, runId: "0190a000-0000-7000-8000-0000000000aa" });
    await Promise.all([st.shutdown({ timeoutMs: 100 }), st2.shutdown({ timeoutMs: 100 })]);
  });
});

describe("a simulated clock", () => {
  it("stamps run and step events with the time the now option gives, so past traffic can be replayed", async () => {
    const c = collector();
    const past = Date.UTC(2025, 2, 3, 9, 30);
    let t = past;
    const st = client(c.request, { now: () => t });
    const wf = st.workflow("clocked", { version: "2" });
    await wf.run({ input: 1 }, async (run) => {
      t += 1_000;
      const a = await run.step("a", async () => {
        t += 250;
        return { value: 1, confidence: 0.9 };
      });
      return a.value;
    });
    await st.flush();
    const started = ofType<RunStartedEvent>(c.events(), "run.started")[0]!;
    const step = ofType<StepEvent>(c.events(), "step.completed")[0]!;
    const ended = ofType<RunEndedEvent>(c.events(), "run.completed")[0]!;
    expect(started.time).toBe(new Date(past).toISOString());
    expect(step.startedAt).toBe(new Date(past + 1_000).toISOString());
    expect(step.time).toBe(new Date(past + 1_250).toISOString());
    expect(step.durationMs).toBe(250);
    expect(ended.time).toBe(new Date(past + 1_250).toISOString());
    await st.shutdown();
  });
});
