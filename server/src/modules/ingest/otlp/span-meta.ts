import type { OtlpSpan } from "./contract.js";
import { attributeMap, bound, cut, type AttrValue } from "./attributes.js";

/**
 * What a span says beyond its step's fields, kept so users find it with the step: its kind,
 * status, custom attributes (`claim.id`, `gen_ai.response.id`, `gen_ai.tool.call.id`, …), its
 * resource and its links. Bounded, since it is stored for every span: at most `MAX_ATTRIBUTES`
 * attributes of at most `MAX_VALUE` characters each (cut with a marker), nested at most
 * `MAX_DEPTH` deep; what is left out is counted.
 */
export interface SpanMeta {
  kind: SpanKindName;
  status?: { code: "ok" | "error"; message?: string };
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope?: { name?: string; version?: string };
  links?: Array<{ traceId: string; spanId: string; attributes?: Record<string, unknown> }>;
  /** Attributes (span and resource together) left out past the bounds. */
  omitted?: number;
}

export type SpanKindName = "unspecified" | "internal" | "server" | "client" | "producer" | "consumer";

const KINDS: SpanKindName[] = ["unspecified", "internal", "server", "client", "producer", "consumer"];
const KIND_NAMES: Record<string, SpanKindName> = {
  SPAN_KIND_UNSPECIFIED: "unspecified",
  SPAN_KIND_INTERNAL: "internal",
  SPAN_KIND_SERVER: "server",
  SPAN_KIND_CLIENT: "client",
  SPAN_KIND_PRODUCER: "producer",
  SPAN_KIND_CONSUMER: "consumer",
};

export const MAX_ATTRIBUTES = 128;
export const MAX_RESOURCE_ATTRIBUTES = 64;
export const MAX_VALUE = 1024;
export const MAX_LINKS = 32;
const MAX_DEPTH = 4;

/**
 * Attributes whose values already are the step's input and output (often the largest part of a
 * span): kept once, there.
 */
const PAYLOAD = new Set([
  "seamtrace.input",
  "seamtrace.output",
  "seamtrace.reasoning",
  "seamtrace.alternatives",
  "gen_ai.input.messages",
  "gen_ai.output.messages",
  "gen_ai.tool.call.arguments",
  "gen_ai.tool.call.result",
  "gen_ai.prompt",
  "gen_ai.completion",
  "input.value",
  "output.value",
  "ai.prompt",
  "ai.prompt.messages",
  "ai.response.text",
  "ai.response.object",
  "ai.response.toolCalls",
  "ai.toolCall.args",
  "ai.toolCall.input",
  "ai.toolCall.result",
  "ai.toolCall.output",
]);
const PAYLOAD_PREFIXES = ["llm.input_messages.", "llm.output_messages."];

export function spanMeta(
  span: OtlpSpan,
  attrs: Map<string, AttrValue>,
  resource: Map<string, AttrValue>,
  scope: { name?: string | undefined; version?: string | undefined } | undefined,
): SpanMeta {
  let omitted = 0;
  const pick = (map: Map<string, AttrValue>, max: number, skip: (k: string) => boolean) => {
    const out: Record<string, unknown> = {};
    const keys = [...map.keys()].filter((k) => !skip(k)).sort();
    omitted += Math.max(0, keys.length - max);
    for (const k of keys.slice(0, max))
      Object.defineProperty(out, cut(k, 256), {
        value: bound(map.get(k), { maxString: MAX_VALUE, maxDepth: MAX_DEPTH }),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  };
  const meta: SpanMeta = {
    kind: kindName(span.kind),
    attributes: pick(attrs, MAX_ATTRIBUTES, (k) => PAYLOAD.has(k) || PAYLOAD_PREFIXES.some((p) => k.startsWith(p))),
    resource: pick(resource, MAX_RESOURCE_ATTRIBUTES, () => false),
  };
  const code = span.status?.code;
  if (code === 1 || code === 2) {
    meta.status = { code: code === 1 ? "ok" : "error" };
    if (span.status?.message) meta.status.message = cut(span.status.message, MAX_VALUE);
  }
  if (scope && (scope.name || scope.version)) {
    meta.scope = {};
    if (scope.name) meta.scope.name = cut(scope.name, 256);
    if (scope.version) meta.scope.version = cut(scope.version, 256);
  }
  const links = span.links ?? [];
  if (links.length > 0) {
    omitted += Math.max(0, links.length - MAX_LINKS);
    meta.links = links.slice(0, MAX_LINKS).map((l) => {
      const a = attributeMap(l.attributes);
      const link: { traceId: string; spanId: string; attributes?: Record<string, unknown> } = { traceId: cut(l.traceId, 64), spanId: cut(l.spanId, 32) };
      if (a.size > 0) link.attributes = pick(a, 16, () => false);
      return link;
    });
  }
  if (omitted > 0) meta.omitted = omitted;
  return meta;
}

function kindName(kind: number | string | undefined): SpanKindName {
  if (typeof kind === "number") return KINDS[kind] ?? "unspecified";
  if (typeof kind === "string") return KIND_NAMES[kind] ?? "unspecified";
  return "unspecified";
}
