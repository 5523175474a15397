import type { OtlpAnyValue, OtlpKeyValue } from "./contract.js";

/** An OTLP attribute value as plain JSON. */
export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };

/**
 * AnyValue → JSON. 64-bit integers become numbers when they fit exactly and stay decimal strings
 * otherwise; bytes stay base64. Recursive: the span's nesting was bounded before it was parsed.
 */
export function toValue(value: OtlpAnyValue | undefined): AttrValue {
  if (value === undefined) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) {
    const n = Number(value.intValue);
    return Number.isSafeInteger(n) ? n : String(value.intValue);
  }
  if (value.doubleValue !== undefined) return typeof value.doubleValue === "number" ? value.doubleValue : null;
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(toValue);
  if (value.kvlistValue !== undefined) return Object.fromEntries(attributeMap(value.kvlistValue.values));
  return null;
}

/** Attributes by key; a repeated key keeps its last value. */
export function attributeMap(kvs: readonly OtlpKeyValue[] | undefined): Map<string, AttrValue> {
  const map = new Map<string, AttrValue>();
  for (const kv of kvs ?? []) map.set(kv.key, toValue(kv.value));
  return map;
}

export function str(v: AttrValue | undefined): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

export function num(v: AttrValue | undefined): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/**
 * Structured GenAI attributes (messages, tool arguments and results) are JSON strings on spans
 * from most SDKs; parsed when they parse, kept as text otherwise.
 */
export function structured(v: AttrValue | undefined): unknown {
  if (typeof v !== "string") return v ?? undefined;
  const t = v.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return v;
  }
}

/** What a cut string ends with: says that, and how long the value was, where the value is read. */
export const truncationMarker = (length: number) => `…[truncated by Seamtrace: ${length} characters]`;
/** What stands in for a value nested past the depth limit. */
export const TOO_DEEP_MARKER = "…[dropped by Seamtrace: nested too deep]";

export interface Bounds {
  /** Longest string kept whole (UTF-16 units, as the wire limits count). */
  maxString: number;
  /** Deepest nesting kept; the value itself is depth 1. */
  maxDepth: number;
}

/** `s` cut to at most `max` characters, marker included, without splitting a surrogate pair. */
export function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  const marker = truncationMarker(s.length);
  let end = Math.max(0, max - marker.length);
  const code = s.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--; // a high surrogate whose pair would be cut off
  return s.slice(0, end) + marker.slice(0, max);
}

/**
 * A copy of a JSON value within `bounds`: over-long strings cut with a marker, containers nested
 * too deep replaced by one, over-long keys cut too. An over-long attribute then costs its tail,
 * not the span that carries it (and with it the step's confidence and lineage). Iterative, so a
 * hostile nesting cannot overflow the stack.
 */
export function bound(value: unknown, bounds: Bounds): unknown {
  const root: { v: unknown } = { v: undefined };
  const work: Array<{ v: unknown; depth: number; put: (x: unknown) => void }> = [{ v: value, depth: 1, put: (x) => (root.v = x) }];
  while (work.length > 0) {
    const { v, depth, put } = work.pop()!;
    if (typeof v === "string") put(cut(v, bounds.maxString));
    else if (typeof v !== "object" || v === null) put(v);
    else if (depth > bounds.maxDepth) put(TOO_DEEP_MARKER);
    else if (Array.isArray(v)) {
      const out: unknown[] = new Array<unknown>(v.length);
      put(out);
      v.forEach((x, i) => work.push({ v: x, depth: depth + 1, put: (y) => (out[i] = y) }));
    } else {
      const out: Record<string, unknown> = {};
      put(out);
      for (const [k, x] of Object.entries(v)) {
        const key = cut(k, bounds.maxString);
        // defineProperty, not assignment: a key named "__proto__" stays a plain member.
        work.push({ v: x, depth: depth + 1, put: (y) => Object.defineProperty(out, key, { value: y, enumerable: true, writable: true, configurable: true }) });
      }
    }
  }
  return root.v;
}
