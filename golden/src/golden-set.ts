/**
 * The golden-set format: JSONL, one case per line,
 * `{"id":"…","input":…,"expected":{"<step>":<output>,…},"tags":["…"]}`.
 *
 * Every problem in a set is reported with its line number, not just the first, so a hand-edited
 * set is fixed in one pass (capped at MAX_REPORTED_ISSUES so a file that is not a golden set at
 * all does not produce a megabyte of messages). Blank lines are allowed and counted; comments
 * are not, because other JSONL tools would choke on them.
 *
 * Sets are versioned by content: the version is the SHA-256 of the canonical text, one
 * canonical-JSON line per case in file order. See golden/sets/README.md.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { canonicalJson, describe, memberPath, NotJsonError } from "./canonical-json.js";

/** One golden case: an input for the workflow and the output each named step should produce. */
export interface GoldenCase {
  /** Unique within the set; results and baselines are keyed by it. */
  id: string;
  /** Any JSON value, `null` included, passed to the workflow as its input. */
  input: unknown;
  /** Step name → the output that step should produce (any JSON value). At least one step. */
  expected: Record<string, unknown>;
  /** Labels for slicing the report (for example "hard", "ocr", "regression-142"). */
  tags?: string[];
}

/** A parsed, valid golden set. */
export interface GoldenSet {
  name: string | undefined;
  /** SHA-256 (hex) of the canonical text: equal sets have equal versions. */
  version: string;
  cases: GoldenCase[];
}

/** What reading a whole set through {@link readGoldenSet} established. */
export interface GoldenSetSummary {
  name: string | undefined;
  version: string;
  /** Number of cases. */
  cases: number;
}

export interface GoldenSetOptions {
  /** Names the set in error messages, for example its file name. */
  name?: string;
}

/** One problem, on a 1-based line (for a serialised array, the line the case would occupy). */
export interface GoldenSetIssue {
  line: number;
  message: string;
}

/** At most this many issues are kept; {@link GoldenSetError.issueCount} still counts them all. */
export const MAX_REPORTED_ISSUES = 100;

/** A golden set with problems, every one listed with its line (up to MAX_REPORTED_ISSUES). */
export class GoldenSetError extends Error {
  override readonly name = "GoldenSetError";

  constructor(
    readonly source: string | undefined,
    /** In line order, at most {@link MAX_REPORTED_ISSUES}. */
    readonly issues: GoldenSetIssue[],
    /** Every problem found, including those not kept in `issues`. */
    readonly issueCount: number,
  ) {
    const lines = issues.map((issue) => `  line ${issue.line}: ${issue.message}`);
    if (issueCount > issues.length) lines.push(`  … and ${issueCount - issues.length} more`);
    const what = source === undefined ? "golden set" : `golden set ${JSON.stringify(source)}`;
    super(`${what} is invalid (${issueCount} problem${issueCount === 1 ? "" : "s"}):\n${lines.join("\n")}`);
  }
}

const FIELDS = ["id", "input", "expected", "tags"];
// The characters on which node:readline splits, so both readers agree on line numbers.
const LINE_BREAK = /\r\n|\r|\n/;
// JSON's own whitespace only: a line of U+00A0 is not blank, it is a mistake worth reporting.
const BLANK = /^[ \t]*$/;

interface Checked {
  value: GoldenCase;
  /** The case's canonical line, without its line break. */
  json: string;
}

/**
 * Validates cases line by line for one set: per-case rules, ids unique across the set, and the
 * issue list with its cap. Memory grows with the number of ids, not with the cases.
 */
class SetChecker {
  readonly issues: GoldenSetIssue[] = [];
  issueCount = 0;
  private readonly firstLineOfId = new Map<string, number>();

  /** Checks one line of text; `undefined` for a blank line or one with problems. */
  line(text: string, line: number): Checked | undefined {
    // An editor's byte-order mark is not content; without this the first case fails to parse.
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (BLANK.test(text)) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const comment = /^\s*(\/\/|#)/.test(text) ? " (comments are not allowed in JSONL)" : "";
      this.report(line, `not valid JSON${comment}: ${(err as Error).message}`);
      return undefined;
    }
    return this.check(value, line);
  }

  /** Checks one case object; `undefined`, with its problems reported, when it is not valid. */
  check(value: unknown, line: number): Checked | undefined {
    if (!isPlainObject(value)) {
      this.report(line, `a case must be a JSON object, got ${describe(value)}`);
      return undefined;
    }
    const before = this.issueCount;
    const problem = (message: string): void => this.report(line, message);

    // A property holding `undefined` counts as absent, as in JSON.stringify: it lets callers
    // of serializeGoldenSet write `tags: maybeTags`.
    const present = (key: string): boolean => Object.hasOwn(value, key) && value[key] !== undefined;
    for (const key of Object.keys(value)) {
      if (!FIELDS.includes(key) && present(key)) {
        problem(`unknown field ${JSON.stringify(key)} (a case has only "id", "input", "expected" and "tags")`);
      }
    }

    const { id, input, expected, tags } = value;
    if (!present("id")) problem('missing "id"');
    else if (typeof id !== "string" || id === "") problem(`"id" must be a non-empty string, got ${quoteOrDescribe(id)}`);
    else {
      const first = this.firstLineOfId.get(id);
      if (first === undefined) this.firstLineOfId.set(id, line);
      else problem(`duplicate id ${JSON.stringify(id)} (first used on line ${first})`);
    }

    let inputJson = "";
    if (!present("input")) problem('missing "input" (write "input": null for a case without one)');
    else inputJson = canonicalOrReport(input, "input", problem);

    const steps: string[] = [];
    if (!present("expected")) problem('missing "expected"');
    else if (!isPlainObject(expected)) {
      problem(`"expected" must be an object mapping step names to outputs, got ${describe(expected)}`);
    } else {
      const names = Object.keys(expected);
      // A case that expects nothing measures nothing, and is almost always a half-written case.
      if (names.length === 0) problem('"expected" names no step; a case must expect the output of at least one step');
      for (const step of names.sort()) {
        if (step === "") problem('"expected" has an empty step name');
        else steps.push(`${JSON.stringify(step)}:${canonicalOrReport(expected[step], memberPath("expected", step), problem)}`);
      }
    }

    let tagsJson: string | undefined;
    if (present("tags")) {
      if (!Array.isArray(tags)) problem(`"tags" must be an array of strings, got ${describe(tags)}`);
      else {
        for (let i = 0; i < tags.length; i++) {
          const tag: unknown = tags[i];
          if (typeof tag !== "string" || tag === "") problem(`"tags[${i}]" must be a non-empty string, got ${quoteOrDescribe(tag)}`);
        }
        // Tag order is kept as written: reordering tags is an edit, like reordering cases.
        tagsJson = JSON.stringify(tags);
      }
    }

    if (this.issueCount > before) return undefined;
    const json = `{"id":${JSON.stringify(id)},"input":${inputJson},"expected":{${steps.join(",")}}${tagsJson === undefined ? "" : `,"tags":${tagsJson}`}}`;
    const checked: GoldenCase = { id: id as string, input, expected: expected as Record<string, unknown> };
    if (tagsJson !== undefined) checked.tags = tags as string[];
    return { value: checked, json };
  }

  /** Throws a {@link GoldenSetError} when any line had a problem. */
  throwIfInvalid(source: string | undefined): void {
    if (this.issueCount > 0) throw new GoldenSetError(source, this.issues, this.issueCount);
  }

  private report(line: number, message: string): void {
    this.issueCount++;
    if (this.issues.length < MAX_REPORTED_ISSUES) this.issues.push({ line, message });
  }
}

/** The canonical JSON of a value, or "" after reporting why it has none. */
function canonicalOrReport(value: unknown, path: string, problem: (message: string) => void): string {
  try {
    return canonicalJson(value, path);
  } catch (err) {
    if (!(err instanceof NotJsonError)) throw err;
    problem(err.message);
    return "";
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function quoteOrDescribe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : describe(value);
}

/**
 * Parses and validates a whole golden set held in memory.
 *
 * @throws {GoldenSetError} listing every problem with its line number.
 * @example
 * const set = parseGoldenSet(await readFile("golden/sets/claims.jsonl", "utf8"), { name: "claims.jsonl" });
 * set.cases[0].expected.classify; // "auto"
 */
export function parseGoldenSet(text: string, opts: GoldenSetOptions = {}): GoldenSet {
  const checker = new SetChecker();
  const hash = createHash("sha256");
  const cases: GoldenCase[] = [];
  const lines = text.split(LINE_BREAK);
  for (let i = 0; i < lines.length; i++) {
    const checked = checker.line(lines[i]!, i + 1);
    if (checked === undefined) continue;
    cases.push(checked.value);
    hash.update(`${checked.json}\n`);
  }
  checker.throwIfInvalid(opts.name);
  return { name: opts.name, version: hash.digest("hex"), cases };
}

/**
 * Reads a golden set from a file path or a stream (stdin, a gunzip stream) one line at a time,
 * yielding each valid case as soon as its line is read, so memory stays flat however large the
 * set (only the ids are kept, to catch duplicates).
 *
 * Problems do not stop the reading: once the last line has been read, a {@link GoldenSetError}
 * listing all of them is thrown. Cases before and after a bad line are still yielded, so a
 * caller that must not act on an invalid set reads it through once first ({@link checkGoldenSet}).
 * The generator's return value (seen through `next()`, not `for await`) is the set's summary,
 * its version the same as {@link goldenSetVersion} of the text.
 *
 * A file this opens is closed when the reading ends, fails or is abandoned (`break`); a stream
 * passed in is left to its owner.
 *
 * @example
 * for await (const c of readGoldenSet("golden/sets/claims.jsonl")) await runCase(c);
 */
export async function* readGoldenSet(source: string | Readable, opts: GoldenSetOptions = {}): AsyncGenerator<GoldenCase, GoldenSetSummary, undefined> {
  const name = opts.name ?? (typeof source === "string" ? source : undefined);
  const input = typeof source === "string" ? (await open(source)).createReadStream({ encoding: "utf8" }) : source;
  // crlfDelay: a "\r\n" split across two chunks is one line break, not two.
  const lines = createInterface({ input, crlfDelay: Infinity });
  const checker = new SetChecker();
  const hash = createHash("sha256");
  let count = 0;
  let lineNo = 0;
  try {
    for await (const text of lines) {
      const checked = checker.line(text, ++lineNo);
      if (checked === undefined) continue;
      hash.update(`${checked.json}\n`);
      count++;
      yield checked.value;
    }
  } finally {
    lines.close();
    if (input !== source) input.destroy();
  }
  checker.throwIfInvalid(name);
  return { name, version: hash.digest("hex"), cases: count };
}

/**
 * Reads a golden set through without keeping its cases, to validate it before acting on any
 * case, and returns its version and size.
 *
 * @throws {GoldenSetError} listing every problem with its line number.
 * @example
 * const { version, cases } = await checkGoldenSet("golden/sets/claims.jsonl");
 */
export async function checkGoldenSet(source: string | Readable, opts: GoldenSetOptions = {}): Promise<GoldenSetSummary> {
  const reader = readGoldenSet(source, opts);
  for (;;) {
    const next = await reader.next();
    if (next.done) return next.value;
  }
}

/**
 * The canonical JSONL text of a set: one line per case in the given order, each ending in "\n";
 * top-level fields in the order id, input, expected, tags; every object's keys sorted; no
 * whitespace. Parsing this text and serialising the cases again gives the same bytes.
 *
 * Cases are validated as {@link parseGoldenSet} would, so the text always parses back; values
 * JSON cannot hold (`undefined`, `NaN`, a `Date`) are refused rather than dropped.
 *
 * @throws {GoldenSetError} with each issue's line being the case's 1-based position.
 * @example
 * await writeFile("golden/sets/claims.jsonl", serializeGoldenSet(cases));
 */
export function serializeGoldenSet(cases: Iterable<GoldenCase>, opts: GoldenSetOptions = {}): string {
  const checker = new SetChecker();
  let text = "";
  let line = 0;
  for (const c of cases) {
    const checked = checker.check(c, ++line);
    if (checked !== undefined) text += `${checked.json}\n`;
  }
  checker.throwIfInvalid(opts.name);
  return text;
}

/**
 * The content version of a golden set: SHA-256 (hex) of its canonical text. Whitespace, blank
 * lines, line endings, key order and number spelling do not change it; any change to an id,
 * input, expected output or tag, or to the order of cases, does.
 *
 * @throws {GoldenSetError} when the text is not a valid golden set.
 * @example
 * goldenSetVersion('{"id":"c1","input":"hi","expected":{"echo":"hi"}}\n'); // 64 hex digits
 */
export function goldenSetVersion(text: string): string {
  return parseGoldenSet(text).version;
}
