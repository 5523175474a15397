/**
 * Confidence from what a model call offers. Log-probabilities, when the provider returns them,
 * give the geometric mean of the generated tokens' probabilities, exp(mean log p): unlike the
 * product it does not shrink with the length of the answer, and a single unlikely token still
 * pulls it down.
 */

/** exp(mean) of the finite log-probabilities found, or undefined when there are none. */
export function meanTokenProbability(logprobs: readonly number[]): number | undefined {
  let sum = 0;
  let n = 0;
  for (const lp of logprobs) {
    if (typeof lp !== "number" || Number.isNaN(lp) || lp > 0) continue;
    sum += lp;
    n++;
  }
  if (n === 0) return undefined;
  const p = Math.exp(sum / n);
  return Number.isFinite(p) ? p : 0;
}

/**
 * Token log-probabilities in the shapes providers report them: a list of `{ logprob }` (chat
 * completions), lists of those per output (responses), or `{ token_logprobs: number[] }`
 * (completions).
 */
export function collectLogprobs(value: unknown, out: number[] = [], depth = 0): number[] {
  if (depth > 4 || value === null || typeof value !== "object") return out;
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === "number") out.push(item);
      else if (item !== null && typeof item === "object" && typeof (item as { logprob?: unknown }).logprob === "number")
        out.push((item as { logprob: number }).logprob);
      else collectLogprobs(item, out, depth + 1);
    }
    return out;
  }
  const tokenLogprobs = (value as { token_logprobs?: unknown }).token_logprobs;
  if (Array.isArray(tokenLogprobs)) collectLogprobs(tokenLogprobs, out, depth + 1);
  return out;
}

/** The confidence in `providerMetadata.<provider>.logprobs`, when any provider reported them. */
export function logprobConfidence(providerMetadata: unknown): number | undefined {
  if (providerMetadata === null || typeof providerMetadata !== "object") return undefined;
  const found: number[] = [];
  for (const meta of Object.values(providerMetadata as Record<string, unknown>)) {
    if (meta !== null && typeof meta === "object") collectLogprobs((meta as { logprobs?: unknown }).logprobs, found);
  }
  return meanTokenProbability(found);
}

/**
 * The confidence source to report with a step's confidence: `logprob` when it is the value the
 * log-probabilities gave (a scorer may hand that value back as it is), else none, since only the
 * scorer's author knows where another number came from.
 */
export function logprobSource(confidence: number | undefined, fromLogprobs: number | undefined): "logprob" | undefined {
  return confidence !== undefined && confidence === fromLogprobs ? "logprob" : undefined;
}

/** Structural equality of JSON values (key order ignored): tool inputs as parsed from JSON. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => sameJson(v, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
