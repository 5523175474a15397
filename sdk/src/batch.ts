/**
 * The wire side of a batch: serialising events, measuring and building the
 * `{"events":[...]}` body, and reading the per-item answer.
 */
import type { IngestItemResult } from "./types.js";

/** One serialised event in a batch. */
export interface BatchItem {
  json: string;
  /** The event id, to match the answer when the server's results are not in request order. */
  id: string | undefined;
  /**
   * The event's position in the order events left the buffer, used to settle `flush()`
   * waiters; -1 for the transport's own `sdk.dropped` reports, which no caller waits for.
   */
  seq: number;
}

const HEAD = '{"events":[';
const TAIL = "]}";
/** Bytes of `{"events":[]}`. */
export const ENVELOPE_BYTES = HEAD.length + TAIL.length;

/**
 * The wire JSON of an event, throwing when it cannot be represented (circular values, BigInt,
 * a throwing `toWire`, `toJSON` or getter, or something that is not a JSON object at all).
 * An object with `toWire()` is a deferred event: the step hot path leaves the wire form (ISO
 * times, ids) to be built here, at flush time.
 */
export function serializeEvent(event: unknown): { json: string; id: string | undefined } {
  const wire =
    typeof event === "object" && event !== null && typeof (event as { toWire?: unknown }).toWire === "function"
      ? (event as { toWire(): unknown }).toWire()
      : event;
  const json = JSON.stringify(wire);
  if (typeof json !== "string" || json.charCodeAt(0) !== 123 /* { */) {
    throw new TypeError("event is not a JSON object");
  }
  const id = (wire as { id?: unknown }).id;
  return { json, id: typeof id === "string" ? id : undefined };
}

/**
 * UTF-8 byte length of a string without encoding it. `JSON.stringify` escapes lone surrogates,
 * so every surrogate in its output is half of a well-formed pair.
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 2; // 4 bytes for the pair, which counts as 2 UTF-16 units
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/** The request body for `items`, in order. */
export function batchBody(items: readonly BatchItem[]): string {
  let body = HEAD;
  for (let i = 0; i < items.length; i++) {
    if (i > 0) body += ",";
    body += items[i]!.json;
  }
  return body + TAIL;
}

/**
 * The per-item results of a 2xx answer, aligned with `items`: `undefined` where the answer does
 * not say (unparseable body, missing entry). Results come in request order; ids are
 * checked so a reordered answer cannot credit the wrong event.
 */
export function matchResults(text: string, items: readonly BatchItem[]): Array<Pick<IngestItemResult, "status" | "code" | "message"> | undefined> {
  const out: Array<Pick<IngestItemResult, "status" | "code" | "message"> | undefined> = new Array(items.length);
  let results: unknown;
  try {
    results = (JSON.parse(text) as { results?: unknown } | null)?.results;
  } catch {
    return out.fill(undefined);
  }
  if (!Array.isArray(results)) return out.fill(undefined);
  let byId: Map<unknown, unknown> | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    let r: unknown = results[i];
    const rid = isObject(r) ? r.id : undefined;
    if (!isObject(r) || (rid != null && rid !== item.id)) {
      byId ??= new Map(results.filter(isObject).map((x) => [x.id, x]));
      r = item.id === undefined ? undefined : byId.get(item.id);
    }
    out[i] = isObject(r) ? (r as Pick<IngestItemResult, "status" | "code" | "message">) : undefined;
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
