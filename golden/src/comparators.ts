/**
 * Comparators: when a step's actual output counts as matching what a golden case expects.
 * Each returns a verdict with a reason, so a failing case in the report says *why* it failed
 * ("amount: 1850 vs 1900, beyond ±1%") rather than only that it did.
 */
import { distance } from "fastest-levenshtein";
import { canonicalJson, describe as describeValue } from "./canonical-json.js";

/** A comparator's verdict on one step of one case. */
export interface Verdict {
  match: boolean;
  /** Why it did not match (absent on a match). */
  reason?: string;
}

/** Compares a step's actual output with the expected one. Must not throw for any JSON input. */
export type Comparator = (actual: unknown, expected: unknown) => Verdict;

const ok: Verdict = { match: true };
const no = (reason: string): Verdict => ({ match: false, reason });

/** Short text of a value for reasons: canonical JSON, cut at 80 characters. */
export function preview(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? "undefined" : canonicalJson(value);
  } catch {
    text = describeValue(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/**
 * Deep equality of JSON values: key order and number spelling do not matter, everything else does.
 * @example exact()({ a: 1, b: [2] }, { b: [2], a: 1 }).match; // true
 */
export function exact(): Comparator {
  return (actual, expected) => {
    let a: string;
    try {
      a = canonicalJson(actual);
    } catch (err) {
      return no(`output is not JSON: ${(err as Error).message}`);
    }
    return a === canonicalJson(expected) ? ok : no(`${preview(actual)} ≠ expected ${preview(expected)}`);
  };
}

/** Tolerance of {@link numeric}: absolute, relative to |expected|, or both (either suffices). */
export interface NumericTolerance {
  abs?: number;
  rel?: number;
}

/**
 * Numbers within a tolerance: |actual − expected| ≤ abs, or ≤ rel × |expected|.
 * `null` matches only `null` (a missing amount is not zero).
 * @example numeric({ rel: 0.1 })(3100, 3000).match; // true
 */
export function numeric(tolerance: NumericTolerance = { abs: 1e-9 }): Comparator {
  const { abs = 0, rel = 0 } = tolerance;
  if (abs < 0 || rel < 0 || !Number.isFinite(abs) || !Number.isFinite(rel)) throw new RangeError("tolerances must be finite and ≥ 0");
  return (actual, expected) => {
    if (expected === null || actual === null) return actual === expected ? ok : no(`${preview(actual)} ≠ expected ${preview(expected)}`);
    if (typeof expected !== "number") return no(`expected ${preview(expected)} is not a number`);
    if (typeof actual !== "number" || !Number.isFinite(actual)) return no(`${preview(actual)} is not a finite number`);
    const diff = Math.abs(actual - expected);
    if (diff <= abs || diff <= rel * Math.abs(expected)) return ok;
    const bounds = [abs > 0 ? `±${abs}` : "", rel > 0 ? `±${rel * 100}%` : ""].filter(Boolean).join(" or ") || "exact";
    return no(`${actual} vs expected ${expected}: off by ${diff}, beyond ${bounds}`);
  };
}

/**
 * Arrays compared as sets: same members (by canonical JSON) whatever the order; duplicates
 * count once. With `subset`, the actual output may hold extra members.
 * @example set()(["b", "a", "a"], ["a", "b"]).match; // true
 */
export function set(options: { subset?: boolean } = {}): Comparator {
  return (actual, expected) => {
    if (!Array.isArray(expected)) return no(`expected ${preview(expected)} is not an array`);
    if (!Array.isArray(actual)) return no(`${preview(actual)} is not an array`);
    const keys = (xs: unknown[]): Set<string> | string => {
      const out = new Set<string>();
      for (const x of xs) {
        try {
          out.add(canonicalJson(x));
        } catch (err) {
          return (err as Error).message;
        }
      }
      return out;
    };
    const a = keys(actual);
    const e = keys(expected);
    if (typeof a === "string") return no(`output is not JSON: ${a}`);
    if (typeof e === "string") return no(`expected is not JSON: ${e}`);
    const missing = [...e].filter((k) => !a.has(k));
    const extra = options.subset ? [] : [...a].filter((k) => !e.has(k));
    if (missing.length === 0 && extra.length === 0) return ok;
    const parts = [missing.length ? `missing ${missing.slice(0, 3).join(", ")}` : "", extra.length ? `unexpected ${extra.slice(0, 3).join(", ")}` : ""];
    return no(parts.filter(Boolean).join("; "));
  };
}

/**
 * JSON subset: every member the expected object names must be present in the actual output and
 * match (recursively); extra members in the output are fine. Arrays match element by element
 * with equal length; leaves match exactly. `null` in expected demands `null`.
 * @example jsonSubset()({ a: 1, b: { c: 2, d: 3 } }, { b: { c: 2 } }).match; // true
 */
export function jsonSubset(): Comparator {
  const walk = (actual: unknown, expected: unknown, path: string): string | undefined => {
    if (Array.isArray(expected)) {
      if (!Array.isArray(actual)) return `${path}: ${preview(actual)} is not an array`;
      if (actual.length !== expected.length) return `${path}: ${actual.length} items, expected ${expected.length}`;
      for (let i = 0; i < expected.length; i++) {
        const r = walk(actual[i], expected[i], `${path}[${i}]`);
        if (r) return r;
      }
      return undefined;
    }
    if (expected !== null && typeof expected === "object") {
      if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return `${path}: ${preview(actual)} is not an object`;
      for (const key of Object.keys(expected)) {
        const child = `${path}.${key}`;
        if (!Object.hasOwn(actual, key)) return `${child} is missing`;
        const r = walk((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], child);
        if (r) return r;
      }
      return undefined;
    }
    return Object.is(actual, expected) || actual === expected ? undefined : `${path}: ${preview(actual)} ≠ expected ${preview(expected)}`;
  };
  return (actual, expected) => {
    const reason = walk(actual, expected, "output");
    return reason ? no(reason) : ok;
  };
}

/**
 * Text similarity: 1 − Levenshtein distance / length of the longer text, after trimming,
 * collapsing whitespace and (by default) lower-casing; matches at or above `threshold`.
 * @example text({ threshold: 0.9 })("Rear bumper dented", "rear bumper dented.").match; // true
 */
export function text(options: { threshold?: number; caseSensitive?: boolean } = {}): Comparator {
  const threshold = options.threshold ?? 0.9;
  if (!(threshold >= 0 && threshold <= 1)) throw new RangeError("threshold must be in [0, 1]");
  const norm = (s: string) => {
    const t = s.trim().replace(/\s+/g, " ");
    return options.caseSensitive ? t : t.toLowerCase();
  };
  return (actual, expected) => {
    if (typeof expected !== "string") return no(`expected ${preview(expected)} is not a string`);
    if (typeof actual !== "string") return no(`${preview(actual)} is not a string`);
    const sim = similarity(norm(actual), norm(expected));
    return sim >= threshold ? ok : no(`similarity ${sim.toFixed(3)} below ${threshold}`);
  };
}

/** Normalised Levenshtein similarity in [0, 1]; 1 for two empty strings. */
export function similarity(a: string, b: string): number {
  const longest = Math.max(a.length, b.length);
  return longest === 0 ? 1 : 1 - distance(a, b) / longest;
}

/**
 * A comparator from a predicate, for domain rules ("reserves agree within 10%").
 * A predicate that throws is a mismatch carrying the error, never a crash of the run.
 * @example custom((a, e) => stepCorrect("reserve", a, e), "reserve within 10%");
 */
export function custom(predicate: (actual: unknown, expected: unknown) => boolean | Verdict, name = "custom rule"): Comparator {
  return (actual, expected) => {
    try {
      const r = predicate(actual, expected);
      if (typeof r === "boolean") return r ? ok : no(`${name}: ${preview(actual)} vs expected ${preview(expected)}`);
      return r;
    } catch (err) {
      return no(`${name} threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}

/** The comparator for a step: the workflow's own when it names one, else exact. */
export function comparatorFor(step: string, comparators: Readonly<Record<string, Comparator>> | undefined): Comparator {
  return (comparators && Object.hasOwn(comparators, step) ? comparators[step] : undefined) ?? defaultComparator;
}

const defaultComparator = exact();
