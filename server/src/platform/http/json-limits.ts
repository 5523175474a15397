/** The bounds every JSON value a client sends is held to. */
export interface JsonItemLimits {
  maxStringLength: number;
  maxDepth: number;
  /** Let NUL characters through: for an envelope whose items are checked one by one afterwards. */
  allowNul?: boolean;
}

export interface LimitViolation {
  code: "string_too_long" | "too_deep" | "nul_character";
  message: string;
}

/**
 * Checks every string (keys included) against `maxStringLength` and the nesting of objects and
 * arrays against `maxDepth` (the value itself is depth 1), and refuses the NUL character: the
 * store keeps it, but SQLite's text functions and the libSQL driver read a text value only up to
 * its first NUL, so "w\u0000x" would come back as "w" — refused here, whole and with a reason,
 * rather than kept cut. Iterative with an explicit stack: a
 * recursive walk is exactly what a hostile, deeply nested payload would overflow. With `counts`,
 * adds up the member names of every object on the way.
 */
export function checkJsonLimits(value: unknown, limits: JsonItemLimits, counts?: { keys: number }): LimitViolation | null {
  const values: unknown[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop()!;
    if (typeof v === "string") {
      if (v.length > limits.maxStringLength) return tooLong(limits);
      if (!limits.allowNul && v.includes("\u0000")) return NUL;
      continue;
    }
    if (typeof v !== "object" || v === null) continue;
    if (depth > limits.maxDepth) return { code: "too_deep", message: `nesting deeper than ${limits.maxDepth} levels` };
    if (Array.isArray(v)) {
      for (const x of v) {
        values.push(x);
        depths.push(depth + 1);
      }
    } else {
      const keys = Object.keys(v);
      if (counts) counts.keys += keys.length;
      for (const k of keys) {
        if (k.length > limits.maxStringLength) return tooLong(limits);
        if (!limits.allowNul && k.includes("\u0000")) return NUL;
        values.push((v as Record<string, unknown>)[k]);
        depths.push(depth + 1);
      }
    }
  }
  return null;
}

const NUL: LimitViolation = {
  code: "nul_character",
  message: "a string contains the NUL character (U+0000), which the store cannot read back; remove or escape it",
};

function tooLong(limits: JsonItemLimits): LimitViolation {
  return { code: "string_too_long", message: `a string is longer than ${limits.maxStringLength} characters` };
}
