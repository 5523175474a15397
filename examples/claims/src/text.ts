/**
 * Text helpers shared by the heuristic models: tokens, stems, names, edit distance, spelled-out
 * numbers. Kept small and dependency-free so the models stay deterministic and fast.
 */
import { NUMBER_WORDS } from "./vocabulary.js";

/**
 * A crude suffix stripper: "flooded", "floods" and "flood" share a stem, so keyword weights need
 * one entry per idea rather than one per inflection. Also applied to weight keys, so whatever
 * it does to a word it does on both sides.
 */
export function stem(word: string): string {
  let w = word.toLowerCase().replace(/'s$/, "");
  if (w.length > 5 && w.endsWith("ing")) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith("ies")) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && w.endsWith("ed")) w = w.slice(0, -2);
  else if (w.length > 4 && w.endsWith("es")) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith("s") && !w.endsWith("ss")) w = w.slice(0, -1);
  if (w.length > 4 && w.endsWith("e")) w = w.slice(0, -1);
  return w;
}

/** Lower-case alphabetic words of a text, in order. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z]+(?:'[a-z]+)?/g) ?? [];
}

/** Distinct stems of a text, in order of first appearance. */
export function stems(text: string): string[] {
  return [...new Set(words(text).map(stem))];
}

/** "maria GARCIA" → "Maria Garcia". */
export function titleCase(name: string): string {
  return name
    .trim()
    .split(/\s+/)
    .map((w) => (w.length === 0 ? w : w[0]!.toUpperCase() + w.slice(1).toLowerCase()))
    .join(" ");
}

/** Lower-case letters and single spaces. Word order is kept: "Garcia Maria" is not "Maria Garcia". */
export function normaliseName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z]+/g, " ")
    .trim();
}

/** Whether two names are the same person's name, ignoring case, punctuation and spacing. */
export function sameName(a: string, b: string): boolean {
  return normaliseName(a) === normaliseName(b);
}

/**
 * Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of adjacent
 * characters all cost 1 — a swapped pair of digits is the most common way to mistype a number.
 */
export function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  const d: number[][] = Array.from({ length: n + 1 }, (_, i) => {
    const row = new Array<number>(m + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= m; j++) d[0]![j] = j;
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[n]![m]!;
}

/** True for the words a spelled-out amount is made of. */
export function isNumberWord(w: string): boolean {
  return Object.hasOwn(NUMBER_WORDS, w) || w === "hundred" || w === "thousand" || w === "and";
}

/**
 * Reads spelled-out numbers: "twelve hundred" → 1200, "three thousand five hundred" → 3500.
 * Returns null for anything it does not recognise, rather than a guess.
 */
export function parseNumberWords(text: string): number | null {
  const parts = text
    .toLowerCase()
    .split(/[\s-]+/)
    .filter((w) => w.length > 0 && w !== "and");
  if (parts.length === 0) return null;
  let total = 0;
  let current = 0;
  for (const w of parts) {
    const v = Object.hasOwn(NUMBER_WORDS, w) ? NUMBER_WORDS[w] : undefined;
    if (v !== undefined) current += v;
    else if (w === "hundred") current = (current || 1) * 100;
    else if (w === "thousand") {
      total += (current || 1) * 1_000;
      current = 0;
    } else return null;
  }
  const n = total + current;
  return n > 0 ? n : null;
}
