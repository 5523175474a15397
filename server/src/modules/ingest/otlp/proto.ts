import protobuf from "protobufjs";
import { readFileSync } from "node:fs";

/**
 * OTLP/protobuf for `POST /v1/traces`, decoded by protobufjs (a maintained protobuf runtime)
 * from the OTLP trace schema in server/proto/otlp-trace.proto. At their current versions the
 * OpenTelemetry JS packages only encode requests (otlp-transformer dropped its protobufjs root),
 * so decoding takes the official message definitions and a general protobuf library, never a
 * hand-written wire decoder.
 */
const root = protobuf.parse(readFileSync(new URL("../../../../proto/otlp-trace.proto", import.meta.url), "utf8"), { keepCase: false }).root;
const ExportTraceServiceRequest = root.lookupType("seamtrace.otlp.ExportTraceServiceRequest");
const ExportTraceServiceResponse = root.lookupType("seamtrace.otlp.ExportTraceServiceResponse");

/** Thrown when the bytes are not an ExportTraceServiceRequest. */
export class OtlpDecodeError extends Error {
  override readonly name = "OtlpDecodeError";
}

/**
 * Decodes a protobuf ExportTraceServiceRequest into the OTLP/JSON shape (lowerCamelCase fields,
 * int64 as decimal strings, enums as numbers, trace and span ids as hex, other bytes as base64),
 * so both encodings are validated and mapped by the same code.
 */
export function decodeTraceRequest(bytes: Uint8Array): unknown {
  let plain: { [k: string]: unknown };
  try {
    const message = ExportTraceServiceRequest.decode(bytes);
    plain = ExportTraceServiceRequest.toObject(message, { longs: String, enums: Number, bytes: String, defaults: false, json: true });
  } catch (err) {
    // Truncated input, a wrong wire type, or nesting deep enough to exhaust the stack.
    throw new OtlpDecodeError(err instanceof Error ? err.message : String(err));
  }
  for (const rs of asArray((plain as { resourceSpans?: unknown }).resourceSpans)) {
    for (const ss of asArray((rs as { scopeSpans?: unknown }).scopeSpans)) {
      for (const span of asArray((ss as { spans?: unknown }).spans)) {
        hexIds(span as Record<string, unknown>, ["traceId", "spanId", "parentSpanId"]);
        for (const link of asArray((span as { links?: unknown }).links)) hexIds(link as Record<string, unknown>, ["traceId", "spanId"]);
      }
    }
  }
  return plain;
}

/** The OTLP answer in protobuf: empty on full success, `partialSuccess` when spans were rejected. */
export function encodeTraceResponse(body: { partialSuccess?: { rejectedSpans: number; errorMessage: string } }): Uint8Array {
  return ExportTraceServiceResponse.encode(ExportTraceServiceResponse.fromObject(body)).finish();
}

/** Decodes a protobuf ExportTraceServiceResponse (for tests and clients of this server). */
export function decodeTraceResponse(bytes: Uint8Array): { partialSuccess?: { rejectedSpans?: string; errorMessage?: string } } {
  return ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(bytes), { longs: String, defaults: false });
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Protobuf ids arrive as bytes (base64 here); OTLP/JSON writes them as hex. */
function hexIds(o: Record<string, unknown>, keys: string[]): void {
  for (const k of keys) if (typeof o[k] === "string") o[k] = Buffer.from(o[k], "base64").toString("hex");
}
