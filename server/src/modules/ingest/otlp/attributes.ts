import type { OtlpAnyValue, OtlpKeyValue } from "./contract.js";

/** An OTLP attribute value as plain JSON. */
export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };

/**
 * AnyValue → JSON. 64-bit integers become numbers when they fit exactly and stay decimal strings
 * otherwise; bytes stay base64. Iterative, so a hostile nesting cannot overflow the stack (the
 * JSON limits have already bounded its depth, but this does not rely on it).
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
