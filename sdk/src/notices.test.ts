// Telling the developer: a wrong key, a dead collector and lost events each give one line (per
// cause, never per event) to the logger and one SeamtraceNotice to onError; the shutdown report
// adds it all up. Nothing of it ever throws into user code.
import { afterEach, describe, expect, it, vi } from "vitest";
import { Seamtrace, type SeamtraceOptions } from "./client.js";
import { SeamtraceNotice } from "./notices.js";
import type { RequestFn, TransportResponse } from "./transport-types.js";
import type { SeamtraceEvent } from "./types.js";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const answer = (status: number, body: unknown): TransportResponse => ({ status, headers: { get: () => null }, text: async () => JSON.stringify(body) });
const events = (init: Parameters<RequestFn>[1]) =>
  (JSON.parse(typeof init.body === "string" ? init.body : new TextDecoder().decode(init.body)) as { events: SeamtraceEvent[] }).events;
const accept: RequestFn = async (_url, init) => answer(200, { results: events(init).map((e) => ({ id: e.id, status: "accepted" })) });

/** A client whose logger and onError are recorded. */
function client(request: RequestFn, extra: Partial<SeamtraceOptions> = {}) {
  const lines: string[] = [];
  const errors: unknown[] = [];
  const st = new Seamtrace({
    endpoint: "http://collector.test",
    request,
    logger: { warn: (line) => lines.push(line) },
    onError: (e) => errors.push(e),
    transport: { gzip: false, flushIntervalMs: 60_000, maxBatchEvents: 3 },
    ...extra,
  });
  const notices = () => errors.filter((e): e is SeamtraceNotice => e instanceof SeamtraceNotice);
  return { st, lines, errors, notices };
}

async function runs(st: Seamtrace, n: number): Promise<void> {
  const wf = st.workflow("claims");
  for (let i = 0; i < n; i++) {
    const r = await wf.run({ input: i }, async (run) => (await run.step("a", () => ({ value: i, confidence: 0.9 }))).value);
    expect(r.status).toBe("completed"); // never the host's problem
  }
}

describe("a refused API key", () => {
  it("is told once, however many batches and calls are refused, and the report says nothing was delivered", async () => {
    let calls = 0;
    const refuse: RequestFn = async () => (calls++, answer(401, { error: { code: "unauthorized", message: "invalid API key" } }));
    const c = client(refuse, { apiKey: "st_wrong" });
    await runs(c.st, 5); // 15 events: 5 batches, plus policy and run-state calls
    await c.st.flush();
    expect(calls).toBeGreaterThan(5);
    expect(c.lines).toHaveLength(1);
    expect(c.lines[0]).toMatch(/^\[seamtrace\] the collector at http:\/\/collector\.test refused the API key \(401/);
    expect(c.lines[0]).toContain("SEAMTRACE_API_KEY");
    expect(c.notices().map((n) => n.code)).toEqual(["auth_failed"]);
    const report = await c.st.shutdown();
    expect(report).toMatchObject({ delivered: 0, undelivered: 15, undeliveredByReason: { http_401: 15 }, timedOut: false });
    expect(report.lastError).toContain("401");
    expect(c.lines).toHaveLength(1); // the drops it caused are not told twice
  });

  it("says the key is missing when none was given", async () => {
    const c = client(async () => answer(403, { error: { code: "forbidden", message: "no key" } }));
    await runs(c.st, 1);
    await c.st.shutdown();
    expect(c.lines).toHaveLength(1);
    expect(c.lines[0]).toMatch(/no API key is set, and the collector at http:\/\/collector\.test requires one \(403: forbidden: no key\)/);
  });
});

describe("a collector that cannot be reached", () => {
  it("is told once past the grace period, its return is told, and a later outage is told again", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: 0 });
    let down = true;
    const request: RequestFn = async (url, init) => {
      if (down) throw new TypeError("fetch failed");
      return init.method === "GET" ? answer(200, { status: "ok" }) : accept(url, init);
    };
    const c = client(request, { transport: { gzip: false, flushIntervalMs: 100, random: () => 0.5 } });
    await runs(c.st, 1);
    await vi.advanceTimersByTimeAsync(9_000);
    expect(c.lines).toEqual([]); // within the grace period: a blip is not worth a line
    await vi.advanceTimersByTimeAsync(60_000);
    expect(c.lines).toHaveLength(1);
    expect(c.lines[0]).toMatch(
      /^\[seamtrace\] cannot deliver events to http:\/\/collector\.test\/v1\/events for 1\d s \(last error: fetch failed\); 3 events wait, retrying\.$/,
    );
    down = false;
    await vi.advanceTimersByTimeAsync(2_000); // the probe finds it back within ~1 s, whatever the backoff
    expect(c.st.stats()).toMatchObject({ sent: 3, buffered: 0 });
    expect(c.lines[1]).toMatch(/delivering to http:\/\/collector\.test\/v1\/events again after \d+ s\.$/);
    down = true;
    await runs(c.st, 1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(c.lines).toHaveLength(3);
    expect(c.lines[2]).toContain("cannot deliver events");
    expect(c.notices().map((n) => n.code)).toEqual(["unreachable", "recovered", "unreachable"]);
    void c.st.shutdown({ timeoutMs: 0 });
  });

  it("takes its grace period from transport.unreachableGraceMs, and counts 5xx answers as failing delivery", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: 0 });
    const c = client(async () => answer(503, { error: { code: "unavailable", message: "store busy" } }), {
      transport: { gzip: false, flushIntervalMs: 100, unreachableGraceMs: 2_000, random: () => 0.5 },
    });
    await runs(c.st, 1);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(c.lines).toEqual([]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(c.lines).toHaveLength(1);
    expect(c.lines[0]).toContain("503: unavailable: store busy");
    void c.st.shutdown({ timeoutMs: 0 });
  });
});

describe("lost events", () => {
  it("tells the first drop of each reason once, and the report counts them all", async () => {
    const c = client(() => new Promise<never>(() => {}), { transport: { gzip: false, flushIntervalMs: 60_000, maxBufferEvents: 4 } });
    await runs(c.st, 4); // 12 events into a buffer of 4
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await c.st.workflow("w").run({}, async (run) => {
      await run.step("a", () => ({ value: circular })); // unserialisable, twice: never serialised while the buffer is full
      await run.step("b", () => ({ value: circular }));
    });
    expect(c.lines).toHaveLength(1);
    expect(c.lines[0]).toMatch(/^\[seamtrace\] dropping events: 4 events wait in memory and the collector is not taking them/);
    const report = await c.st.shutdown({ timeoutMs: 10 });
    expect(report.undeliveredByReason).toEqual({ buffer_full: 12, shutdown: 4 });
    expect(report).toMatchObject({ delivered: 0, undelivered: 16, timedOut: true });
    // The shutdown's leftovers get one line of their own.
    expect(c.lines).toHaveLength(2);
    expect(c.lines[1]).toMatch(/4 events were not delivered within shutdown's 10 ms; last error: /);
    expect(c.notices().map((n) => n.code)).toEqual(["dropped", "dropped"]);
  });

  it("tells an unserialisable event, and each rejection code, once", async () => {
    let n = 0;
    const picky: RequestFn = async (_url, init) =>
      answer(207, {
        results: events(init).map((e) =>
          e.type === "step.completed" && n++ % 2 === 0
            ? { id: e.id, status: "rejected", code: "invalid_event", message: "bad step" }
            : { id: e.id, status: "accepted" },
        ),
      });
    const c = client(picky);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await runs(c.st, 4);
    await c.st.workflow("w").run({}, async (run) => {
      await run.step("a", () => ({ value: circular }));
      await run.step("b", () => ({ value: circular }));
    });
    const report = await c.st.shutdown();
    expect(c.lines).toHaveLength(2);
    expect(c.lines.find((l) => l.includes("rejected"))).toBe(
      "[seamtrace] the collector rejected an event (invalid_event: bad step); later rejections are counted in stats().rejectedByCode.",
    );
    expect(c.lines.find((l) => l.includes("dropping"))).toMatch(/dropping events: serialize_error; last error: .*circular/i);
    expect(report.undeliveredByReason).toEqual({ "rejected:invalid_event": 2, serialize_error: 2 });
    expect(report.delivered).toBe(12 + 2 - 2);
  });
});

describe("the logger", () => {
  it("is the console by default, and false silences it", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const loud = new Seamtrace({ endpoint: "http://collector.test", request: async () => answer(401, {}), transport: { gzip: false } });
    await runs(loud, 1);
    await loud.shutdown();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain("[seamtrace] no API key is set");
    const quiet = new Seamtrace({ endpoint: "http://collector.test", request: async () => answer(401, {}), logger: false, transport: { gzip: false } });
    await runs(quiet, 1);
    await quiet.shutdown();
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it("may throw, as may onError: the host never sees it", async () => {
    const st = new Seamtrace({
      endpoint: "http://collector.test",
      request: async () => answer(401, {}),
      logger: {
        warn: () => {
          throw new Error("logger down");
        },
      },
      onError: () => {
        throw new Error("hook down");
      },
      transport: { gzip: false, maxBufferEvents: 1 },
    });
    await runs(st, 3);
    await expect(st.shutdown()).resolves.toMatchObject({ delivered: 0 });
  });
});
