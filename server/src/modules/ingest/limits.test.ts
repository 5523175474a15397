import { Readable } from "node:stream";
import { createGzip, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { counts, postEvents, runStarted, stepEvent } from "../../../test-support/events-fixtures.js";

// The ingest limits at their defaults: 1,000 events, 5 MB after decompression, 1 Mi characters
// per string, depth 32.
const MB5 = 5 * 1024 * 1024;

let ctx: TestContext;
let key: string;
let projectId: string;
let bomb: Buffer; // 1 GiB of zeros, gzip-compressed to ~1 MB
beforeAll(async () => {
  ctx = await createTestContext();
  ({ key, projectId } = await ctx.newProject());
  const zeros = Buffer.alloc(1 << 20);
  const parts: Buffer[] = [];
  const gz = Readable.from(
    (function* () {
      for (let i = 0; i < 1024; i++) yield zeros;
    })(),
  ).pipe(createGzip({ level: 9 }));
  for await (const c of gz) parts.push(c as Buffer);
  bomb = Buffer.concat(parts);
});
afterAll(() => ctx.close());

/** A body streamed in chunks with no Content-Length; `pulled()` tells how much was read. */
function chunked(data: Uint8Array, chunkSize = 64 * 1024) {
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        if (offset >= data.byteLength) return c.close();
        const end = Math.min(offset + chunkSize, data.byteLength);
        c.enqueue(data.subarray(offset, end));
        offset = end;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => offset };
}

/** A valid batch whose JSON is larger than `bytes`. */
function bigBatch(bytes: number): string {
  const perEvent = Math.ceil(bytes / 8);
  return JSON.stringify({ events: Array.from({ length: 8 }, () => runStarted({ input: "x".repeat(Math.min(perEvent, 1_000_000)) })) }).padEnd(bytes + 1, " ");
}

describe("POST /v1/events: batch and body limits", () => {
  it("returns 413 too_many_events for more than 1,000 events, and stores none", async () => {
    const res = await postEvents(ctx, key, { events: Array.from({ length: 1001 }, () => runStarted()) });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: "too_many_events", details: { maxBatchEvents: 1000 } });
    expect((await counts(ctx, projectId)).events).toBe(0);
  });

  it("accepts exactly 1,000 events", async () => {
    const { key: k, projectId: p } = await ctx.newProject();
    const res = await postEvents(ctx, k, { events: Array.from({ length: 1000 }, () => runStarted()) });
    expect(res.status).toBe(200);
    expect((await counts(ctx, p)).events).toBe(1000);
  });

  it("returns 413 when the body exceeds 5 MB", async () => {
    const res = await postEvents(ctx, key, bigBatch(MB5));
    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe("payload_too_large");
  });

  it("returns 413 for a declared Content-Length over 5 MB without reading the body", async () => {
    const { stream, pulled } = chunked(Buffer.from(bigBatch(MB5)));
    const res = await postEvents(ctx, key, stream, { headers: { "content-length": String(MB5 + 1) } });
    expect(res.status).toBe(413);
    expect(pulled()).toBe(0);
  });

  it("returns 413 for a chunked body over 5 MB with no Content-Length, reading little past the limit", async () => {
    const data = Buffer.from(bigBatch(3 * MB5));
    const { stream, pulled } = chunked(data);
    const res = await postEvents(ctx, key, stream);
    expect(res.status).toBe(413);
    expect(pulled()).toBeLessThan(MB5 + 2 * 1024 * 1024);
  });

  it("returns 413 for a gzip body that inflates past 5 MB", async () => {
    const compressed = gzipSync(bigBatch(MB5));
    expect(compressed.byteLength).toBeLessThan(MB5);
    const res = await postEvents(ctx, key, compressed, { headers: { "content-encoding": "gzip" } });
    expect(res.status).toBe(413);
  });

  it("returns 413 for a gzip bomb (1 GiB of zeros) after reading a small part of it", async () => {
    const { stream, pulled } = chunked(bomb, 16 * 1024);
    const res = await postEvents(ctx, key, stream, { headers: { "content-encoding": "gzip" } });
    expect(res.status).toBe(413);
    // 5 MB of output needs ~5 KB of this input: reading stopped almost at once, with at most
    // the cap in memory, instead of inflating the whole gigabyte.
    expect(pulled()).toBeLessThan(bomb.byteLength / 10);
  });

  it("accepts a gzip body within the limit", async () => {
    const { key: k, projectId: p } = await ctx.newProject();
    const res = await postEvents(ctx, k, gzipSync(JSON.stringify({ events: [runStarted()] })), { headers: { "content-encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect((await counts(ctx, p)).events).toBe(1);
  });

  it.each([
    ["corrupt gzip", Buffer.from('{"events":[]}'), { "content-encoding": "gzip" }, 400, "invalid_encoding"],
    ["invalid JSON", '{"events": [', {}, 400, "invalid_json"],
    ["an unsupported encoding", Buffer.from("{}"), { "content-encoding": "br" }, 415, "unsupported_encoding"],
  ] as const)("answers %s with %i %s", async (_, body, headers, status, code) => {
    const res = await postEvents(ctx, key, body, { headers });
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ code, message: expect.any(String) });
  });

  it("authenticates before reading the body", async () => {
    const { stream, pulled } = chunked(bomb);
    const res = await postEvents(ctx, null, stream, { headers: { "content-encoding": "gzip" } });
    expect(res.status).toBe(401);
    expect(pulled()).toBe(0);
  });
});

describe("POST /v1/events: per-item limits", () => {
  it("rejects only the item holding a string longer than the limit", async () => {
    const { key: k, projectId: p } = await ctx.newProject();
    const long = runStarted({ input: { text: "x".repeat(1024 * 1024 + 1) } });
    const ok = runStarted();
    const res = await postEvents(ctx, k, { events: [long, ok] });
    expect(res.status).toBe(207);
    expect(res.body.results).toEqual([
      { id: long.id, status: "rejected", code: "string_too_long", message: expect.any(String) },
      { id: ok.id, status: "accepted" },
    ]);
    expect(await counts(ctx, p)).toEqual({ events: 1, runs: 1, steps: 0 });
  });

  it("rejects an item nested deeper than the limit, and accepts one at the limit", async () => {
    const { key: k, projectId: p } = await ctx.newProject();
    const nest = (levels: number) => {
      let v: unknown = "leaf";
      for (let i = 0; i < levels; i++) v = [v];
      return v;
    };
    const runId = runStarted().runId;
    // The event object is level 1 and `output` sits inside it: 31 more levels reach 32.
    const atLimit = stepEvent(runId, { output: nest(31) });
    const tooDeep = stepEvent(runId, { output: nest(32) });
    const res = await postEvents(ctx, k, { events: [atLimit, tooDeep] });
    expect(res.body.results).toEqual([
      { id: atLimit.id, status: "accepted" },
      { id: tooDeep.id, status: "rejected", code: "too_deep", message: expect.any(String) },
    ]);
    expect((await counts(ctx, p)).steps).toBe(1);
  });

  it("survives a hostile, 100,000-level nesting with a per-item rejection", async () => {
    const e = runStarted();
    const body = `{"events":[${JSON.stringify(e).slice(0, -1)},"input":${"[".repeat(100_000)}${"]".repeat(100_000)}}]}`;
    const res = await postEvents(ctx, key, body);
    expect(res.status).toBe(207);
    expect(res.body.results).toEqual([{ id: e.id, status: "rejected", code: "too_deep", message: expect.any(String) }]);
  });
});
