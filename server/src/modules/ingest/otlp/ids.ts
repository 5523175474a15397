import { createHash } from "node:crypto";

/**
 * Deterministic ids for what OTLP spans become. A span resent by an exporter (retries are part of
 * OTLP) maps to the same event ids, so the event log stores it once (`duplicate`), and to the same
 * step and run ids, so parents and children sent in different batches still meet.
 */

function digest(parts: readonly string[]): Buffer {
  return createHash("sha256").update(parts.join("\u0000")).digest();
}

function format(b: Buffer): string {
  const h = b.toString("hex", 0, 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A UUIDv8 (RFC 9562 custom layout) from a SHA-256 of `parts`: stable, and unique in practice. */
export function hashedUuid(...parts: string[]): string {
  const b = digest(parts);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return format(b);
}

/**
 * A UUIDv7 whose time is `ms` and whose other bits come from a SHA-256 of `parts`: stable like
 * {@link hashedUuid}, and time-ordered like the SDK's event ids, so the event log's index still
 * grows at its right edge.
 */
export function timedUuid(ms: number, ...parts: string[]): string {
  const b = digest(parts);
  const t = Math.max(0, Math.min(Math.floor(ms), 2 ** 48 - 1));
  b.writeUIntBE(t, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return format(b);
}

/** The step a span becomes: one per (trace, span). */
export const stepIdFor = (traceId: string, spanId: string) => hashedUuid("otlp-step", traceId, spanId);
/** The run a trace becomes, when no span names one. */
export const runIdForTrace = (traceId: string) => hashedUuid("otlp-run", traceId);
/** The run a non-UUID `seamtrace.run.id` names. */
export const runIdForName = (name: string) => hashedUuid("otlp-run-name", name);
/**
 * The run a span starts when its parent is remote (the first span of this process in a trace that
 * began elsewhere): one run per such tree, so trees from several services never contend for one run.
 */
export const runIdForLocalRoot = (traceId: string, spanId: string) => hashedUuid("otlp-local-run", traceId, spanId);
