// The policy client against an injected collector: each test decides what
// `GET /v1/policies` answers — policies, 304, an error, nothing — and reads what was asked.
import { runHostScript, type HostScriptResult } from "../../test/support/host-script.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Seamtrace } from "./client.js";
import { PolicyClient, type PolicyClientOptions, type PolicyOrigin } from "./policy-client.js";
import type { RequestFn, TransportResponse } from "./transport-types.js";
import type { PolicyRule, ServedPolicy } from "./types.js";

type Mode = "up" | "down" | "500" | "garbage" | "hang";

const response = (status: number, text: string, etag?: string): TransportResponse => ({
  status,
  headers: { get: (name: string) => (name.toLowerCase() === "etag" ? (etag ?? null) : null) },
  text: async () => text,
});

/** A collector holding a policy list; its ETag changes with every `set`. */
function collector(initial: Array<Partial<ServedPolicy> & { workflow: string; step: string | null }> = []) {
  let policies = initial;
  let version = 1;
  let mode: Mode = "up";
  const calls: Array<{ url: string; method: string; headers: Record<string, string>; status?: number }> = [];
  const request: RequestFn = async (url, init) => {
    const call: (typeof calls)[number] = { url, method: init.method, headers: { ...init.headers } };
    calls.push(call);
    const answer = (): TransportResponse | Promise<TransportResponse> => {
      const etag = `"v${version}"`;
      switch (mode) {
        case "down":
          throw new TypeError("fetch failed");
        case "hang":
          return new Promise<TransportResponse>(() => {});
        case "500":
          return response(500, JSON.stringify({ error: { code: "internal", message: "boom" } }));
        case "garbage":
          return response(200, "<html>proxy error</html>", '"garbage"');
        default:
          if (init.headers["If-None-Match"] === etag) return response(304, "", etag);
          return response(200, JSON.stringify({ policies }), etag);
      }
    };
    const res = await answer();
    call.status = res.status;
    return res;
  };
  return {
    request,
    calls,
    set(next: typeof policies) {
      policies = next;
      version++;
    },
    mode(next: Mode) {
      mode = next;
    },
  };
}

const served = (workflow: string, step: string | null, rule: PolicyRule): ServedPolicy => ({
  workflow,
  step,
  ...rule,
  revision: 1,
  updatedAt: "2026-01-01T00:00:00.000Z",
});

const clients: PolicyClient[] = [];
function client(request: RequestFn, extra: Partial<PolicyClientOptions> = {}): PolicyClient {
  const c = new PolicyClient({ endpoint: "http://collector.test/", apiKey: "st_test", request, ...extra });
  clients.push(c);
  return c;
}
afterEach(() => {
  for (const c of clients.splice(0)) c.stop();
  vi.useRealTimers();
});

async function loaded(server: ReturnType<typeof collector>, extra: Partial<PolicyClientOptions> = {}): Promise<PolicyClient> {
  const c = client(server.request, extra);
  expect(await c.ready(1000)).toBe(true);
  return c;
}

describe("ruleFor: server step > server workflow > code step > code workflow, field by field", () => {
  const CODE: PolicyRule = { minConfidence: 0.5, minCumulative: 0.4, onLow: "escalate", spotCheckRate: 0.01 };
  type Case = [
    string,
    { serverStep?: PolicyRule; serverWorkflow?: PolicyRule; codeStep?: PolicyRule; code?: PolicyRule },
    PolicyRule,
    Partial<Record<keyof PolicyRule, PolicyOrigin>>,
    "server" | "code" | "mixed",
  ];
  const cases: Case[] = [
    ["code only", { code: CODE }, CODE, { minConfidence: "code", minCumulative: "code", onLow: "code", spotCheckRate: "code" }, "code"],
    [
      "code step over code workflow",
      { code: CODE, codeStep: { minConfidence: 0.7 } },
      { ...CODE, minConfidence: 0.7 },
      { minConfidence: "code-step", minCumulative: "code", onLow: "code", spotCheckRate: "code" },
      "code",
    ],
    [
      "a server policy setting only minConfidence inherits the rest from code",
      { serverWorkflow: { minConfidence: 0.9 }, code: CODE },
      { ...CODE, minConfidence: 0.9 },
      { minConfidence: "server-workflow", minCumulative: "code", onLow: "code", spotCheckRate: "code" },
      "mixed",
    ],
    [
      "server workflow over code step",
      { serverWorkflow: { onLow: "flag" }, codeStep: { onLow: "escalate" } },
      { onLow: "flag" },
      { onLow: "server-workflow" },
      "server",
    ],
    [
      "server step over server workflow",
      { serverStep: { minConfidence: 0.95 }, serverWorkflow: { minConfidence: 0.9, onLow: "flag" } },
      { minConfidence: 0.95, onLow: "flag" },
      { minConfidence: "server-step", onLow: "server-workflow" },
      "server",
    ],
    [
      "each field from a different layer",
      { serverStep: { minCumulative: 0.3 }, serverWorkflow: { minConfidence: 0.9 }, codeStep: { onLow: "flag" }, code: { spotCheckRate: 0.2 } },
      { minCumulative: 0.3, minConfidence: 0.9, onLow: "flag", spotCheckRate: 0.2 },
      { minCumulative: "server-step", minConfidence: "server-workflow", onLow: "code-step", spotCheckRate: "code" },
      "mixed",
    ],
    [
      "all four layers set the field: the server step wins",
      { serverStep: { minConfidence: 0.1 }, serverWorkflow: { minConfidence: 0.2 }, codeStep: { minConfidence: 0.3 }, code: { minConfidence: 0.4 } },
      { minConfidence: 0.1 },
      { minConfidence: "server-step" },
      "server",
    ],
    ["nothing anywhere", {}, {}, {}, "code"],
  ];

  it.each(cases)("%s", async (_name, layers, rule, from, source) => {
    const policies: ServedPolicy[] = [];
    if (layers.serverWorkflow) policies.push(served("claims", null, layers.serverWorkflow));
    if (layers.serverStep) policies.push(served("claims", "extract", layers.serverStep));
    const c = await loaded(collector(policies));
    const resolved = c.ruleFor("claims", "extract", layers.code, layers.codeStep);
    expect(resolved).toEqual({ ...rule, from, source });
  });

  it("applies a step policy only to its step and a workflow policy only to its workflow", async () => {
    const c = await loaded(collector([served("claims", "extract", { minConfidence: 0.9 }), served("other", null, { onLow: "flag" })]));
    expect(c.ruleFor("claims", "route", { minConfidence: 0.5 })).toEqual({ minConfidence: 0.5, from: { minConfidence: "code" }, source: "code" });
    expect(c.ruleFor("claims", "extract", { onLow: "escalate" }).onLow).toBe("escalate");
  });

  it("ignores server values outside the wire contract and falls back to code for them", async () => {
    const c = await loaded(
      collector([
        { workflow: "claims", step: null, minConfidence: 2, onLow: "stop" as "flag", spotCheckRate: 0.5 },
        { workflow: "claims", step: 7 as unknown as string, minConfidence: 0.99 },
        null as unknown as ServedPolicy,
      ]),
    );
    expect(c.ruleFor("claims", "extract", { minConfidence: 0.5, onLow: "escalate" })).toEqual({
      minConfidence: 0.5,
      onLow: "escalate",
      spotCheckRate: 0.5,
      from: { minConfidence: "code", onLow: "code", spotCheckRate: "server-workflow" },
      source: "mixed",
    });
  });

  it("never throws, whatever it is handed", async () => {
    const c = client(collector().request);
    expect(() => c.ruleFor("claims", "x", null as unknown as PolicyRule, "nonsense" as unknown as PolicyRule)).not.toThrow();
    expect(c.ruleFor("claims", "x", null as unknown as PolicyRule).source).toBe("code");
  });
});

describe("fetching", () => {
  it("GETs /v1/policies with the key, then revalidates with If-None-Match and keeps the cache on 304", async () => {
    const server = collector([served("claims", null, { minConfidence: 0.9 })]);
    const c = await loaded(server);
    expect(await c.refresh()).toBe(true);
    expect(server.calls.map((call) => [call.method, call.url, call.headers.Authorization, call.headers["If-None-Match"], call.status])).toEqual([
      ["GET", "http://collector.test/v1/policies", "Bearer st_test", undefined, 200],
      ["GET", "http://collector.test/v1/policies", "Bearer st_test", '"v1"', 304],
    ]);
    expect(c.ruleFor("claims", "a").minConfidence).toBe(0.9);
  });

  it("takes a changed policy list (200) with its new ETag", async () => {
    const server = collector([served("claims", null, { minConfidence: 0.9 })]);
    const c = await loaded(server);
    server.set([served("claims", null, { minConfidence: 0.7 })]);
    await c.refresh();
    expect(c.ruleFor("claims", "a").minConfidence).toBe(0.7);
    await c.refresh();
    expect(server.calls.map((call) => call.status)).toEqual([200, 200, 304]);
    expect(server.calls[2]!.headers["If-None-Match"]).toBe('"v2"');
  });

  it("falls back to the code policy when the server policy is removed", async () => {
    const server = collector([served("claims", "extract", { minConfidence: 0.9, onLow: "flag" })]);
    const c = await loaded(server);
    expect(c.ruleFor("claims", "extract", { minConfidence: 0.5 }).source).toBe("server");
    server.set([]);
    await c.refresh();
    expect(c.ruleFor("claims", "extract", { minConfidence: 0.5 })).toEqual({ minConfidence: 0.5, from: { minConfidence: "code" }, source: "code" });
  });

  it("uses the code policy when the server was never reached, and reports why", async () => {
    const server = collector([served("claims", null, { minConfidence: 0.9 })]);
    server.mode("down");
    const errors: unknown[] = [];
    const c = client(server.request, { onError: (e) => errors.push(e) });
    expect(await c.ready(1000)).toBe(false);
    expect(c.ruleFor("claims", "a", { minConfidence: 0.5 }).minConfidence).toBe(0.5);
    expect(String(errors[0])).toContain("fetch failed");
    server.mode("up");
    expect(await c.refresh()).toBe(true);
    expect(c.ruleFor("claims", "a", { minConfidence: 0.5 }).minConfidence).toBe(0.9);
  });

  it.each<[Mode, string]>([
    ["down", "fetch failed"],
    ["500", "answered 500: internal: boom"],
    ["garbage", "JSON"],
  ])("keeps the last good policies when the server is %s", async (mode, reported) => {
    const server = collector([served("claims", null, { minConfidence: 0.9 })]);
    const errors: unknown[] = [];
    const c = await loaded(server, { onError: (e) => errors.push(e) });
    server.mode(mode);
    expect(await c.refresh()).toBe(false);
    expect(c.ruleFor("claims", "a", { minConfidence: 0.5 }).minConfidence).toBe(0.9);
    expect(String(errors[0])).toContain(reported);
    // A garbage answer's ETag must not be kept either: the next request revalidates the good list.
    server.mode("up");
    await c.refresh();
    expect(server.calls.at(-1)!.headers["If-None-Match"]).toBe('"v1"');
  });

  it("never throws into the host, whatever the request function or the hook does", async () => {
    const broken: RequestFn[] = [
      () => {
        throw new Error("sync");
      },
      async () => ({ headers: { get: () => null }, text: async () => "" }) as unknown as TransportResponse,
      async () => ({
        status: 200,
        headers: {
          get: () => {
            throw new Error("headers");
          },
        },
        text: async () => '{"policies":[]}',
      }),
      async () => ({ status: 200, headers: { get: () => null }, text: () => Promise.reject(new Error("body")) }),
      async () => null as unknown as TransportResponse,
    ];
    for (const request of broken) {
      const c = client(request, {
        onError: () => {
          throw new Error("hook");
        },
      });
      c.start();
      expect(await c.ready(1000)).toBe(false);
      expect(await c.refresh()).toBe(false);
      expect(c.ruleFor("w", "s", { minConfidence: 0.5 }).minConfidence).toBe(0.5);
    }
  });

  it("gives up on a request that does not answer within requestTimeoutMs", async () => {
    const server = collector();
    server.mode("hang");
    const errors: unknown[] = [];
    const c = client(server.request, { requestTimeoutMs: 30, onError: (e) => errors.push(e) });
    const started = Date.now();
    expect(await c.refresh()).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(String(errors[0])).toContain("timed out");
  });

  it("joins a refresh already in flight instead of sending another", async () => {
    const server = collector();
    const c = client(server.request);
    await Promise.all([c.refresh(), c.refresh(), c.refresh()]);
    expect(server.calls).toHaveLength(1);
  });
});

describe("background refresh", () => {
  it("fetches at start and then every refreshMs (default 30 s), never while a fetch is in flight", async () => {
    vi.useFakeTimers();
    const server = collector();
    const c = client(server.request);
    c.start();
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(server.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(server.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.calls).toHaveLength(2);
    // A hanging request holds the next poll back until it times out (10 s), then 30 s more.
    server.mode("hang");
    await vi.advanceTimersByTimeAsync(30_000);
    expect(server.calls).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(39_999);
    expect(server.calls).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.calls).toHaveLength(4);
  });

  it("honours refreshMs and stops for good at stop()", async () => {
    vi.useFakeTimers();
    const server = collector();
    const c = client(server.request, { refreshMs: 5000 });
    c.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(server.calls).toHaveLength(3);
    c.stop();
    c.stop();
    c.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.calls).toHaveLength(3);
  });

  it("ready() resolves at the first answer, or false once its timeout passes", async () => {
    const server = collector();
    server.mode("hang");
    const c = client(server.request);
    const started = Date.now();
    expect(await c.ready(50)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
    c.stop();
    // Once stopped, ready() has nothing to wait for.
    expect(await c.ready(60_000)).toBe(false);
  });
});

describe("Seamtrace wiring", () => {
  it("makes a started policy client when it has an API key", async () => {
    const server = collector([served("claims", null, { minConfidence: 0.9 })]);
    const st = new Seamtrace({ endpoint: "http://collector.test", apiKey: "st_test", request: server.request });
    expect(await st.policies!.ready(1000)).toBe(true);
    expect(st.policies!.ruleFor("claims", "x").minConfidence).toBe(0.9);
    expect(server.calls.map((call) => [call.method, call.url])).toEqual([["GET", "http://collector.test/v1/policies"]]);
    await st.shutdown({ timeoutMs: 100 });
  });

  it("stops refreshing at shutdown", async () => {
    vi.useFakeTimers();
    const server = collector();
    const st = new Seamtrace({ endpoint: "http://collector.test", apiKey: "st_test", request: server.request });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(server.calls).toHaveLength(2);
    await st.shutdown({ timeoutMs: 100 });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.calls).toHaveLength(2);
  });

  it("makes none without an API key, and sends no policy request", async () => {
    const server = collector();
    const st = new Seamtrace({ endpoint: "http://collector.test", request: server.request });
    expect(st.policies).toBeUndefined();
    await new Promise((r) => setTimeout(r, 20));
    expect(server.calls).toHaveLength(0);
    await st.shutdown({ timeoutMs: 100 });
  });
});

// Only a real child process can tell whether the event loop would have exited.
describe("policy client in a host process", () => {
  const moduleUrl = new URL("./policy-client.ts", import.meta.url).href;

  function runScript(body: string, killAfterMs?: number): Promise<HostScriptResult> {
    const script = `
      import { PolicyClient } from ${JSON.stringify(moduleUrl)};
      const ok = async () => ({ status: 200, headers: { get: () => '"v1"' }, text: async () => '{"policies":[]}' });
      const hang = () => new Promise(() => {});
      ${body}
    `;
    return runHostScript(script, killAfterMs);
  }

  it("lets the process exit with the refresh timer armed", async () => {
    const r = await runScript(`
      const c = new PolicyClient({ endpoint: "http://x", apiKey: "k", request: ok, refreshMs: 60000 });
      console.log(await c.ready(5000));
    `);
    expect(r.out).toContain("true");
    expect(r.code).toBe(0);
    expect(r.lingerMs).toBeLessThan(5000); // a ref'd 60 s timer would hold it for a minute
  });

  it("lets the process exit while a policy request hangs (its timeout timer is unref'd)", async () => {
    const r = await runScript(`
      const c = new PolicyClient({ endpoint: "http://x", apiKey: "k", request: hang, requestTimeoutMs: 60000 });
      c.start();
    `);
    expect(r.code).toBe(0);
    expect(r.lingerMs).toBeLessThan(5000);
  });

  it("holds the process for an awaited ready() until its timeout", async () => {
    const r = await runScript(`
      const c = new PolicyClient({ endpoint: "http://x", apiKey: "k", request: hang, requestTimeoutMs: 60000 });
      console.log("ready:" + (await c.ready(300)));
    `);
    // Exit code 13 would mean Node quit with the awaited ready() still unsettled.
    expect(r.out).toContain("ready:false");
    expect(r.code).toBe(0);
  });
});
