import { createMiddleware } from "hono/factory";
import { gunzipSync, inflateSync } from "node:zlib";
import { AppError, badRequest, payloadTooLarge, unsupportedMediaType } from "./errors.js";

export interface BodyLimitOptions {
  /** Most bytes accepted after decompression (and before it: compressed bodies are smaller). */
  maxBytes: number;
}

type Encoding = "identity" | "gzip" | "deflate";

/**
 * Reads a request body as a stream with a hard cap on its decoded size. Unlike a
 * Content-Length check (hono's bodyLimit), the count is taken after decompression, so a chunked
 * upload without a length or a gzip bomb (kilobytes that inflate to gigabytes) is stopped as soon
 * as it passes the cap: at most `maxBytes` of output (plus one zlib chunk) is ever produced, and
 * the rest of the body is never read. Usable by any route that takes a body (events, OTLP).
 *
 * Compressed bodies are inflated synchronously (zlib's one-shot `inflateSync` with
 * `maxOutputLength`) rather than through a zlib stream: for an SDK batch (~20 KB of gzip, ~300 KB
 * of JSON) the stream's hand-offs to the thread pool and back cost ~2 µs of the event loop per
 * event, the inflate itself ~0.8 µs. To still stop a bomb early, what has arrived is inflated each
 * time it has doubled (from 16 KiB on): a probe that runs past the cap ends the request, one that
 * finds the input merely incomplete waits for more, and a probe that covered the whole body is the
 * answer. At most twice the inflating a single pass would do.
 */
export async function readBody(req: Request, { maxBytes }: BodyLimitOptions): Promise<Buffer> {
  const encoding = parseContentEncoding(req.headers.get("content-encoding"));
  const declared = req.headers.get("content-length");
  if (declared !== null && /^\s*\d+\s*$/.test(declared) && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (req.body === null) return Buffer.alloc(0);

  const codec = encoding === "identity" ? null : encoding;
  const chunks: Buffer[] = [];
  let total = 0;
  let probeAt = codec ? FIRST_PROBE_BYTES : Infinity;
  let probed: { at: number; output: Buffer } | undefined;
  try {
    // Compressed bytes are capped too: empty deflate blocks would otherwise let a client stream
    // forever while producing no output to count.
    for await (const chunk of req.body) {
      total += chunk.byteLength;
      if (total > maxBytes) throw tooLarge(maxBytes);
      chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (codec && total >= probeAt) {
        probeAt = total * 2;
        const output = inflate(codec, Buffer.concat(chunks, total), maxBytes, true);
        if (output) probed = { at: total, output };
      }
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw badRequest("invalid_body", "the request body could not be read to its end");
  }
  const input = Buffer.concat(chunks, total);
  if (!codec) return input;
  return probed?.at === total ? probed.output : inflate(codec, input, maxBytes, false)!;
}

const FIRST_PROBE_BYTES = 16 * 1024;

/**
 * The decoded body; `undefined` when `partial` and the input ends before the compressed stream
 * does (more may come).
 */
function inflate(encoding: Exclude<Encoding, "identity">, input: Buffer, maxBytes: number, partial: boolean): Buffer | undefined {
  try {
    return encoding === "gzip" ? gunzipSync(input, { maxOutputLength: maxBytes }) : inflateSync(input, { maxOutputLength: maxBytes });
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(maxBytes);
    if (partial && code === "Z_BUF_ERROR") return undefined;
    throw badRequest("invalid_encoding", `the body is not valid ${encoding} data: ${(err as Error).message}`);
  }
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

/**
 * Reads and parses a JSON body within the limits; the handler finds it as `c.get("jsonBody")`,
 * and the UTF-8 it was parsed from as `c.get("jsonBytes")`.
 */
export function jsonBody(options: BodyLimitOptions) {
  return createMiddleware<{ Variables: { jsonBody: unknown; jsonBytes: Buffer } }>(async (c, next) => {
    requireJsonMediaType(c.req.header("content-type"));
    const bytes = await readBody(c.req.raw, options);
    c.set("jsonBody", parseJsonBody(bytes));
    c.set("jsonBytes", bytes);
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
