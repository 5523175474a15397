/**
 * The AI SDK's conversation as the tool-approval flow leaves it: an assistant message with
 * `tool-call` and `tool-approval-request` parts, answered by a `tool` message of
 * `tool-approval-response` parts before the next `generateText` call.
 */
import type { ModelMessage, ToolApprovalResponse } from "ai";

/** A tool call waiting for an answer to its approval request. */
export interface PendingApproval {
  approvalId: string;
  toolCallId: string;
  toolName: string;
  input: unknown;
}

type Part = { type: string; [k: string]: unknown };

function partsOf(m: ModelMessage): Part[] {
  return typeof m.content === "string" ? [] : (m.content as unknown as Part[]);
}

/** Approval requests in `messages` with no response yet, in the order they were made. */
export function pendingApprovals(messages: readonly ModelMessage[]): PendingApproval[] {
  const calls = new Map<string, { toolName: string; input: unknown }>();
  const requests: Array<{ approvalId: string; toolCallId: string }> = [];
  const answered = new Set<string>();
  for (const m of messages) {
    for (const p of partsOf(m)) {
      if (p.type === "tool-call") calls.set(p.toolCallId as string, { toolName: p.toolName as string, input: p.input });
      else if (p.type === "tool-approval-request") requests.push({ approvalId: p.approvalId as string, toolCallId: p.toolCallId as string });
      else if (p.type === "tool-approval-response") answered.add(p.approvalId as string);
    }
  }
  const pending: PendingApproval[] = [];
  for (const r of requests) {
    const call = calls.get(r.toolCallId);
    if (call && !answered.has(r.approvalId)) pending.push({ ...r, ...call });
  }
  return pending;
}

/**
 * `messages` with the inputs of some tool calls replaced (a reviewer's correction): the model
 * sees the call as the reviewer made it, and the AI SDK re-validates that input against the
 * tool's schema before running it. Messages are copied, never changed in place.
 */
export function withToolInputs(messages: readonly ModelMessage[], inputs: ReadonlyMap<string, unknown>): ModelMessage[] {
  if (inputs.size === 0) return [...messages];
  return messages.map((m) => {
    if (m.role !== "assistant" || typeof m.content === "string") return m;
    if (!partsOf(m).some((p) => p.type === "tool-call" && inputs.has(p.toolCallId as string))) return m;
    const content = partsOf(m).map((p) =>
      p.type === "tool-call" && inputs.has(p.toolCallId as string) ? { ...p, input: inputs.get(p.toolCallId as string) } : p,
    );
    return { ...m, content } as unknown as ModelMessage;
  });
}

/** `messages` with the text of the last assistant message replaced (a corrected final answer). */
export function withFinalText(messages: readonly ModelMessage[], text: string): ModelMessage[] {
  const out = [...messages];
  for (let i = out.length - 1; i >= 0; i--) {
    const m = out[i]!;
    if (m.role !== "assistant") continue;
    if (typeof m.content === "string") out[i] = { ...m, content: text };
    else {
      const others = partsOf(m).filter((p) => p.type !== "text");
      out[i] = { ...m, content: [{ type: "text", text }, ...others] } as unknown as ModelMessage;
    }
    break;
  }
  return out;
}

/** The `tool` message answering approval requests. */
export function approvalMessage(responses: ToolApprovalResponse[]): ModelMessage {
  return { role: "tool", content: responses } as unknown as ModelMessage;
}
