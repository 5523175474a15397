import { Hono } from "hono";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { createGzip, deflateSync, gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { AppError } from "./errors.js";
import { jsonBody, parseJsonBody, readBody } from "./body.js";

const MAX = 64 * 1024;

/** A body that is pulled chunk by chunk and counts what was pulled, to prove reading stopped. */
function countingStream(data: Uint8Array, chunkSize = 4096): { stream: ReadableStream<Uint8Array>; pulled(): number } {
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= data.byteLength) return controller.close();
        const end = Math.min(offset + chunkSize, data.byteLength);
        controller.enqueue(data.subarray(offset, end));
        offset = end;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => offset };
}

function request(body: RequestInit["body"], headers: Record<string, string> = {}): Request {
  return new Request("http://test/", { method: "POST", body, headers, duplex: "half" } as RequestInit);
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe("readBody", () => {
  let bomb: Buffer; // 256 MiB of zeros, gzip-compressed to ~250 KiB

  beforeAll(async () => {
    const zeros = Buffer.alloc(1 << 20);
    const parts: Buffer[] = [];
    const gz = Readable.from(
      (function* () {
        for (let i = 0; i < 256; i++) yield zeros;
      })(),
    ).pipe(createGzip({ level: 9 }));
    for await (const c of gz) parts.push(c as Buffer);
    bomb = Buffer.concat(parts);
  });

  it("returns a plain body within the limit unchanged", async () => {
    const bytes = await readBody(request('{"a":1}'), { maxBytes: MAX });
    expect(bytes.toString()).toBe('{"a":1}');
  });

  it("accepts a body of exactly the limit", async () => {
    const bytes = await readBody(request("x".repeat(MAX)), { maxBytes: MAX });
    expect(bytes.byteLength).toBe(MAX);
  });

  it("decodes gzip and deflate bodies", async () => {
    const text = JSON.stringify({ events: [{ n: "x".repeat(1000) }] });
    expect((await readBody(request(gzipSync(text), { "content-encoding": "gzip" }), { maxBytes: MAX })).toString()).toBe(text);
    expect((await readBody(request(deflateSync(text), { "content-encoding": "Deflate" }), { maxBytes: MAX })).toString()).toBe(text);
  });

  it("decodes a compressed body that arrives in many small chunks, however its pieces fall", async () => {
    // Incompressible, so the gzip is large enough to be inflated as it arrives (from 16 KiB on).
    const text = randomBytes(45 * 1024).toString("base64");
    for (const [encoding, compressed] of [
      ["gzip", gzipSync(text)],
      ["deflate", deflateSync(text)],
    ] as const) {
      expect(compressed.byteLength).toBeGreaterThan(32 * 1024);
      for (const chunkSize of [1000, 4096, 16 * 1024 + 1]) {
        const { stream } = countingStream(compressed, chunkSize);
        const bytes = await readBody(request(stream, { "content-encoding": encoding }), { maxBytes: MAX });
        expect(bytes.toString(), `${encoding} in chunks of ${chunkSize}`).toBe(text);
      }
    }
  });

  it("returns 400 invalid_encoding for gzip cut short after more than one chunk", async () => {
    const compressed = gzipSync(randomBytes(30 * 1024).toString("base64"));
    const { stream } = countingStream(compressed.subarray(0, compressed.byteLength - 100), 1000);
    const err = await rejection(readBody(request(stream, { "content-encoding": "gzip" }), { maxBytes: MAX }));
    expect([err.status, err.code]).toEqual([400, "invalid_encoding"]);
  });

  it("returns 413 for a declared Content-Length over the limit without reading the body", async () => {
    const { stream, pulled } = countingStream(Buffer.alloc(MAX * 2));
    const err = await rejection(readBody(request(stream, { "content-length": String(MAX * 2) }), { maxBytes: MAX }));
    expect([err.status, err.code]).toEqual([413, "payload_too_large"]);
    expect(pulled()).toBe(0);
  });

  it("returns 413 for a chunked body with no length as soon as it passes the limit", async () => {
    const { stream, pulled } = countingStream(Buffer.alloc(MAX * 16));
    const err = await rejection(readBody(request(stream), { maxBytes: MAX }));
    expect([err.status, err.code]).toEqual([413, "payload_too_large"]);
    expect(pulled()).toBeLessThan(MAX * 2);
  });

  it("counts bytes after decompression: a small gzip body that inflates past the limit is 413", async () => {
    const compressed = gzipSync(Buffer.alloc(MAX + 1));
    expect(compressed.byteLength).toBeLessThan(MAX);
    const err = await rejection(readBody(request(compressed, { "content-encoding": "gzip" }), { maxBytes: MAX }));
    expect([err.status, err.code]).toEqual([413, "payload_too_large"]);
  });

  it("stops a gzip bomb after reading a small fraction of it", async () => {
    const { stream, pulled } = countingStream(bomb, 1024);
    const err = await rejection(readBody(request(stream, { "content-encoding": "gzip" }), { maxBytes: 1024 * 1024 }));
    expect([err.status, err.code]).toEqual([413, "payload_too_large"]);
    // 1 MiB of output needs ~1 KiB of this input; allow generous read-ahead, far below the whole.
    expect(pulled()).toBeLessThan(bomb.byteLength / 10);
  });

  it("returns 400 invalid_encoding for corrupt or truncated gzip", async () => {
    const corrupt = await rejection(readBody(request(Buffer.from("definitely not gzip"), { "content-encoding": "gzip" }), { maxBytes: MAX }));
    expect([corrupt.status, corrupt.code]).toEqual([400, "invalid_encoding"]);
    const whole = gzipSync(JSON.stringify({ events: [] }));
    const truncated = await rejection(readBody(request(whole.subarray(0, whole.byteLength - 6), { "content-encoding": "gzip" }), { maxBytes: MAX }));
    expect([truncated.status, truncated.code]).toEqual([400, "invalid_encoding"]);
  });

  it("returns 415 for encodings other than gzip and deflate, and for stacked encodings", async () => {
    for (const encoding of ["br", "zstd", "gzip, gzip"]) {
      const err = await rejection(readBody(request("{}", { "content-encoding": encoding }), { maxBytes: MAX }));
      expect([err.status, err.code]).toEqual([415, "unsupported_encoding"]);
    }
  });

  it("treats identity as no encoding", async () => {
    expect((await readBody(request("{}", { "content-encoding": "identity" }), { maxBytes: MAX })).toString()).toBe("{}");
  });
});

describe("parseJsonBody", () => {
  it("parses UTF-8 JSON, with or without a byte-order mark", () => {
    expect(parseJsonBody(Buffer.from('{"a":"é"}'))).toEqual({ a: "é" });
    expect(parseJsonBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("[1]")]))).toEqual([1]);
  });

  it.each([
    ["malformed JSON", Buffer.from('{"a":')],
    ["invalid UTF-8", Buffer.from([0x7b, 0xff, 0x7d])],
    ["an empty body", Buffer.alloc(0)],
  ])("returns 400 invalid_json for %s", (_, bytes) => {
    let err: unknown;
    try {
      parseJsonBody(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect([(err as AppError).status, (err as AppError).code]).toEqual([400, "invalid_json"]);
  });
});

describe("jsonBody middleware", () => {
  const app = new Hono()
    .post("/", jsonBody({ maxBytes: MAX }), (c) => c.json({ got: c.get("jsonBody") }))
    .onError((err, c) => (err instanceof AppError ? c.json({ code: err.code }, err.status) : c.text("boom", 500)));

  it("hands the parsed body to the handler", async () => {
    const res = await app.request("/", {
      method: "POST",
      body: gzipSync('{"x":[1,2]}'),
      headers: { "content-encoding": "gzip", "content-type": "application/json" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ got: { x: [1, 2] } });
  });

  it("answers 415 for a body that is not sent as JSON", async () => {
    const res = await app.request("/", { method: "POST", body: '{"x":1}', headers: { "content-type": "text/plain" } });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({ code: "unsupported_media_type" });
  });

  it("answers a body over the limit with 413 before the handler runs", async () => {
    const res = await app.request("/", { method: "POST", body: JSON.stringify({ s: "x".repeat(MAX) }), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ code: "payload_too_large" });
  });
});
