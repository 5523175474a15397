import { createMiddleware } from "hono/factory";
import { pipeline } from "node:stream/promises";
import { createGunzip, createInflate } from "node:zlib";
import { AppError, badRequest, payloadTooLarge, unsupportedMediaType } from "../errors.js";

export interface BodyLimitOptions {
  /** Most bytes accepted after decompression (and before it: compressed bodies are smaller). */
  maxBytes: number;
}

type Encoding = "identity" | "gzip" | "deflate";

/**
 * Reads a request body as a stream with a hard cap on its decoded size. Unlike a
 * Content-Length check (hono's bodyLimit), the count is taken after decompression, so a chunked
 * upload without a length or a gzip bomb (kilobytes that inflate to gigabytes) is stopped as soon
 * as it passes the cap: at most `maxBytes` plus one zlib chunk is ever held in memory, and the
 * rest of the body is never read. Usable by any route that takes a body (events, OTLP).
 */
export async function readBody(req: Request, { maxBytes }: BodyLimitOptions): Promise<Buffer> {
  const encoding = parseContentEncoding(req.headers.get("content-encoding"));
  const declared = req.headers.get("content-length");
  if (declared !== null && /^\s*\d+\s*$/.test(declared) && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (req.body === null) return Buffer.alloc(0);

  const chunks: Buffer[] = [];
  let total = 0;
  async function collect(source: AsyncIterable<Uint8Array>): Promise<void> {
    for await (const chunk of source) {
      total += chunk.byteLength;
      if (total > maxBytes) throw tooLarge(maxBytes);
      chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
  }
  // Compressed bytes are capped too: empty deflate blocks would otherwise let a client stream
  // forever while producing no output to count.
  async function* capCompressed(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    let raw = 0;
    for await (const chunk of source) {
      raw += chunk.byteLength;
      if (raw > maxBytes) throw tooLarge(maxBytes);
      yield chunk;
    }
  }

  try {
    if (encoding === "identity") await pipeline(req.body, collect);
    else await pipeline(req.body, capCompressed, encoding === "gzip" ? createGunzip() : createInflate(), collect);
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (isZlibError(err)) throw badRequest("invalid_encoding", `the body is not valid ${encoding} data: ${(err as Error).message}`);
    throw badRequest("invalid_body", "the request body could not be read to its end");
  }
  return Buffer.concat(chunks, total);
}

/** Parses the decoded body as UTF-8 JSON; anything else is the client's mistake, a 400. */
export function parseJsonBody(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw badRequest("invalid_json", "the body is not valid UTF-8");
  }
  if (text.trim() === "") throw badRequest("invalid_json", "the body is empty; a JSON document is required");
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest("invalid_json", `the body is not valid JSON: ${(err as Error).message}`);
  }
}

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/** 415 unless the Content-Type is JSON (`application/json` or `application/<x>+json`). */
export function requireJsonMediaType(header: string | undefined | null): void {
  if (!JSON_MEDIA_TYPE.test((header ?? "").split(";")[0]!.trim())) {
    throw unsupportedMediaType("unsupported_media_type", "send the body as JSON with `Content-Type: application/json`");
  }
}

/** Reads and parses a JSON body within the limits; the handler finds it as `c.get("jsonBody")`. */
export function jsonBody(options: BodyLimitOptions) {
  return createMiddleware<{ Variables: { jsonBody: unknown } }>(async (c, next) => {
    requireJsonMediaType(c.req.header("content-type"));
    c.set("jsonBody", parseJsonBody(await readBody(c.req.raw, options)));
    await next();
  });
}

function parseContentEncoding(header: string | null): Encoding {
  // A list means stacked encodings; only one layer (besides identity) is supported.
  const codings = (header ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "" && s !== "identity");
  if (codings.length === 0) return "identity";
  if (codings.length === 1) {
    if (codings[0] === "gzip" || codings[0] === "x-gzip") return "gzip";
    if (codings[0] === "deflate") return "deflate";
  }
  throw unsupportedMediaType("unsupported_encoding", `Content-Encoding "${header}" is not supported; send gzip, deflate or no encoding`);
}

function tooLarge(maxBytes: number): AppError {
  return payloadTooLarge(`the body exceeds ${maxBytes} bytes (after decompression)`, { maxBytes });
}

function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("Z_");
}
