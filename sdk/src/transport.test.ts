import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { Transport, type RequestFn, type TransportOptions } from "./transport.js";
import type { DroppedEvent, SeamtraceEvent } from "./types.js";
import { isUuid } from "./uuid.js";

// ---------------------------------------------------------------------------------------------
// An in-process collector: decodes every request (so an invalid gzip body fails the test) and
// answers with whatever the test's reply function says.

interface Req {
  n: number;
  at: number;
  url: string;
  headers: Record<string, string>;
  raw: Uint8Array | string;
  text: string;
  events: Array<Record<string, unknown>>;
}
type Reply = { status: number; body?: string; headers?: Record<string, string> } | "throw" | "hang";

function collector(reply: (req: Req) => Reply | Promise<Reply> = () => ({ status: 200 })) {
  const requests: Req[] = [];
  const answered: Req[] = []; // requests answered 2xx
  const request: RequestFn = async (url, init) => {
    const gzipped = init.headers["Content-Encoding"] === "gzip";
    const sent = init.body ?? "";
    const bytes = typeof sent === "string" ? Buffer.from(sent, "utf8") : Buffer.from(sent);
    const text = (gzipped ? gunzipSync(bytes) : bytes).toString("utf8");
    const req: Req = {
      n: requests.length + 1,
      at: Date.now(),
      url,
      headers: init.headers,
      raw: init.body ?? "",
      text,
      events: (JSON.parse(text) as { events: Array<Record<string, unknown>> }).events,
    };
    requests.push(req);
    const r = await reply(req);
    if (r === "throw") throw new TypeError("fetch failed");
    if (r === "hang") return new Promise<never>(() => {});
    const ok = r.status >= 200 && r.status < 300;
    if (ok) answered.push(req);
    const body =
      r.body ??
      (ok
        ? JSON.stringify({ results: req.events.map((e) => ({ id: e.id, status: "accepted" })) })
        : JSON.stringify({ error: { code: "nope", message: "refused" } }));
    const headers = r.headers ?? {};
    return { status: r.status, headers: { get: (name) => headers[name.toLowerCase()] ?? null }, text: async () => body };
  };
  const ids = (reqs: Req[]) => reqs.flatMap((r) => r.events.filter((e) => e.type !== "sdk.dropped").map((e) => e.id));
  const reports = () => answered.flatMap((r) => r.events.filter((e) => e.type === "sdk.dropped")) as unknown as DroppedEvent[];
  return { request, requests, answered, ids, reports };
}

let seq = 0;
function event(input: unknown = { n: seq }): SeamtraceEvent {
  seq++;
  return {
    id: `evt-${String(seq).padStart(6, "0")}`,
    type: "run.started",
    time: "2025-01-01T00:00:00.000Z",
    runId: "run-1",
    workflow: "claims",
    version: "3",
    input,
  };
}

/** Short timers, so retries take milliseconds. */
function fast(request: RequestFn, extra: Partial<TransportOptions> = {}): TransportOptions {
  return { endpoint: "http://collector.test/", request, minBackoffMs: 1, maxBackoffMs: 2, flushIntervalMs: 5, ...extra };
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 2));
  }
}

// ---------------------------------------------------------------------------------------------

describe("retries", () => {
  it("retries a batch answered 429, 502, 503 or 504, and never one answered any other 400–599", async () => {
    const retried: number[] = [];
    for (let status = 400; status <= 599; status++) {
      const c = collector((req) => (req.n === 1 ? { status } : { status: 200 }));
      const t = new Transport(fast(c.request));
      const e = event();
      t.enqueue(e);
      await t.flush();
      await t.shutdown();
      const attempts = c.requests.filter((r) => r.events.some((x) => x.id === e.id)).length;
      const stats = t.stats();
      if (attempts > 1) {
        retried.push(status);
        expect(attempts, `status ${status}`).toBe(2);
        expect(stats.retries).toBe(1);
        expect(c.ids(c.answered)).toEqual([e.id]);
      } else {
        const reason = status === 413 ? "too_large" : `http_${status}`;
        expect(stats.retries, `status ${status}`).toBe(0);
        expect(stats.dropped[reason], `status ${status}`).toBe(1);
        // The gap is on record at the server.
        expect(c.reports()).toEqual([expect.objectContaining({ reason, count: 1 })]);
      }
    }
    expect(retried).toEqual([429, 502, 503, 504]);
  });

  it("waits at least Retry-After delta-seconds before the next attempt", async () => {
    const c = collector((req) => (req.n === 1 ? { status: 503, headers: { "retry-after": "1" } } : { status: 200 }));
    const t = new Transport(fast(c.request));
    t.enqueue(event());
    expect(await t.flush()).toEqual({ delivered: 1, undelivered: 0 });
    expect(c.requests).toHaveLength(2);
    // Backoff alone is at most 2 ms here; the timer may fire a hair early against Date.now().
    expect(c.requests[1]!.at - c.requests[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it("waits until a Retry-After HTTP date before the next attempt", async () => {
    const retryAt = Math.ceil(Date.now() / 1000) * 1000 + 1000; // whole seconds: HTTP dates have no ms
    const c = collector((req) => (req.n === 1 ? { status: 429, headers: { "retry-after": new Date(retryAt).toUTCString() } } : { status: 200 }));
    const t = new Transport(fast(c.request));
    t.enqueue(event());
    expect(await t.flush()).toEqual({ delivered: 1, undelivered: 0 });
    expect(c.requests).toHaveLength(2);
    expect(c.requests[1]!.at).toBeGreaterThanOrEqual(retryAt - 10);
    expect(c.requests[1]!.at).toBeLessThan(retryAt + 500);
  });

  it("delivers each event exactly once after a network error", async () => {
    const c = collector((req) => (req.n === 1 ? "throw" : { status: 200 }));
    const t = new Transport(fast(c.request));
    const events = [event(), event(), event(), event(), event()];
    for (const e of events) t.enqueue(e);
    expect(await t.flush()).toEqual({ delivered: 5, undelivered: 0 });
    await t.shutdown();
    expect(c.requests).toHaveLength(2);
    expect(c.ids(c.answered)).toEqual(events.map((e) => e.id));
    expect(t.stats()).toMatchObject({ sent: 5, retries: 1, droppedTotal: 0, batches: 2 });
    expect(t.stats().lastError).toBe("fetch failed");
  });

  it("aborts a request that exceeds requestTimeoutMs and retries it like a network error", async () => {
    const signals: AbortSignal[] = [];
    const c = collector((req) => (req.n === 1 ? "hang" : { status: 200 }));
    const request: RequestFn = (url, init) => {
      signals.push(init.signal!);
      return c.request(url, init);
    };
    const t = new Transport(fast(request, { requestTimeoutMs: 50 }));
    const e = event();
    t.enqueue(e);
    expect(await t.flush()).toEqual({ delivered: 1, undelivered: 0 });
    expect(signals[0]!.aborted).toBe(true);
    expect(c.ids(c.answered)).toEqual([e.id]);
    expect(t.stats().lastError).toMatch(/timed out/);
  });

  it("keeps order across retries while new events arrive during the outage", async () => {
    let up = false;
    const c = collector(() => (up ? { status: 200 } : { status: 503 }));
    const t = new Transport(fast(c.request, { maxBatchEvents: 3, maxBackoffMs: 5 }));
    const events: SeamtraceEvent[] = [];
    for (let wave = 0; wave < 4; wave++) {
      for (let i = 0; i < 4; i++) {
        const e = event();
        events.push(e);
        t.enqueue(e);
      }
      await until(() => c.requests.length > wave * 2);
    }
    up = true;
    expect(await t.flush()).toEqual({ delivered: 16, undelivered: 0 });
    expect(c.ids(c.answered)).toEqual(events.map((e) => e.id));
    expect(t.stats().retries).toBeGreaterThan(0);
  });
});

describe("per-item answers", () => {
  it("never retries items a 207 rejected, and counts accepted and duplicate as delivered", async () => {
    const statuses = ["accepted", "duplicate", "rejected", "rejected"];
    const c = collector((req) => ({
      status: 207,
      body: JSON.stringify({
        results: req.events.map((e, i) => ({ id: e.id, status: statuses[i], code: "invalid_event", message: "bad" })),
      }),
    }));
    const t = new Transport(fast(c.request));
    for (let i = 0; i < 4; i++) t.enqueue(event());
    expect(await t.flush()).toEqual({ delivered: 2, undelivered: 2 });
    await t.shutdown();
    expect(c.requests).toHaveLength(1);
    expect(t.stats()).toMatchObject({
      sent: 1,
      duplicates: 1,
      rejected: 2,
      rejectedByCode: { invalid_event: 2 },
      retries: 0,
      droppedTotal: 0,
      buffered: 0,
    });
    expect(t.stats().lastError).toMatch(/rejected: invalid_event: bad/);
  });

  it("takes a conflict (the id is stored, with other content) as delivered: never retried, counted with the duplicates", async () => {
    const c = collector((req) => ({
      status: 207,
      body: JSON.stringify({ results: req.events.map((e, i) => ({ id: e.id, status: i === 0 ? "conflict" : "accepted" })) }),
    }));
    const t = new Transport(fast(c.request));
    t.enqueue(event());
    t.enqueue(event());
    expect(await t.flush()).toEqual({ delivered: 2, undelivered: 0 });
    await t.shutdown();
    expect(c.requests).toHaveLength(1);
    expect(t.stats()).toMatchObject({ sent: 1, duplicates: 1, rejected: 0, retries: 0 });
  });

  it("matches results by id when the answer is not in request order", async () => {
    const c = collector((req) => ({
      status: 207,
      body: JSON.stringify({
        results: [...req.events].reverse().map((e, i) => ({ id: e.id, status: i === 0 ? "rejected" : "accepted" })),
      }),
    }));
    const t = new Transport(fast(c.request));
    const events = [event(), event(), event()];
    for (const e of events) t.enqueue(e);
    await t.flush();
    expect(t.stats()).toMatchObject({ sent: 2, rejected: 1, rejectedByCode: { unknown: 1 } });
  });

  it("counts a 2xx whose body cannot be parsed as delivered", async () => {
    const c = collector(() => ({ status: 200, body: "<html>ok</html>" }));
    const t = new Transport(fast(c.request));
    t.enqueue(event());
    t.enqueue(event());
    expect(await t.flush()).toEqual({ delivered: 2, undelivered: 0 });
    expect(t.stats()).toMatchObject({ sent: 2, rejected: 0, retries: 0 });
  });
});

describe("bounded buffer and drop reports", () => {
  it("drops past maxBufferEvents with reason buffer_full and reports the exact count to the server", async () => {
    let up = false;
    const c = collector(() => (up ? { status: 200 } : { status: 503 }));
    const t = new Transport(fast(c.request, { maxBufferEvents: 10, maxBackoffMs: 5 }));
    const kept = Array.from({ length: 10 }, () => event());
    for (const e of kept) t.enqueue(e);
    await until(() => c.requests.length >= 2); // the server is down and the batch is in flight
    for (let i = 0; i < 7; i++) t.enqueue(event());
    expect(t.stats()).toMatchObject({ buffered: 10, dropped: { buffer_full: 7 }, droppedTotal: 7 });
    up = true;
    expect(await t.flush()).toEqual({ delivered: 10, undelivered: 0 });
    await t.shutdown();
    expect(c.ids(c.answered)).toEqual(kept.map((e) => e.id));
    const reports = c.reports();
    expect(reports).toHaveLength(1); // coalesced: one report per reason
    expect(reports[0]).toMatchObject({ type: "sdk.dropped", reason: "buffer_full", count: 7 });
    expect(isUuid(reports[0]!.id)).toBe(true);
    expect(reports[0]!.id[14]).toBe("7");
    expect(Date.parse(reports[0]!.from)).toBeLessThanOrEqual(Date.parse(reports[0]!.to));
  });

  it("does not report the loss of its own drop reports", async () => {
    const c = collector(() => ({ status: 400 }));
    const t = new Transport(fast(c.request));
    t.enqueue(event());
    await t.flush();
    await t.shutdown();
    // The event's batch, then the report of its loss (also refused), then nothing more.
    expect(c.requests.map((r) => r.events.map((e) => e.type))).toEqual([["run.started"], ["sdk.dropped"]]);
    expect(t.stats().dropped).toEqual({ http_400: 2 });
  });

  it("sends drop reports even when no other event follows", async () => {
    const c = collector();
    const t = new Transport(fast(c.request, { maxBufferEvents: 1 }));
    t.enqueue(event());
    t.enqueue(event());
    await until(() => c.reports().length > 0);
    expect(c.reports()).toEqual([expect.objectContaining({ reason: "buffer_full", count: 1 })]);
    await t.shutdown();
  });
});

describe("shutdown", () => {
  const cases: Array<[string, Reply, Partial<TransportOptions>]> = [
    ["rejects", "throw", { maxBackoffMs: 20 }],
    ["never answers", "hang", {}],
    ["answers 503 and backoff outlasts the deadline", { status: 503 }, { minBackoffMs: 500, maxBackoffMs: 30_000 }],
  ];
  for (const [name, reply, extra] of cases) {
    it(`returns within timeoutMs and counts every undelivered event when the server ${name}`, async () => {
      const c = collector(() => reply);
      const t = new Transport(fast(c.request, { maxBatchEvents: 10, ...extra }));
      for (let i = 0; i < 25; i++) t.enqueue(event());
      const start = performance.now();
      const result = await t.shutdown({ timeoutMs: 300 });
      const elapsed = performance.now() - start;
      expect(elapsed).toBeLessThan(300 + 150);
      expect(result).toMatchObject({ delivered: 0, undelivered: 25, undeliveredByReason: { shutdown: 25 }, dropped: { shutdown: 25 }, timedOut: true });
      expect(t.stats()).toMatchObject({ buffered: 0, droppedTotal: 25 });
      expect(c.requests.length).toBeGreaterThan(0);
    });
  }

  it("gives up at once when the next retry could only come after the deadline", async () => {
    const c = collector(() => ({ status: 503, headers: { "retry-after": "60" } }));
    const t = new Transport(fast(c.request));
    for (let i = 0; i < 3; i++) t.enqueue(event());
    const start = performance.now();
    const result = await t.shutdown({ timeoutMs: 2000 });
    expect(performance.now() - start).toBeLessThan(200);
    expect(result).toMatchObject({ undelivered: 3, dropped: { shutdown: 3 }, timedOut: true });
    expect(c.requests).toHaveLength(1);
  });

  it("aborts the request in flight at the deadline", async () => {
    const signals: AbortSignal[] = [];
    const t = new Transport(
      fast((_url, init) => {
        signals.push(init.signal!);
        return new Promise<never>(() => {});
      }),
    );
    t.enqueue(event());
    await t.shutdown({ timeoutMs: 50 });
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(true);
  });

  it("keeps retrying until the deadline when backoff allows", async () => {
    const c = collector(() => "throw");
    const t = new Transport(fast(c.request, { maxBackoffMs: 10 }));
    t.enqueue(event());
    const start = performance.now();
    await t.shutdown({ timeoutMs: 300 });
    expect(performance.now() - start).toBeGreaterThanOrEqual(250);
    expect(c.requests.length).toBeGreaterThan(5);
  });

  it("drains everything when the server is up, and is idempotent", async () => {
    const c = collector();
    const t = new Transport(fast(c.request, { flushIntervalMs: 60_000 }));
    for (let i = 0; i < 1200; i++) t.enqueue(event());
    const first = t.shutdown();
    expect(t.shutdown({ timeoutMs: 1 })).toBe(first);
    expect(await first).toEqual({ delivered: 1200, undelivered: 0, undeliveredByReason: {}, dropped: {}, timedOut: false });
  });

  it("drops events enqueued after shutdown with reason shutdown, without reporting them", async () => {
    const c = collector();
    const t = new Transport(fast(c.request));
    await t.shutdown();
    t.enqueue(event());
    expect(t.stats()).toMatchObject({ buffered: 0, dropped: { shutdown: 1 } });
    expect(await t.flush()).toEqual({ delivered: 0, undelivered: 0 });
    expect(c.requests).toHaveLength(0);
  });
});

describe("flush", () => {
  it("resolves at its timeout while the server is down and leaves the events buffered", async () => {
    const c = collector(() => ({ status: 503 }));
    const t = new Transport(fast(c.request, { maxBackoffMs: 10 }));
    t.enqueue(event());
    t.enqueue(event());
    const start = performance.now();
    expect(await t.flush({ timeoutMs: 100 })).toEqual({ delivered: 0, undelivered: 2 });
    expect(performance.now() - start).toBeLessThan(250);
    expect(t.stats().buffered).toBe(2);
    await t.shutdown({ timeoutMs: 0 });
  });

  it("never sends from inside enqueue, even when a batch is full", async () => {
    const c = collector();
    const t = new Transport(fast(c.request, { maxBatchEvents: 2, flushIntervalMs: 60_000, gzip: false }));
    for (let i = 0; i < 5; i++) t.enqueue(event());
    expect(c.requests).toHaveLength(0);
    // A full batch goes on the next turn of the event loop, without waiting for the interval.
    await until(() => c.answered.length > 0, 500);
    await t.shutdown();
  });

  it("sends on the flush interval without being asked", async () => {
    const c = collector();
    const t = new Transport(fast(c.request, { flushIntervalMs: 20 }));
    t.enqueue(event());
    await until(() => c.answered.length === 1);
    expect(t.stats()).toMatchObject({ sent: 1, buffered: 0 });
  });
});

describe("never throws into the host", () => {
  it("survives a request function that throws synchronously, and an onError that throws", async () => {
    const errors: unknown[] = [];
    const t = new Transport({
      endpoint: "http://collector.test",
      request: () => {
        throw new Error("boom");
      },
      minBackoffMs: 1,
      maxBackoffMs: 2,
      onError: (err) => {
        errors.push(err);
        throw new Error("hook failed");
      },
    });
    expect(() => t.enqueue(event())).not.toThrow();
    await expect(t.flush({ timeoutMs: 50 })).resolves.toEqual({ delivered: 0, undelivered: 1 });
    await expect(t.shutdown({ timeoutMs: 50 })).resolves.toMatchObject({ undelivered: 1, timedOut: true });
    expect(errors.length).toBeGreaterThan(0);
    expect(t.stats().lastError).toBe("boom");
  });

  it("survives a request function that resolves to garbage", async () => {
    const t = new Transport(fast((async () => undefined) as unknown as RequestFn));
    t.enqueue(event());
    await expect(t.flush({ timeoutMs: 50 })).resolves.toEqual({ delivered: 0, undelivered: 1 });
    await expect(t.shutdown({ timeoutMs: 20 })).resolves.toMatchObject({ undelivered: 1 });
  });

  it("drops an unserialisable event with reason serialize_error and delivers the rest", async () => {
    const c = collector();
    const t = new Transport(fast(c.request));
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const good = [event(), event()];
    t.enqueue(good[0]!);
    expect(() => t.enqueue(event(circular))).not.toThrow();
    expect(() => t.enqueue(event({ big: 10n }))).not.toThrow();
    expect(() => t.enqueue(undefined as unknown as SeamtraceEvent)).not.toThrow();
    t.enqueue(good[1]!);
    expect(await t.flush()).toEqual({ delivered: 2, undelivered: 3 });
    await t.shutdown();
    expect(c.ids(c.answered)).toEqual(good.map((e) => e.id));
    expect(t.stats().dropped).toEqual({ serialize_error: 3 });
    expect(c.reports()).toEqual([expect.objectContaining({ reason: "serialize_error", count: 3 })]);
  });
});

describe("batches", () => {
  it("sends 1,200 events as 500, 500 and 200, gzipped, in order, with the right headers", async () => {
    const c = collector();
    const t = new Transport(fast(c.request, { apiKey: "st_test", flushIntervalMs: 60_000 }));
    const events = Array.from({ length: 1200 }, () => event());
    for (const e of events) t.enqueue(e);
    expect(await t.flush()).toEqual({ delivered: 1200, undelivered: 0 });
    expect(c.requests.map((r) => r.events.length)).toEqual([500, 500, 200]);
    for (const r of c.requests) {
      expect(r.url).toBe("http://collector.test/v1/events");
      expect(r.headers).toEqual({
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        Authorization: "Bearer st_test",
      });
      const raw = r.raw as Uint8Array;
      expect([raw[0], raw[1]]).toEqual([0x1f, 0x8b]); // gzip magic
    }
    const decoded = c.requests.flatMap((r) => (JSON.parse(gunzipSync(r.raw as Uint8Array).toString()) as { events: unknown[] }).events);
    expect(decoded).toEqual(events);
  });

  it("splits by UTF-8 bytes so no body exceeds maxBatchBytes", async () => {
    const c = collector();
    const t = new Transport(fast(c.request, { flushIntervalMs: 60_000 }));
    // 200,000 two-byte characters: 400 kB each, though only 200,000 UTF-16 units.
    const events = Array.from({ length: 7 }, () => event("é".repeat(200_000)));
    for (const e of events) t.enqueue(e);
    expect(await t.flush()).toEqual({ delivered: 7, undelivered: 0 });
    expect(c.requests.map((r) => r.events.length)).toEqual([2, 2, 2, 1]);
    for (const r of c.requests) expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(1_000_000);
    expect(c.ids(c.requests)).toEqual(events.map((e) => e.id));
  });

  it("sends an event bigger than maxBatchBytes on its own", async () => {
    const c = collector();
    const t = new Transport(fast(c.request, { maxBatchBytes: 1000 }));
    const events = [event(), event("x".repeat(5000)), event()];
    for (const e of events) t.enqueue(e);
    expect(await t.flush()).toEqual({ delivered: 3, undelivered: 0 });
    expect(c.requests.map((r) => r.events.length)).toEqual([1, 1, 1]);
  });

  it("sends a plain JSON body when gzip is off", async () => {
    const c = collector();
    const t = new Transport(fast(c.request, { gzip: false }));
    t.enqueue(event());
    await t.flush();
    expect(typeof c.requests[0]!.raw).toBe("string");
    expect(c.requests[0]!.headers["Content-Encoding"]).toBeUndefined();
  });

  it("halves a batch answered 413 until the halves fit, keeping order", async () => {
    const c = collector((req) => (req.events.length > 2 ? { status: 413 } : { status: 200 }));
    const t = new Transport(fast(c.request, { flushIntervalMs: 60_000 }));
    const events = Array.from({ length: 8 }, () => event());
    for (const e of events) t.enqueue(e);
    expect(await t.flush()).toEqual({ delivered: 8, undelivered: 0 });
    expect(c.requests.map((r) => r.events.length)).toEqual([8, 4, 2, 2, 4, 2, 2]);
    expect(c.ids(c.answered)).toEqual(events.map((e) => e.id));
    expect(t.stats()).toMatchObject({ sent: 8, retries: 0, droppedTotal: 0 });
  });

  it("drops a single event still answered 413 as too_large", async () => {
    const c = collector((req) => (req.events.some((e) => e.input === "huge") ? { status: 413 } : { status: 200 }));
    const t = new Transport(fast(c.request));
    const events = [event(), event("huge"), event()];
    for (const e of events) t.enqueue(e);
    expect(await t.flush()).toEqual({ delivered: 2, undelivered: 1 });
    await t.shutdown();
    expect(t.stats().dropped).toEqual({ too_large: 1 });
    expect(c.ids(c.answered)).toEqual([events[0]!.id, events[2]!.id]);
    expect(c.reports()).toEqual([expect.objectContaining({ reason: "too_large", count: 1 })]);
  });
});

describe("deferred events", () => {
  it("builds the wire form with toWire() at flush time, not at enqueue", async () => {
    const c = collector();
    const t = new Transport(fast(c.request, { flushIntervalMs: 60_000 }));
    let calls = 0;
    const wire = event();
    t.enqueue({
      toWire: () => {
        calls++;
        return wire;
      },
    });
    expect(calls).toBe(0);
    expect(await t.flush()).toEqual({ delivered: 1, undelivered: 0 });
    expect(calls).toBe(1);
    expect(c.requests[0]!.events).toEqual([wire]);
  });

  it("drops a deferred event whose toWire() throws with reason serialize_error", async () => {
    const c = collector();
    const t = new Transport(fast(c.request));
    const good = event();
    t.enqueue({
      toWire: () => {
        throw new Error("snapshot broken");
      },
    });
    t.enqueue(good);
    expect(await t.flush()).toEqual({ delivered: 1, undelivered: 1 });
    expect(t.stats()).toMatchObject({ dropped: { serialize_error: 1 }, lastError: "snapshot broken" });
    expect(c.ids(c.answered)).toEqual([good.id]);
  });
});

describe("stats", () => {
  it("returns a fresh copy each time", async () => {
    const t = new Transport(fast(collector().request, { maxBufferEvents: 1 }));
    t.enqueue(event());
    t.enqueue(event());
    const a = t.stats();
    a.dropped.buffer_full = 99;
    a.buffered = 99;
    expect(t.stats()).toMatchObject({ buffered: 1, dropped: { buffer_full: 1 } });
    expect(t.stats()).not.toBe(t.stats());
    await t.shutdown();
  });
});
