import canonicalize from "canonicalize";

/**
 * Canonical JSON: exactly one text per JSON value, so that a golden set can be versioned by the
 * hash of its text and an edit that changes nothing (whitespace, key order, `1.0` for `1`)
 * leaves the version alone.
 *
 * The text is RFC 8785 (JCS), written by `canonicalize`, the RFC authors' implementation and the
 * one the server's audit chain hashes with, so the project has one canonical form. What this
 * module adds is the refusal: `canonicalize`, like `JSON.stringify`, drops `undefined` members
 * and calls `toJSON`, and a golden expectation silently turned into something else would pass or
 * fail for the wrong reason. So the value is first checked, and anything JSON cannot carry is
 * refused with where it sits.
 */

declare global {
  interface String {
    /** ES2024, in Node ≥ 20 (V8 11.3); the project's lib setting predates it. */
    isWellFormed(): boolean;
  }
}

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
 * ±(2^53 − 1), strings or keys holding a lone UTF-16 surrogate (UTF-8 cannot carry one), instances
 * other than plain objects and arrays (a `Date`, a `Map`), circular references, and nesting deeper
 * than {@link MAX_JSON_DEPTH}.
 *
 * @example
 * canonicalJson({ b: [1.0, "x"], a: { d: null, c: true } }); // '{"a":{"c":true,"d":null},"b":[1,"x"]}'
 */
export function canonicalJson(value: unknown, name = "value"): string {
  check(value, name, 0, new Set());
  // Checked above: nothing canonicalize would drop, call or refuse remains.
  return canonicalize(value) as string;
}

function check(value: unknown, path: PathStep | string, depth: number, open: Set<object>): void {
  switch (typeof value) {
    case "string":
      return checkString(value, path);
    case "boolean":
      return;
    case "number":
      return checkNumber(value, path);
    case "object":
      break;
    default:
      throw new NotJsonError(render(path), `is ${describe(value)}, which JSON cannot represent`);
  }
  if (value === null) return;
  if (depth >= MAX_JSON_DEPTH) throw new NotJsonError(render(path), `nests deeper than ${MAX_JSON_DEPTH} levels`);
  if (open.has(value)) throw new NotJsonError(render(path), "refers back to itself (a circular reference)");

  open.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) check(value[i], { up: path, key: i }, depth + 1, open);
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new NotJsonError(render(path), `is ${describe(value)}, not a plain object`);
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      checkString(key, path, key);
      check(record[key], { up: path, key }, depth + 1, open);
    }
  }
  // Only ancestors count as circular: the same object reached twice by different paths is a
  // tree in JSON terms and is written twice.
  open.delete(value);
}

function checkString(value: string, path: PathStep | string, key?: string): void {
  if (value.isWellFormed()) return;
  const where = key === undefined ? render(path) : `${render(path)} key ${JSON.stringify(key)}`;
  throw new NotJsonError(where, "holds a lone UTF-16 surrogate, which UTF-8 (and so JSON text on disk) cannot carry");
}

function checkNumber(value: number, path: PathStep | string): void {
  if (!Number.isFinite(value)) throw new NotJsonError(render(path), `is ${value}, which JSON cannot represent`);
  // Past 2^53 JavaScript has already rounded the literal it parsed (90071992547409931 reads as
  // 90071992547409940), and parsers that keep integers exact (Python, Go's json.Number) would
  // disagree with this text. Below 1e21 such a number prints as plain digits, so it is refused;
  // from 1e21 on it prints with an exponent and reads as a float everywhere.
  if (Number.isInteger(value) && !Number.isSafeInteger(value) && Math.abs(value) < 1e21) {
    throw new NotJsonError(render(path), `is an integer beyond ±(2^53 − 1) (read as ${value}), which cannot be kept exact; write it as a string`);
  }
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
