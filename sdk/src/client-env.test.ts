// `new Seamtrace()` takes its endpoint and key from SEAMTRACE_ENDPOINT and SEAMTRACE_API_KEY when
// the options are absent, and says once when it has neither.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Seamtrace } from "./client.js";
import type { RequestFn } from "./transport-types.js";
import type { SeamtraceEvent } from "./types.js";

const saved = { endpoint: process.env.SEAMTRACE_ENDPOINT, key: process.env.SEAMTRACE_API_KEY };
beforeEach(() => {
  delete process.env.SEAMTRACE_ENDPOINT;
  delete process.env.SEAMTRACE_API_KEY;
});
afterEach(() => {
  for (const [name, value] of [
    ["SEAMTRACE_ENDPOINT", saved.endpoint],
    ["SEAMTRACE_API_KEY", saved.key],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** Records where each request went and with which key. */
function recorder() {
  const calls: Array<{ url: string; auth: string | undefined }> = [];
  const request: RequestFn = async (url, init) => {
    calls.push({ url, auth: init.headers.Authorization });
    const text =
      init.method === "POST"
        ? JSON.stringify({ results: (JSON.parse(String(init.body)) as { events: SeamtraceEvent[] }).events.map((e) => ({ id: e.id, status: "accepted" })) })
        : '{"policies":[]}';
    return { status: init.method === "POST" ? 200 : 404, headers: { get: () => null }, text: async () => text };
  };
  return { calls, request };
}

async function oneRun(st: Seamtrace): Promise<void> {
  await st.workflow("w").run({}, async (run) => (await run.step("a", () => ({ value: 1, confidence: 0.9 }))).value);
  await st.shutdown();
}

describe("configuration from the environment", () => {
  it("uses SEAMTRACE_ENDPOINT and SEAMTRACE_API_KEY when the options are absent", async () => {
    process.env.SEAMTRACE_ENDPOINT = "http://from-env.test:9000/";
    process.env.SEAMTRACE_API_KEY = "st_fromenv";
    const { calls, request } = recorder();
    const lines: string[] = [];
    await oneRun(new Seamtrace({ request, logger: { warn: (l) => lines.push(l) }, transport: { gzip: false } }));
    const post = calls.find((c) => c.url.endsWith("/v1/events"));
    expect(post).toEqual({ url: "http://from-env.test:9000/v1/events", auth: "Bearer st_fromenv" });
    // With a key, the client also asks for the server's policies.
    expect(calls.some((c) => c.url === "http://from-env.test:9000/v1/policies")).toBe(true);
    expect(lines).toEqual([]);
  });

  it("lets the options win over the environment", async () => {
    process.env.SEAMTRACE_ENDPOINT = "http://from-env.test:9000";
    process.env.SEAMTRACE_API_KEY = "st_fromenv";
    const { calls, request } = recorder();
    await oneRun(new Seamtrace({ endpoint: "http://given.test", apiKey: "st_given", request, logger: false, transport: { gzip: false } }));
    expect(calls.find((c) => c.url.endsWith("/v1/events"))).toEqual({ url: "http://given.test/v1/events", auth: "Bearer st_given" });
  });

  it("says once, through the logger, when neither an endpoint nor a key is set", async () => {
    const { calls, request } = recorder();
    const lines: string[] = [];
    const st = new Seamtrace({ request, logger: { warn: (l) => lines.push(l) }, transport: { gzip: false } });
    await oneRun(st);
    expect(calls[0]!.url).toBe("http://localhost:7077/v1/events");
    expect(lines).toEqual([
      "[seamtrace] no endpoint or API key is set, so events go to http://localhost:7077 without a key. Set SEAMTRACE_ENDPOINT and SEAMTRACE_API_KEY, or pass endpoint and apiKey.",
    ]);
    // An endpoint alone is a choice (a collector without keys behind a proxy, a test): no word.
    process.env.SEAMTRACE_ENDPOINT = "http://from-env.test";
    const quiet: string[] = [];
    await oneRun(new Seamtrace({ request, logger: { warn: (l) => quiet.push(l) }, transport: { gzip: false } }));
    expect(quiet).toEqual([]);
  });

  it("works where there is no process (browsers, edge runtimes) and where reading it throws", async () => {
    const { calls, request } = recorder();
    const real = globalThis.process;
    let st: Seamtrace;
    try {
      (globalThis as { process?: unknown }).process = undefined;
      st = new Seamtrace({ request, logger: false, transport: { gzip: false } });
      (globalThis as { process?: unknown }).process = {
        get env(): never {
          throw new Error("PermissionDenied: requires env access");
        },
      };
      void new Seamtrace({ request, logger: false, transport: { gzip: false } }).shutdown();
    } finally {
      globalThis.process = real;
    }
    await oneRun(st);
    expect(calls[0]!.url).toBe("http://localhost:7077/v1/events");
  });
});
