/**
 * What the OpenAI Agents SDK's tracing spans say about a model call: its text, the tool calls it
 * asked for, its model and token usage, and log-probabilities when the provider returned them.
 * Chat Completions models put the message in a `generation` span's output; Responses models put
 * the whole response in a `response` span's `_response`.
 */
import { collectLogprobs, meanTokenProbability } from "../shared/confidence.js";

export interface ModelCall {
  text: string;
  toolCalls: Array<{ callId: string; name: string; input: unknown }>;
  model: string | undefined;
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  logprobConfidence: number | undefined;
}

type Item = Record<string, unknown>;

export function modelCallOf(data: Record<string, unknown>): ModelCall | undefined {
  const response = data._response as Item | undefined;
  if (data.type === "response" && !response) return undefined;
  let items = (data.type === "response" ? (response?.output as Item[] | undefined) : (data.output as Item[] | undefined)) ?? [];
  let usage = (data.type === "response" ? response?.usage : data.usage) as Item | undefined;
  // A chat completion in a generation span: its choices' messages, with their log-probabilities.
  const completion = items.find((i) => Array.isArray(i.choices));
  if (completion) {
    usage ??= completion.usage as Item | undefined;
    items = (completion.choices as Item[]).map((c) => ({ ...(c.message as Item), logprobs: c.logprobs }));
  }
  const call: ModelCall = {
    text: "",
    toolCalls: [],
    model: (data.model ?? response?.model ?? completion?.model) as string | undefined,
    inputTokens: num(usage?.input_tokens ?? usage?.prompt_tokens ?? usage?.inputTokens),
    outputTokens: num(usage?.output_tokens ?? usage?.completion_tokens ?? usage?.outputTokens),
    logprobConfidence: undefined,
  };
  const logprobs: number[] = [];
  for (const item of items) {
    if (item.type === "function_call")
      call.toolCalls.push({ callId: String(item.callId ?? item.call_id ?? ""), name: String(item.name), input: parse(item.arguments) });
    for (const tc of (item.tool_calls as Item[] | undefined) ?? []) {
      const fn = tc.function as Item | undefined;
      call.toolCalls.push({ callId: String(tc.id ?? ""), name: String(fn?.name), input: parse(fn?.arguments) });
    }
    const content = item.content;
    if (typeof content === "string") call.text += content;
    else if (Array.isArray(content)) {
      for (const part of content as Item[]) {
        if (typeof part.text === "string") call.text += part.text;
        collectLogprobs(part.logprobs, logprobs);
      }
    }
    const lp = item.logprobs as Item | unknown[] | undefined;
    collectLogprobs(Array.isArray(lp) ? lp : (lp as Item | undefined)?.content, logprobs);
  }
  call.logprobConfidence = meanTokenProbability(logprobs);
  return call;
}

/** Tool arguments and outputs travel as JSON text. */
export function parse(v: unknown): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}
