/**
 * Typing noise for generated text. Typos are what make a keyword model lose evidence: "vehicel"
 * is not "vehicle". Numbers and short words are left alone — a typo in an amount changes the
 * claim, not the noise, and the generator models those (policy-number typos) on purpose.
 */
import type { Rng } from "./prng.js";
import { PROTECTED_WORDS } from "./vocabulary.js";

/** One typing slip inside a word: swapped, dropped or doubled letter. */
export function typo(word: string, rng: Rng): string {
  if (word.length < 4) return word;
  const i = rng.int(1, word.length - 2);
  switch (rng.int(0, 2)) {
    case 0:
      return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
    case 1:
      return word.slice(0, i) + word.slice(i + 1);
    default:
      return word.slice(0, i) + word[i] + word.slice(i);
  }
}

/** Replaces each alphabetic word of 4+ letters with a typo with probability `rate`. */
export function addTypos(text: string, rate: number, rng: Rng): string {
  if (rate <= 0) return text;
  return text.replace(/[A-Za-z]{4,}/g, (w) => (!PROTECTED_WORDS.has(w.toLowerCase()) && rng.chance(rate) ? typo(w, rng) : w));
}
