import type { FeatureValue } from "@seamtrace/sdk";
import { num, str, structured, type AttrValue } from "./attributes.js";

/**
 * What a span says about its step, whichever instrumentation wrote it: Seamtrace's own
 * `seamtrace.*` attributes first, then the OpenTelemetry GenAI semantic conventions (`gen_ai.*`),
 * then OpenInference (`input.value`, `llm.*`, `openinference.span.kind`), then the Vercel AI SDK
 * (`ai.*`). Models, providers, token counts and tool names land under their `gen_ai.*` names
 * whatever the source, so drift series and dashboards read one vocabulary.
 */
export interface ConventionView {
  input: unknown;
  output: unknown;
  /** Values that repeat across runs (never ids), kept as drift features. */
  features: Record<string, FeatureValue>;
}

const INPUT_ATTRS = ["seamtrace.input", "gen_ai.input.messages", "gen_ai.tool.call.arguments", "gen_ai.prompt"];
const OUTPUT_ATTRS = ["seamtrace.output", "gen_ai.output.messages", "gen_ai.tool.call.result", "gen_ai.completion"];

/** GenAI attributes kept as features as they are. */
const GENAI_FEATURES = [
  "gen_ai.operation.name",
  "gen_ai.provider.name",
  "gen_ai.system",
  "gen_ai.request.model",
  "gen_ai.response.model",
  "gen_ai.request.temperature",
  "gen_ai.request.max_tokens",
  "gen_ai.usage.input_tokens",
  "gen_ai.usage.output_tokens",
  "gen_ai.response.finish_reasons",
  "gen_ai.tool.name",
  "gen_ai.tool.type",
  "gen_ai.agent.name",
];

/** Other conventions' attributes, by the `gen_ai.*` feature they fill when the span has none. */
const FEATURE_ALIASES: ReadonlyArray<[string, readonly string[]]> = [
  ["gen_ai.request.model", ["llm.request.model_name", "llm.model_name", "ai.model.id"]],
  ["gen_ai.response.model", ["llm.response.model_name", "ai.response.model"]],
  ["gen_ai.provider.name", ["llm.provider", "ai.model.provider"]],
  ["gen_ai.system", ["llm.system"]],
  ["gen_ai.usage.input_tokens", ["llm.token_count.prompt", "ai.usage.inputTokens", "ai.usage.promptTokens"]],
  ["gen_ai.usage.output_tokens", ["llm.token_count.completion", "ai.usage.outputTokens", "ai.usage.completionTokens"]],
  ["gen_ai.response.finish_reasons", ["llm.finish_reason", "ai.response.finishReason"]],
  ["gen_ai.tool.name", ["tool.name", "ai.toolCall.name"]],
  ["gen_ai.agent.name", ["agent.name"]],
];

/** OpenInference span kinds and AI SDK operations, as GenAI operation names. */
const OPENINFERENCE_OPERATIONS: Record<string, string> = { LLM: "chat", EMBEDDING: "embeddings", TOOL: "execute_tool", AGENT: "invoke_agent" };
const AI_SDK_OPERATIONS: Array<[RegExp, string]> = [
  [/^ai\.(generateText|streamText|generateObject|streamObject)(\.do(Generate|Stream))?$/, "chat"],
  [/^ai\.embed(Many)?(\.doEmbed)?$/, "embeddings"],
  [/^ai\.toolCall$/, "execute_tool"],
];

export function conventionView(attrs: Map<string, AttrValue>): ConventionView {
  return { input: inputOf(attrs), output: outputOf(attrs), features: featuresOf(attrs) };
}

function inputOf(attrs: Map<string, AttrValue>): unknown {
  return (
    firstOf(attrs, INPUT_ATTRS) ??
    messages(attrs, "llm.input_messages.") ??
    mimeValue(attrs, "input") ??
    // AI SDK: the provider call's messages, else the call as the caller made it; a tool's arguments.
    firstOf(attrs, ["ai.prompt.messages", "ai.prompt", "ai.toolCall.args", "ai.toolCall.input", "ai.value", "ai.values"], json)
  );
}

function outputOf(attrs: Map<string, AttrValue>): unknown {
  const own = firstOf(attrs, OUTPUT_ATTRS) ?? messages(attrs, "llm.output_messages.") ?? mimeValue(attrs, "output");
  if (own !== undefined) return own;
  // An AI SDK generation answers with text, an object, tool calls, or text and tool calls.
  const text = firstOf(attrs, ["ai.response.text"], (v) => v) ?? firstOf(attrs, ["ai.response.object"], json);
  const toolCalls = firstOf(attrs, ["ai.response.toolCalls"], json);
  if (text !== undefined && toolCalls !== undefined) return { text, toolCalls };
  return text ?? toolCalls ?? firstOf(attrs, ["ai.toolCall.result", "ai.toolCall.output", "ai.embedding", "ai.embeddings"], json);
}

function featuresOf(attrs: Map<string, AttrValue>): Record<string, FeatureValue> {
  const features: Record<string, FeatureValue> = {};
  const put = (k: string, v: AttrValue | undefined) => {
    const value = Array.isArray(v) ? v.filter((x) => typeof x === "string").join(",") : v;
    if (typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))) features[k] = value;
  };
  for (const k of GENAI_FEATURES) if (attrs.has(k)) put(k, attrs.get(k));
  for (const [feature, aliases] of FEATURE_ALIASES) {
    if (feature in features) continue;
    for (const a of aliases) {
      if (!attrs.has(a)) continue;
      const v = attrs.get(a);
      put(feature, feature.includes("tokens") ? num(v) : v);
      break;
    }
  }
  const kind = str(attrs.get("openinference.span.kind"));
  if (kind !== undefined) put("openinference.span.kind", kind);
  if (!("gen_ai.operation.name" in features)) {
    const operationId = str(attrs.get("ai.operationId"));
    const op =
      kind !== undefined
        ? OPENINFERENCE_OPERATIONS[kind.toUpperCase()]
        : operationId !== undefined
          ? AI_SDK_OPERATIONS.find(([re]) => re.test(operationId))?.[1]
          : undefined;
    if (op !== undefined) features["gen_ai.operation.name"] = op;
  }
  for (const [k, v] of attrs) if (k.startsWith("seamtrace.feature.") && k.length > 18) put(k.slice(18), v);
  return features;
}

function firstOf(attrs: Map<string, AttrValue>, keys: readonly string[], read: (v: AttrValue) => unknown = structured): unknown {
  for (const k of keys) {
    const v = attrs.get(k);
    if (v !== undefined && v !== null) return read(v);
  }
  return undefined;
}

/** The AI SDK writes these attributes with JSON.stringify, strings included: read them back so. */
function json(v: AttrValue): unknown {
  if (Array.isArray(v)) return v.map(json);
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

/** OpenInference's `input.value` / `output.value`: JSON when its mime type says so. */
function mimeValue(attrs: Map<string, AttrValue>, which: "input" | "output"): unknown {
  const v = attrs.get(`${which}.value`);
  if (v === undefined || v === null) return undefined;
  return str(attrs.get(`${which}.mime_type`)) === "application/json" ? structured(v) : v;
}

/**
 * OpenInference flattens messages into attributes (`llm.input_messages.0.message.role`,
 * `…message.contents.0.message_content.text`, `…message.tool_calls.0.tool_call.function.name`);
 * this puts them back together as `[{ role, content, tool_calls, … }]`, in index order.
 */
export function messages(attrs: Map<string, AttrValue>, prefix: string): unknown[] | undefined {
  const byIndex = new Map<number, Record<string, unknown>>();
  for (const [k, v] of attrs) {
    if (!k.startsWith(prefix)) continue;
    const path = k.slice(prefix.length).split(".");
    const index = Number(path[0]);
    if (!Number.isSafeInteger(index) || index < 0 || path[1] !== "message" || path.length < 3) continue;
    let message = byIndex.get(index);
    if (!message) byIndex.set(index, (message = {}));
    setPath(message, path.slice(2), structured(v));
  }
  if (byIndex.size === 0) return undefined;
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, m]) => m);
}

/**
 * Sets `path` in `target`, numeric segments making arrays; each wrapper named after its list
 * (`contents.0.message_content.text`, `tool_calls.0.tool_call.id`) is unwrapped on the way.
 */
function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node: Record<string, unknown> | unknown[] = target;
  for (let i = 0; i < path.length; i++) {
    let key: string | number = path[i]!;
    if (key === "__proto__" || key === "constructor" || key === "prototype") return; // never a prototype's member
    if (Array.isArray(node)) key = Number(key);
    // OpenInference writes `contents.0.message_content.*` and `tool_calls.0.tool_call.*`: the
    // inner name says again what the list holds.
    if (typeof key === "string" && (key === "message_content" || key === "tool_call") && i > 0 && /^\d+$/.test(path[i - 1]!)) continue;
    const last = i === path.length - 1;
    if (last) {
      (node as Record<string | number, unknown>)[key] = value;
      return;
    }
    const nextIsIndex = /^\d+$/.test(path[i + 1]!);
    let child = (node as Record<string | number, unknown>)[key];
    if (typeof child !== "object" || child === null) (node as Record<string | number, unknown>)[key] = child = nextIsIndex ? [] : {};
    node = child as Record<string, unknown> | unknown[];
  }
}
