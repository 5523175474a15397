/**
 * Canonical JSON: exactly one text per JSON value, so that a golden set can be versioned by the
 * hash of its text and an edit that changes nothing (whitespace, key order, `1.0` for `1`)
 * leaves the version alone.
 *
 * The rules are those of RFC 8785 (JCS) for the values a golden set holds: no whitespace;
 * object keys sorted by UTF-16 code unit at every depth; strings and numbers written as
 * `JSON.stringify` writes them (ECMAScript's shortest round-trip number form, which JCS also
 * uses). The text is built here rather than by `JSON.stringify` on a re-keyed object because
 * JavaScript objects list integer-like keys ("2", "10") first whatever order they were added in.
 *
 * Unlike `JSON.stringify`, it refuses what JSON cannot carry instead of dropping it or writing
 * `null`: a golden expectation silently turned into `null` would pass or fail for the wrong reason.
 */

/** Nesting deeper than this is refused with a message instead of exhausting the stack. */
export const MAX_JSON_DEPTH = 1000;

/** A value that has no JSON form, with where it sits (`input.items[2].price`). */
export class NotJsonError extends Error {
  override readonly name = "NotJsonError";

  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path} ${reason}`);
  }
}

/** A position in the value, kept as a chain and rendered only when something is wrong. */
interface PathStep {
  up: PathStep | string;
  key: string | number;
}

/**
 * The canonical JSON text of `value`, throwing {@link NotJsonError} for anything JSON cannot
 * represent: `undefined`, functions, symbols, bigints, non-finite numbers, integers beyond
 * ±(2^53 − 1), instances other than plain objects and arrays (a `Date`, a `Map`), circular
 * references, and nesting deeper than {@link MAX_JSON_DEPTH}.
 *
 * @example
 * canonicalJson({ b: [1.0, "x"], a: { d: null, c: true } }); // '{"a":{"c":true,"d":null},"b":[1,"x"]}'
 */
export function canonicalJson(value: unknown, name = "value"): string {
  return write(value, name, 0, new Set());
}

function write(value: unknown, path: PathStep | string, depth: number, open: Set<object>): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return writeNumber(value, path);
    case "object":
      break;
    default:
      throw new NotJsonError(render(path), `is ${describe(value)}, which JSON cannot represent`);
  }
  if (value === null) return "null";
  if (depth >= MAX_JSON_DEPTH) throw new NotJsonError(render(path), `nests deeper than ${MAX_JSON_DEPTH} levels`);
  if (open.has(value)) throw new NotJsonError(render(path), "refers back to itself (a circular reference)");

  open.add(value);
  let text: string;
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let i = 0; i < value.length; i++) items.push(write(value[i], { up: path, key: i }, depth + 1, open));
    text = `[${items.join(",")}]`;
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new NotJsonError(render(path), `is ${describe(value)}, not a plain object`);
    }
    const record = value as Record<string, unknown>;
    // Array#sort without a comparator compares UTF-16 code units, the order JCS prescribes.
    const members = Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${write(record[key], { up: path, key }, depth + 1, open)}`);
    text = `{${members.join(",")}}`;
  }
  // Only ancestors count as circular: the same object reached twice by different paths is a
  // tree in JSON terms and is written twice.
  open.delete(value);
  return text;
}

function writeNumber(value: number, path: PathStep | string): string {
  if (!Number.isFinite(value)) throw new NotJsonError(render(path), `is ${value}, which JSON cannot represent`);
  // Past 2^53 JavaScript has already rounded the literal it parsed (90071992547409931 reads as
  // 90071992547409940), and parsers that keep integers exact (Python, Go's json.Number) would
  // disagree with this text. Below 1e21 such a number prints as plain digits, so it is refused;
  // from 1e21 on it prints with an exponent and reads as a float everywhere.
  if (Number.isInteger(value) && !Number.isSafeInteger(value) && Math.abs(value) < 1e21) {
    throw new NotJsonError(render(path), `is an integer beyond ±(2^53 − 1) (read as ${value}), which cannot be kept exact; write it as a string`);
  }
  return JSON.stringify(value); // also turns -0 into 0
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `base.key`, or `base["odd key"]` when the key is not an identifier. */
export function memberPath(base: string, key: string): string {
  return IDENTIFIER.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

function render(path: PathStep | string): string {
  const keys: Array<string | number> = [];
  let at: PathStep | string = path;
  while (typeof at !== "string") {
    keys.push(at.key);
    at = at.up;
  }
  let text = at;
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i]!;
    text = typeof key === "number" ? `${text}[${key}]` : memberPath(text, key);
  }
  return text;
}

/** "a Date", "a function", "undefined": what a value is, for messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) return "an object";
    const ctor = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof ctor === "string" && ctor !== "" ? `a ${ctor}` : "an object with a prototype";
  }
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  const type = typeof value;
  return `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`;
}
