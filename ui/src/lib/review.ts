import type { Decision, DecisionRequest } from "./types.js";

/** Pure helpers of the review screen: the JSON editor, shortcuts and the request it sends. */

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

export function parseEditor(text: string): Parsed {
  if (text.trim() === "") return { ok: false, error: "the corrected output is empty; write JSON (a string needs quotes)" };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Editor text for a value: indented JSON, so strings keep their quotes and round-trip. */
export function toEditor(value: unknown): string {
  try {
    return JSON.stringify(value ?? null, null, 2) ?? "null";
  } catch {
    return "null";
  }
}

export type Shortcut = { kind: "decide"; decision: Decision } | { kind: "alternative"; index: number } | { kind: "submit" } | null;

/**
 * Keyboard shortcuts: a / c / r pick accept / correct / reject, 1–9 pre-fill the correction from
 * an alternative, Ctrl/⌘+Enter submits. Letters and digits are ignored while typing in a field,
 * so the reason and the JSON editor take them as text.
 */
export function shortcutFor(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean; inField: boolean }): Shortcut {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) return { kind: "submit" };
  if (e.inField || e.ctrlKey || e.metaKey || e.altKey) return null;
  const k = e.key.toLowerCase();
  if (k === "a") return { kind: "decide", decision: "accept" };
  if (k === "c") return { kind: "decide", decision: "correct" };
  if (k === "r") return { kind: "decide", decision: "reject" };
  if (/^[1-9]$/.test(k)) return { kind: "alternative", index: Number(k) - 1 };
  return null;
}

/** The decision body, or why it cannot be sent yet. */
export function decisionRequest(
  decision: Decision | null,
  reason: string,
  editor: string,
  alternative: number | null,
): { ok: true; body: DecisionRequest } | { ok: false; error: string } {
  if (!decision) return { ok: false, error: "choose accept, correct or reject" };
  if (reason.trim() === "") return { ok: false, error: "a reason is required" };
  if (decision !== "correct") return { ok: true, body: { decision, reason: reason.trim() } };
  const parsed = parseEditor(editor);
  if (!parsed.ok) return { ok: false, error: `the corrected output is not JSON: ${parsed.error}` };
  return { ok: true, body: { decision, reason: reason.trim(), output: parsed.value, ...(alternative !== null ? { alternative } : {}) } };
}
