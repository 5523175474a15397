import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../../server/test-support/testing.js";

/**
 * Every route that takes a body, taken from the app's own route table, against every limit:
 * bytes (declared, chunked without a length, and after decompression), string length,
 * nesting depth, media type. A new body route fails here until it is listed, so none can ship
 * without its limits.
 */

const MAX_BYTES = 4096;
const MAX_STRING = 64;
const MAX_DEPTH = 8;

/** Routes that never read a body: whatever is sent is ignored, so there is nothing to limit. */
const BODYLESS = new Set(["POST /v1/auth/logout", "POST /v1/escalations/:id/claim", "POST /v1/audit/verifications", "POST /v1/jobs/:name/run"]);
/** The ingest route checks string length and depth per event (a 207 with per-item rejections). */
const PER_ITEM = new Set(["POST /v1/events", "POST /v1/labels", "POST /v1/traces", "POST /v1/logs"]);
/** Routes taking API keys only; the others are called as a signed-in admin. */
const KEY_ONLY = new Set(["POST /v1/events", "POST /v1/labels", "POST /v1/traces", "POST /v1/logs", "POST /v1/escalations/:id/judgement"]);

let ctx: TestContext;
let key: string;
let cookie: string;
let routes: string[];

beforeAll(async () => {
  ctx = await createTestContext({
    SEAMTRACE_MAX_BODY_BYTES: String(MAX_BYTES),
    // OTLP has a limit of its own (20 MiB by default); held to the same here.
    SEAMTRACE_OTLP_MAX_BODY_BYTES: String(MAX_BYTES),
    SEAMTRACE_MAX_STRING_LENGTH: String(MAX_STRING),
    SEAMTRACE_MAX_DEPTH: String(MAX_DEPTH),
  });
  const project = await ctx.newProject();
  key = project.key;
  cookie = (await ctx.newUser(project.projectId, "admin")).cookie;
  routes = [...new Set(ctx.app.routes.filter((r) => ["POST", "PUT", "PATCH"].includes(r.method)).map((r) => `${r.method} ${r.path}`))].filter(
    (r) => !BODYLESS.has(r),
  );
});
afterAll(() => ctx.close());

function send(route: string, body: NonNullable<RequestInit["body"]>, headers: Record<string, string> = {}) {
  const [method, pattern] = route.split(" ") as [string, string];
  const path = pattern.replace(/:[a-z]+/g, "0190f0f0-0000-7000-8000-000000000001");
  const auth: Record<string, string> = KEY_ONLY.has(route) ? { authorization: `Bearer ${key}` } : { cookie, "sec-fetch-site": "same-origin" };
  return ctx.app.request(path, { method, headers: { "content-type": "application/json", ...auth, ...headers }, body, duplex: "half" } as RequestInit);
}

async function expectError(res: Response, status: number, code: string | RegExp) {
  const body = (await res
    .clone()
    .json()
    .catch(() => null)) as { error?: { code: string } } | null;
  expect(`${res.status} ${body?.error?.code}`, res.url).toBe(`${status} ${body?.error?.code}`);
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  const json = (await res.json()) as { error: { code: string; message: string } };
  expect(json.error.code).toMatch(code);
  expect(json.error.message).toEqual(expect.any(String));
}

const padded = (bytes: number) => JSON.stringify({ pad: "x".repeat(bytes) });
const deep = (levels: number) => "[".repeat(levels) + "]".repeat(levels);

describe("body limits on every route that takes one", () => {
  it("covers the routes the app mounts (a new one must be classified here)", () => {
    expect(routes.length).toBeGreaterThanOrEqual(9);
    for (const r of routes) expect(r).toMatch(/^(POST|PUT|PATCH) \/v1\//);
  });

  it("answers 413 for a declared length over the limit", async () => {
    for (const r of routes) await expectError(await send(r, padded(MAX_BYTES * 2)), 413, "payload_too_large");
  });

  it("answers 413 for a chunked body with no length that runs past the limit", async () => {
    for (const r of routes) {
      const chunk = new TextEncoder().encode("x".repeat(1024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ > 64) controller.close();
          else controller.enqueue(chunk);
        },
      });
      await expectError(await send(r, stream), 413, "payload_too_large");
      // The server stopped reading soon after the limit, not at the end of the stream.
      expect(sent).toBeLessThan(32);
    }
  });

  it("answers 413 for a gzip bomb, counted after decompression", async () => {
    const bomb = gzipSync(Buffer.from(padded(1024 * 1024)));
    expect(bomb.length).toBeLessThan(MAX_BYTES);
    for (const r of routes) await expectError(await send(r, bomb, { "content-encoding": "gzip" }), 413, "payload_too_large");
  });

  it("answers 400 for broken gzip and 415 for an unknown encoding or a non-JSON media type", async () => {
    for (const r of routes) {
      await expectError(await send(r, "not gzip at all", { "content-encoding": "gzip" }), 400, "invalid_encoding");
      await expectError(await send(r, "{}", { "content-encoding": "br" }), 415, "unsupported_encoding");
      await expectError(await send(r, "a=1", { "content-type": "application/x-www-form-urlencoded" }), 415, /unsupported_media_type/);
    }
  });

  it("answers 400 for a string longer than the limit and for nesting deeper than it", async () => {
    for (const r of routes.filter((r) => !PER_ITEM.has(r))) {
      await expectError(await send(r, JSON.stringify({ reason: "x".repeat(MAX_STRING + 1) })), 400, "string_too_long");
      await expectError(await send(r, `{"a":${deep(MAX_DEPTH + 1)}}`), 400, "too_deep");
    }
  });

  it("answers 400 invalid_json for a body that is not JSON, and never 5xx", async () => {
    for (const r of routes) {
      await expectError(await send(r, "{not json"), 400, /invalid_json|invalid_body/);
      await expectError(await send(r, ""), 400, /invalid_json|invalid_body/);
    }
  });
});
