import { describe, expect, it } from "vitest";
import { decisionRequest, parseEditor, shortcutFor, toEditor } from "./review.js";

const key = (key: string, over: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean; inField: boolean }> = {}) =>
  shortcutFor({ key, ctrlKey: false, metaKey: false, altKey: false, inField: false, ...over });

describe("review helpers", () => {
  it("round-trips values through the editor, strings keeping their quotes", () => {
    for (const v of ["flood", { a: [1, null] }, null, 3]) {
      const p = parseEditor(toEditor(v));
      expect(p).toEqual({ ok: true, value: v });
    }
    expect(toEditor("flood")).toBe('"flood"');
  });

  it("refuses empty or malformed editor text with a message", () => {
    expect(parseEditor("  ").ok).toBe(false);
    expect(parseEditor("flood").ok).toBe(false);
  });

  it("maps a/c/r, digits and Ctrl+Enter, and ignores letters typed in a field", () => {
    expect(key("a")).toEqual({ kind: "decide", decision: "accept" });
    expect(key("C")).toEqual({ kind: "decide", decision: "correct" });
    expect(key("r")).toEqual({ kind: "decide", decision: "reject" });
    expect(key("2")).toEqual({ kind: "alternative", index: 1 });
    expect(key("0")).toBeNull();
    expect(key("a", { inField: true })).toBeNull();
    expect(key("r", { ctrlKey: true })).toBeNull();
    expect(key("Enter", { ctrlKey: true, inField: true })).toEqual({ kind: "submit" });
    expect(key("Enter", { metaKey: true })).toEqual({ kind: "submit" });
  });

  it("builds the decision body only when it is complete", () => {
    expect(decisionRequest(null, "x", "", null)).toMatchObject({ ok: false });
    expect(decisionRequest("accept", "  ", "", null)).toMatchObject({ ok: false, error: "a reason is required" });
    expect(decisionRequest("accept", " fine ", "ignored", 1)).toEqual({ ok: true, body: { decision: "accept", reason: "fine" } });
    expect(decisionRequest("correct", "water", "flood", null)).toMatchObject({ ok: false });
    expect(decisionRequest("correct", "water", '"flood"', 0)).toEqual({
      ok: true,
      body: { decision: "correct", reason: "water", output: "flood", alternative: 0 },
    });
  });
});
