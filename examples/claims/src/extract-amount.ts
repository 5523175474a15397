/**
 * Reads the claimed amount from an email. Every money figure is a candidate; the words around
 * it (cue weights from the parameters) decide which one is the claim and which are a deductible,
 * a premium or last year's claim. Version 1 reads `1.234,50` the US way — the portal's European
 * format is one of the things drift brings — but flags the odd shape with a low confidence.
 */
import type { Reading } from "./model-output.js";
import type { ExtractParams } from "./params.js";
import { isNumberWord, parseNumberWords, words } from "./text.js";

interface Candidate {
  value: number;
  score: number;
  labelled: boolean;
  kind: "figure" | "words" | "comma";
  odd: boolean;
  text: string;
}

const MONEY = /(\$\s?|\bUSD\s?)?(\d[\d.,]*\d|\d)(\s?k\b)?(\s?(?:USD|dollars|bucks)\b)?/gi;
const SPELLED = /((?:[a-z]+[\s-]+){1,8})dollars\b/gi;
const SANE = /^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$/;
/** `1.234,50`: thousands dots, decimal comma. */
export const DECIMAL_COMMA = /^\d{1,3}(?:\.\d{3})*,\d{1,2}$/;

/** `1.234,50` → 1234.5; null when `raw` is not in that shape. */
export function parseDecimalComma(raw: string): number | null {
  if (!DECIMAL_COMMA.test(raw)) return null;
  return Number(raw.replace(/\./g, "").replace(",", "."));
}

/**
 * The clause around position `index`: split at line breaks, at ". " (so "$1,200.50" stays
 * whole), at "; ", ", " and " - ". Terse emails put everything on one line, and "last month" in
 * the narrative must not count against the amount three clauses later.
 */
function clauseAt(text: string, index: number): string {
  const isBreak = (i: number): boolean =>
    text[i] === "\n" || (/[.!?;,]/.test(text[i]!) && /\s/.test(text[i + 1] ?? " ")) || (text[i] === "-" && text[i - 1] === " " && text[i + 1] === " ");
  let start = index;
  while (start > 0 && !isBreak(start - 1)) start--;
  let end = index;
  while (end < text.length && !isBreak(end)) end++;
  return text.slice(start, end);
}

function lineLabel(text: string, index: number): string | null {
  const start = text.lastIndexOf("\n", index - 1) + 1;
  const m = /^\s*([A-Za-z][A-Za-z #.]{0,24}?)\s*:/.exec(text.slice(start, index + 1));
  return m ? m[1]!.toLowerCase() : null;
}

function cueScore(clause: string, params: ExtractParams): number {
  let score = 0;
  for (const w of new Set(words(clause))) score += params.amountCues[w] ?? 0;
  return score;
}

function candidates(body: string, params: ExtractParams): Candidate[] {
  const out: Candidate[] = [];
  for (const m of body.matchAll(MONEY)) {
    const label = lineLabel(body, m.index);
    const labelled = label !== null && params.labels.amount.includes(label);
    const marked = m[1] !== undefined || m[4] !== undefined;
    if (!marked && !labelled) continue; // a bare number is a date, a phone, a policy: not money
    const raw = m[2]!;
    // A decimal-comma reading only once retraining has learned that senders write them.
    const comma = params.decimalComma ? parseDecimalComma(raw) : null;
    let value = comma ?? Number(raw.replace(/,/g, ""));
    if (!Number.isFinite(value)) continue;
    if (m[3] !== undefined) value *= 1_000;
    const clause = clauseAt(body, m.index);
    out.push({
      value: Math.round(value * 100) / 100,
      score: cueScore(clause, params) + (labelled ? 3 : 0),
      labelled,
      kind: comma !== null ? "comma" : "figure",
      odd: comma === null && !SANE.test(raw),
      text: m[0].trim(),
    });
  }
  for (const m of body.matchAll(SPELLED)) {
    const ws = m[1]!
      .toLowerCase()
      .split(/[\s-]+/)
      .filter((w) => w.length > 0);
    let i = ws.length;
    while (i > 0 && isNumberWord(ws[i - 1]!)) i--;
    const value = parseNumberWords(ws.slice(i).join(" "));
    if (value === null) continue;
    const label = lineLabel(body, m.index);
    const labelled = label !== null && params.labels.amount.includes(label);
    out.push({
      value,
      score: cueScore(clauseAt(body, m.index), params) + (labelled ? 3 : 0),
      labelled,
      kind: "words",
      odd: false,
      text: `${ws.slice(i).join(" ")} dollars`,
    });
  }
  return out;
}

/**
 * The amount claimed in `body`, in dollars.
 * @example
 * readAmount("The repair quote came to $1,200. My deductible is $500.", params).value; // 1200
 */
export function readAmount(body: string, params: ExtractParams): Reading<number | null> {
  const c = params.confidence.amount;
  const found = candidates(body, params);
  if (found.length === 0) return { value: null, confidence: c.none, why: "no amount stated", kind: "none" };
  const ranked = [...found].sort((a, b) => b.score - a.score);
  const best = ranked[0]!;
  if (best.score < 0) {
    // Only figures that read like something else (a deductible, a premium): no claimed amount.
    return {
      value: null,
      confidence: c.onlyOtherFigures,
      why: `only other figures mentioned (${found.map((f) => f.text).join(", ")})`,
      alternatives: [best.value],
      kind: "onlyOtherFigures",
    };
  }
  let kind: string | undefined = best.labelled ? "labelled" : best.score > 0 ? "cued" : "uncued";
  let confidence = best.labelled ? c.labelled : best.score > 0 ? c.cued : c.uncued;
  let why = `amount "${best.text}"${best.labelled ? " (labelled)" : best.score > 0 ? " (cue words nearby)" : " (no cue words)"}`;
  if (best.kind === "words") {
    confidence = Math.min(confidence, c.words);
    kind = undefined;
  }
  if (best.kind === "comma") {
    confidence = Math.min(confidence, params.decimalComma!.confidence);
    why += ", decimal comma (learned)";
    kind = undefined;
  }
  if (best.odd) {
    confidence = c.oddFormat;
    why += ", unusual number format";
    kind = "oddFormat";
  }
  if (best.value < 20) {
    confidence *= 0.5; // nobody files a claim for a few dollars: the reading is likely wrong
    why += ", implausibly small";
    kind = undefined;
  }
  const rivals = [...new Set(ranked.filter((f) => f.score >= 0 && f.value !== best.value).map((f) => f.value))];
  if (rivals.length > 0) {
    confidence *= c.conflictFactor;
    why += `; other amounts: ${rivals.join(", ")}`;
    return { value: best.value, confidence, why, alternatives: rivals };
  }
  return { value: best.value, confidence, why, ...(kind ? { kind } : {}) };
}
