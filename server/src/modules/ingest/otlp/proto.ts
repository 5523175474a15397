import protobuf from "protobufjs";
import { readFileSync } from "node:fs";

/**
 * OTLP/protobuf for `POST /v1/traces` and `POST /v1/logs`, decoded by protobufjs (a maintained
 * protobuf runtime) from the OTLP schema in server/proto/otlp.proto. At their current versions the
 * OpenTelemetry JS packages only encode requests (otlp-transformer dropped its protobufjs root),
 * so decoding takes the official message definitions and a general protobuf library, never a
 * hand-written wire decoder.
 */
const root = protobuf.parse(readFileSync(new URL("../../../../proto/otlp.proto", import.meta.url), "utf8"), { keepCase: false }).root;
const ExportTraceServiceRequest = root.lookupType("seamtrace.otlp.ExportTraceServiceRequest");
const ExportTraceServiceResponse = root.lookupType("seamtrace.otlp.ExportTraceServiceResponse");
const ExportLogsServiceRequest = root.lookupType("seamtrace.otlp.ExportLogsServiceRequest");
const ExportLogsServiceResponse = root.lookupType("seamtrace.otlp.ExportLogsServiceResponse");
const RpcStatus = root.lookupType("seamtrace.otlp.RpcStatus");

/** Thrown when the bytes are not the expected OTLP message. */
export class OtlpDecodeError extends Error {
  override readonly name = "OtlpDecodeError";
}

const TO_JSON_SHAPE = { longs: String, enums: Number, bytes: String, defaults: false, json: true } as const;

function decode(type: protobuf.Type, bytes: Uint8Array): { [k: string]: unknown } {
  try {
    return type.toObject(type.decode(bytes), TO_JSON_SHAPE);
  } catch (err) {
    // Truncated input, a wrong wire type, or nesting deep enough to exhaust the stack.
    throw new OtlpDecodeError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * Decodes a protobuf ExportTraceServiceRequest into the OTLP/JSON shape (lowerCamelCase fields,
 * int64 as decimal strings, enums as numbers, trace and span ids as hex, other bytes as base64),
 * so both encodings are validated and mapped by the same code.
 */
export function decodeTraceRequest(bytes: Uint8Array): unknown {
  const plain = decode(ExportTraceServiceRequest, bytes);
  for (const rs of asArray(plain.resourceSpans)) {
    for (const ss of asArray((rs as { scopeSpans?: unknown }).scopeSpans)) {
      for (const span of asArray((ss as { spans?: unknown }).spans)) {
        hexIds(span as Record<string, unknown>, ["traceId", "spanId", "parentSpanId"]);
        for (const link of asArray((span as { links?: unknown }).links)) hexIds(link as Record<string, unknown>, ["traceId", "spanId"]);
      }
    }
  }
  return plain;
}

/** Decodes a protobuf ExportLogsServiceRequest into the OTLP/JSON shape, as {@link decodeTraceRequest}. */
export function decodeLogsRequest(bytes: Uint8Array): unknown {
  const plain = decode(ExportLogsServiceRequest, bytes);
  for (const rl of asArray(plain.resourceLogs)) {
    for (const sl of asArray((rl as { scopeLogs?: unknown }).scopeLogs)) {
      for (const record of asArray((sl as { logRecords?: unknown }).logRecords)) hexIds(record as Record<string, unknown>, ["traceId", "spanId"]);
    }
  }
  return plain;
}

/** The OTLP answer in protobuf: empty on full success, `partialSuccess` when spans were rejected. */
export function encodeTraceResponse(body: { partialSuccess?: { rejectedSpans: number; errorMessage: string } }): Uint8Array {
  return ExportTraceServiceResponse.encode(ExportTraceServiceResponse.fromObject(body)).finish();
}

/** The OTLP logs answer in protobuf, as {@link encodeTraceResponse}. */
export function encodeLogsResponse(body: { partialSuccess?: { rejectedLogRecords: number; errorMessage: string } }): Uint8Array {
  return ExportLogsServiceResponse.encode(ExportLogsServiceResponse.fromObject(body)).finish();
}

/**
 * A google.rpc.Status: what OTLP/HTTP puts in the body of every 4xx and 5xx answer to a protobuf
 * request. `code` is the gRPC code matching the HTTP status (the specification lets receivers
 * omit it; exporters read the message).
 */
export function encodeStatus(httpStatus: number, message: string): Uint8Array {
  return RpcStatus.encode(RpcStatus.fromObject({ code: grpcCode(httpStatus), message })).finish();
}

/** Decodes a google.rpc.Status (for tests and clients of this server). */
export function decodeStatus(bytes: Uint8Array): { code?: number; message?: string } {
  return RpcStatus.toObject(RpcStatus.decode(bytes), { defaults: false });
}

/** Decodes a protobuf ExportTraceServiceResponse (for tests and clients of this server). */
export function decodeTraceResponse(bytes: Uint8Array): { partialSuccess?: { rejectedSpans?: string; errorMessage?: string } } {
  return ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(bytes), { longs: String, defaults: false });
}

/** Decodes a protobuf ExportLogsServiceResponse (for tests and clients of this server). */
export function decodeLogsResponse(bytes: Uint8Array): { partialSuccess?: { rejectedLogRecords?: string; errorMessage?: string } } {
  return ExportLogsServiceResponse.toObject(ExportLogsServiceResponse.decode(bytes), { longs: String, defaults: false });
}

/** HTTP status → gRPC status code, as the gRPC HTTP mapping pairs them. */
function grpcCode(status: number): number {
  switch (status) {
    case 400:
      return 3; // INVALID_ARGUMENT
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 5; // NOT_FOUND
    case 405:
    case 415:
      return 12; // UNIMPLEMENTED
    case 413:
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 503:
      return 14; // UNAVAILABLE
    default:
      return status >= 500 ? 13 : 2; // INTERNAL, UNKNOWN
  }
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Protobuf ids arrive as bytes (base64 here); OTLP/JSON writes them as hex. */
function hexIds(o: Record<string, unknown>, keys: string[]): void {
  for (const k of keys) if (typeof o[k] === "string") o[k] = Buffer.from(o[k], "base64").toString("hex");
}
