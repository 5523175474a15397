import fc from "fast-check";
import { gzipSync, deflateSync } from "node:zlib";

/**
 * fast-check generators for `POST /v1/events` (test/contract/ingest-fuzz.test.ts): valid events
 * shaped like server/src/routes/events-fixtures.ts, mutations of them that each know whether the
 * collector must accept or reject the result (and with which code), and malformed envelopes.
 *
 * The verdicts are written here from the documented wire format and the contract, not by calling the server's
 * parser, so a validation bug shows up as a disagreement instead of being copied into the oracle.
 */

/** The limits the fuzzed server runs with: low, so that "over the limit" is cheap to generate. */
export const FUZZ_LIMITS = { maxStringLength: 256, maxDepth: 8, maxBodyBytes: 64 * 1024, maxBatchEvents: 16 } as const;

export const FUZZ_ENV = {
  SEAMTRACE_MAX_STRING_LENGTH: String(FUZZ_LIMITS.maxStringLength),
  SEAMTRACE_MAX_DEPTH: String(FUZZ_LIMITS.maxDepth),
  SEAMTRACE_MAX_BODY_BYTES: String(FUZZ_LIMITS.maxBodyBytes),
  SEAMTRACE_MAX_BATCH_EVENTS: String(FUZZ_LIMITS.maxBatchEvents),
};

/** JSON text put into the body verbatim: numbers JSON.stringify cannot write (1e400, -0, 1.0), duplicate keys, deep nesting. */
export class Raw {
  constructor(readonly text: string) {}
}

export function serialize(value: unknown): string {
  const raws: string[] = [];
  const json = JSON.stringify(value, (_k, v: unknown) => (v instanceof Raw ? `\u0001RAW${raws.push(v.text) - 1}\u0002` : v));
  return json.replace(/"\\u0001RAW(\d+)\\u0002"/g, (_, i: string) => raws[Number(i)]!);
}

export type LimitCode = "string_too_long" | "too_deep" | "nul_character";
type Verdict = { valid: true } | { valid: false; limit?: LimitCode };

/** One item of a batch and what the collector must answer for it. */
export interface GenItem {
  value: unknown;
  /** `valid`: accepted (or duplicate); `invalid`: rejected. */
  valid: boolean;
  /** For a rejected item: the codes it may carry (a size-limit violation names its limit). */
  codes: string[];
  /** The `id` the answer must echo for a rejected item (null when the item has no usable id). */
  id: string | null;
  /** What was done to the event, for failure messages. */
  trail: string[];
}

// A mutation of confidence, cumulative or calibrated is named apart (invalid_confidence); the
// generator does not track which field a mutation broke, so any schema code may answer it.
const SCHEMA_CODES = ["invalid_event", "invalid_confidence", "unknown_type"];

type Kind =
  | "uuid"
  | "time"
  | "name"
  | "version"
  | "key"
  | "text"
  | "unit"
  | "millis"
  | "attempt"
  | "count"
  | "call"
  | "bool"
  | "source"
  | "uuids"
  | "any"
  | "array"
  | "features"
  | "errors"
  | "error"
  | "gate"
  | "spotCheck"
  | "contract";

type EventKind = "run.started" | "step" | "run.ended" | "sdk.dropped";

const RUN_BASE: Record<string, Kind> = { id: "uuid", time: "time", runId: "uuid", workflow: "name", version: "version" };
const FIELDS: Record<EventKind, Record<string, Kind>> = {
  "run.started": { ...RUN_BASE, key: "key", input: "any" },
  step: {
    ...RUN_BASE,
    stepId: "uuid",
    step: "name",
    parents: "uuids",
    input: "any",
    output: "any",
    confidence: "unit",
    cumulative: "unit",
    source: "source",
    observedAt: "time",
    maxAgeMs: "millis",
    stale: "bool",
    reasoning: "text",
    alternatives: "array",
    features: "features",
    attempt: "attempt",
    call: "call",
    attemptErrors: "errors",
    durationMs: "millis",
    startedAt: "time",
    error: "error",
    gate: "gate",
    flagged: "bool",
    escalationId: "uuid",
    spotCheck: "spotCheck",
    contract: "contract",
  },
  "run.ended": { ...RUN_BASE, output: "any", error: "error", stepId: "uuid", escalationId: "uuid", durationMs: "millis" },
  "sdk.dropped": { id: "uuid", time: "time", reason: "name", count: "count", from: "time", to: "time" },
};
const REQUIRED: Record<EventKind, string[]> = {
  "run.started": ["id", "time", "runId", "workflow", "version"],
  step: ["id", "time", "runId", "workflow", "version", "stepId", "step", "parents", "source", "stale", "attempt", "durationMs", "startedAt"],
  "run.ended": ["id", "time", "runId", "workflow", "version", "durationMs"],
  "sdk.dropped": ["id", "time", "reason", "count", "from", "to"],
};

/** Every field any event type has: extra fields are drawn outside this set. */
export const KNOWN_FIELDS = new Set(["type", ...Object.values(FIELDS).flatMap((f) => Object.keys(f))]);

const UUID_FIELDS = ["id", "runId", "stepId", "escalationId"];

/**
 * What a valid item says, as the collector must compare it with an event stored under the same
 * id: the fields its type has (others are stripped), numbers as JSON reads them, UUIDs in lower
 * case. Two items with the same id are the same event (a duplicate) exactly when these are equal.
 */
export function contentOf(value: unknown): Record<string, unknown> {
  const parsed = JSON.parse(serialize(value)) as Record<string, unknown>;
  const fields = FIELDS[kindOf(parsed.type as string)];
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed)) if (k === "type" || Object.hasOwn(fields, k)) out[k] = v;
  for (const k of UUID_FIELDS) if (typeof out[k] === "string") out[k] = (out[k] as string).toLowerCase();
  if (Array.isArray(out.parents)) out.parents = (out.parents as string[]).map((p) => p.toLowerCase());
  return out;
}

function kindOf(type: string): EventKind {
  if (type === "step.completed" || type === "step.failed") return "step";
  if (type === "run.completed" || type === "run.failed" || type === "run.paused") return "run.ended";
  return type as EventKind;
}

// ---------------------------------------------------------------------------------------------
// Valid events

const uuid = fc.uuid();
const isoTime = fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString());
const unit = fc.double({ min: 0, max: 1, noNaN: true });
const shortText = fc.string({ maxLength: 24 });
const smallJson = fc.jsonValue({ maxDepth: 3 });
const gate = fc.record(
  {
    outcome: fc.constantFrom("pass", "escalate", "flag"),
    kinds: fc.subarray(["confidence", "cumulative", "contract", "stale"]),
    minConfidence: unit,
    minCumulative: unit,
    issues: fc.array(fc.record({ message: shortText, path: fc.array(fc.oneof(shortText, fc.nat(20)), { maxLength: 3 }) }, { requiredKeys: ["message"] }), {
      maxLength: 2,
    }),
  },
  { requiredKeys: ["outcome", "kinds"] },
);
const errorInfo = fc.record(
  { name: fc.constantFrom("Error", "TypeError", "FetchError"), message: shortText, stack: shortText },
  { requiredKeys: ["name", "message"] },
);
const runBase = {
  id: uuid,
  time: isoTime,
  runId: uuid,
  workflow: fc.constantFrom("claims", "triage", "réclamations"),
  version: fc.constantFrom("1", "3", "2025-01"),
};

const runStarted = fc.record(
  { ...runBase, type: fc.constant("run.started"), key: fc.string({ minLength: 1, maxLength: 20 }), input: smallJson },
  { requiredKeys: ["id", "time", "runId", "workflow", "version", "type"] },
);
const step = fc.record(
  {
    ...runBase,
    type: fc.constantFrom("step.completed", "step.failed"),
    stepId: uuid,
    step: fc.constantFrom("extract", "classify", "match-policy"),
    parents: fc.array(uuid, { maxLength: 3 }),
    input: smallJson,
    output: smallJson,
    confidence: unit,
    cumulative: unit,
    source: fc.constantFrom("direct", "inferred", "human", "cache"),
    observedAt: isoTime,
    maxAgeMs: fc.nat(),
    stale: fc.boolean(),
    reasoning: shortText,
    alternatives: fc.array(smallJson, { maxLength: 2 }),
    features: fc.dictionary(
      fc.string({ maxLength: 8 }),
      fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 8 }), fc.boolean()),
      { maxKeys: 3 },
    ),
    attempt: fc.integer({ min: 1, max: 5 }),
    call: fc.nat(1_000_000),
    attemptErrors: fc.array(errorInfo, { maxLength: 2 }),
    durationMs: fc.nat(),
    startedAt: isoTime,
    error: errorInfo,
    // Often present, so that gate.<outcome> audit entries are exercised.
    gate,
    flagged: fc.boolean(),
    escalationId: uuid,
    spotCheck: fc.record({ rate: fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true }) }),
    contract: fc.record({ jsonSchema: fc.constant({ type: "object" }), vendor: fc.constantFrom("openai", "anthropic") }, { requiredKeys: ["jsonSchema"] }),
  },
  {
    requiredKeys: [
      "id",
      "time",
      "runId",
      "workflow",
      "version",
      "type",
      "stepId",
      "step",
      "parents",
      "source",
      "stale",
      "attempt",
      "durationMs",
      "startedAt",
      "gate",
    ],
  },
);
const runEnded = fc.record(
  {
    ...runBase,
    type: fc.constantFrom("run.completed", "run.failed", "run.paused"),
    output: smallJson,
    error: errorInfo,
    stepId: uuid,
    escalationId: uuid,
    durationMs: fc.nat(),
  },
  { requiredKeys: ["id", "time", "runId", "workflow", "version", "type", "durationMs"] },
);
const dropped = fc.record({
  id: uuid,
  time: isoTime,
  type: fc.constant("sdk.dropped"),
  reason: fc.constantFrom("buffer_full", "shutdown"),
  count: fc.nat(),
  from: isoTime,
  to: isoTime,
});

export const validEvent: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { arbitrary: runStarted, weight: 2 },
  { arbitrary: step, weight: 4 },
  { arbitrary: runEnded, weight: 2 },
  { arbitrary: dropped, weight: 1 },
) as fc.Arbitrary<Record<string, unknown>>;

// ---------------------------------------------------------------------------------------------
// Values, per kind of field: some that must be rejected, some odd ones that must be accepted

/** A string over the string limit: rejected as string_too_long before any schema check. */
const tooLong = fc.integer({ min: FUZZ_LIMITS.maxStringLength + 1, max: FUZZ_LIMITS.maxStringLength + 600 }).map((n) => "x".repeat(n));
const atLimit = "y".repeat(FUZZ_LIMITS.maxStringLength);

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const oddChar = fc.oneof(
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  loneSurrogate,
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal "${x}" on purpose
  fc.constantFrom("\u0000", "\u202e", "\ufeff", "\u200d", "👩‍👩‍👧", "e\u0301", "\uffff", "\\", '"', "'", "%s", "${x}", "</script>", "\n", "\t", "' OR 1=1 --"),
);
/** Unicode with lone surrogates, NULs, bidi controls and the like; `max` elements of ≤ 11 UTF-16 units. An item holding a NUL is expected refused (`holdsNul`). */
const oddText = (min: number, max: number) => fc.array(oddChar, { minLength: min, maxLength: max }).map((a) => a.join(""));

const BAD_UUIDS = [
  "",
  "not-a-uuid",
  "0190f0f0-0000-7000-8000-00000000000",
  "0190f0f0-0000-7000-8000-0000000000000",
  "{0190f0f0-0000-7000-8000-000000000000}",
  "0190f0f000007000800000000000000",
  "0190f0f0-0000-0000-8000-000000000000",
  "0190f0f0-0000-7000-c000-000000000000",
  "0190f0f0-0000-7000-8000-00000000000g",
  "٠١٩٠f0f0-0000-7000-8000-000000000000",
  "0190f0f0-0000-7000-8000-000000000000\n",
  " 0190f0f0-0000-7000-8000-000000000000",
  "0190f0f0_0000_7000_8000_000000000000",
  "urn:uuid:0190f0f0-0000-7000-8000-000000000000",
  "0190f0f0-0000-9000-8000-000000000000",
];
const BAD_TIMES = [
  "",
  "2025-13-01T00:00:00Z",
  "2025-02-30T00:00:00Z",
  "2025-04-31T00:00:00Z",
  "2025-01-15T24:00:00Z",
  "2025-01-15T09:30:00",
  "2025-01-15",
  "yesterday",
  "2025-01-15T09:30:00+99:99",
  "2025-01-15T09:30:60Z",
  "1736933400000",
  "+275760-09-13T00:00:00.000Z",
  "2025-01-15 09:30:00Z",
  "2025-01-15T09:30Z",
  "2025-1-5T9:30:00Z",
  "Wed, 15 Jan 2025 09:30:00 GMT",
  "NaN",
  "Invalid Date",
];
const wrongTypes = (...but: string[]) =>
  [1, 0, -1, true, false, null, [], {}, "x", "1", "NaN", "Infinity", "-0"].filter(
    (v) => !but.includes(typeof v === "string" ? "string" : Array.isArray(v) ? "array" : v === null ? "null" : typeof v),
  );

/** Values a field of this kind must refuse. `tooLong` ones are refused by the string limit. */
function badValue(kind: Kind): fc.Arbitrary<{ value: unknown; limit?: LimitCode }> | null {
  const plain = (...vs: unknown[]) => fc.constantFrom(...vs).map((value) => ({ value }));
  const long = tooLong.map((value) => ({ value, limit: "string_too_long" as const }));
  switch (kind) {
    case "uuid":
      return fc.oneof(
        plain(...BAD_UUIDS),
        plain(...wrongTypes("string")),
        fc
          .string({ maxLength: 40 })
          .filter((s) => !/^[0-9a-f-]{36}$/i.test(s))
          .map((value) => ({ value })),
      );
    case "time":
      return fc.oneof(plain(...BAD_TIMES), plain(1736933400000, null, true, {}, []));
    case "name":
      return fc.oneof(plain("", ...wrongTypes("string")), long);
    case "version":
      return fc.oneof(
        plain("", ...wrongTypes("string")),
        fc.integer({ min: 129, max: FUZZ_LIMITS.maxStringLength }).map((n) => ({ value: "v".repeat(n) })),
        long,
      );
    case "key":
      return fc.oneof(plain("", ...wrongTypes("string")), long);
    case "text":
      return fc.oneof(plain(...wrongTypes("string")), long);
    case "unit":
      return plain(-1e-9, 1.0000001, 2, -5, 1e308, -0.5, new Raw("1e400"), new Raw("-1e400"), "0.5", "NaN", "Infinity", null, true, [], {});
    case "millis":
      return plain(-1, -0.5, 9007199254740992, 1e300, new Raw("1e400"), new Raw("-1e-300"), "100", "NaN", null, false, []);
    case "attempt":
      return plain(0, -1, 1.5, 9007199254740992, new Raw("1e400"), new Raw("1.0000001"), "1", null, []);
    case "count":
      return plain(-1, 0.5, 9007199254740992, new Raw("1e400"), "3", null);
    case "call":
      return plain(-1, 1_000_001, 0.5, new Raw("1e400"), "0", null);
    case "bool":
      return plain("true", "false", 0, 1, null, [], {});
    case "source":
      return plain("DIRECT", "", "other", "direct ", 1, null, ["direct"]);
    case "uuids":
      return fc.oneof(
        plain("0190f0f0-0000-7000-8000-000000000000", null, {}, 1, { 0: "0190f0f0-0000-7000-8000-000000000000" }),
        fc.constantFrom(...BAD_UUIDS).map((u) => ({ value: [u] })),
      );
    case "any":
      return null;
    case "array":
      return plain("x", {}, 1, null, true);
    case "features":
      return plain({ a: null }, { a: [1] }, { a: {} }, [], "x", null, { a: new Raw("1e400") }, { a: new Raw("-1e400") }, 1);
    case "errors":
      return plain([{}], [{ name: "E" }], [{ message: "m" }], "x", [null], null, {});
    case "error":
      return plain({ message: "x" }, { name: 1, message: "x" }, "boom", null, { name: "E", message: "m", stack: 1 }, []);
    case "gate":
      return plain(
        { outcome: "maybe", kinds: [] },
        { outcome: "pass" },
        { outcome: "flag", kinds: ["other"] },
        "pass",
        null,
        { outcome: "pass", kinds: [], minConfidence: 2 },
        { outcome: "escalate", kinds: "confidence" },
        { outcome: "PASS", kinds: [] },
      );
    case "spotCheck":
      return plain({ rate: 0 }, { rate: 1.5 }, {}, { rate: "0.5" }, null, { rate: -0.1 }, 0.5);
    case "contract":
      return plain({ jsonSchema: [] }, { jsonSchema: {}, vendor: "" }, {}, "x", null, { jsonSchema: null }, { jsonSchema: {}, vendor: 1 });
  }
}

/** Nested arrays/objects `depth` containers deep around a number. */
function nest(depth: number, objects: boolean): unknown {
  let v: unknown = 42;
  for (let i = 0; i < depth; i++) v = objects ? { k: v } : [v];
  return v;
}

/** Odd values a field of this kind must still accept (boundaries, unicode, JSON number forms). */
function oddValue(kind: Kind): fc.Arbitrary<unknown> {
  switch (kind) {
    case "uuid":
      return fc.oneof(
        fc.constantFrom("00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"),
        uuid.map((u) => u.toUpperCase()),
      );
    case "time":
      return fc.constantFrom(
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z",
        "2025-01-15T09:30:00+14:00",
        "2025-01-15T09:30:00.1Z",
        "2025-01-15T09:30:00+05:45",
        "2024-02-29T23:59:59Z",
      );
    case "name":
      return fc.oneof(oddText(1, 20), fc.constant(atLimit));
    case "version":
      return fc.oneof(oddText(1, 10), fc.constant("v".repeat(128)));
    case "key":
    case "text":
      return fc.oneof(oddText(1, 20), fc.constant(atLimit));
    case "unit":
      return fc.constantFrom(
        0,
        1,
        0.5,
        new Raw("1e-400"),
        new Raw("-0"),
        new Raw("5E-1"),
        new Raw("1.000000000000000000001"),
        new Raw("0.99999999999999999999"),
      );
    case "millis":
      return fc.constantFrom(0, 9007199254740991, 0.5, new Raw("-0"), new Raw("1e-400"), new Raw("1E3"));
    case "attempt":
      return fc.constantFrom(1, 9007199254740991, new Raw("1.0"), new Raw("1e0"));
    case "count":
      return fc.constantFrom(0, 9007199254740991, new Raw("-0"), new Raw("2.0"));
    case "call":
      return fc.constantFrom(0, 1_000_000, new Raw("1e6"));
    case "bool":
      return fc.boolean();
    case "source":
      return fc.constantFrom("direct", "inferred", "human", "cache");
    case "uuids":
      return fc.oneof(fc.constant([]), fc.constant(["00000000-0000-0000-0000-000000000000"]), fc.array(uuid, { minLength: 1, maxLength: 5 }));
    case "any":
      return fc.oneof(
        fc.jsonValue({ maxDepth: 4 }),
        oddText(0, 20),
        fc.constant(atLimit),
        fc.constantFrom(
          null,
          new Raw("1e400"),
          new Raw("-0"),
          new Raw("[1e400,-1e400,1e-400]"),
          new Raw('{"a":1,"a":2}'),
          new Raw('{"__proto__":{"polluted":1}}'),
          new Raw('{"constructor":{"prototype":{"x":1}}}'),
        ),
        // Containers 2..8 levels down from the event, the depth limit exactly.
        fc.tuple(fc.integer({ min: 1, max: FUZZ_LIMITS.maxDepth - 1 }), fc.boolean()).map(([d, o]) => nest(d, o)),
      );
    case "array":
      return fc.oneof(fc.constant([]), fc.constant([new Raw("1e400")]), fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 3 }));
    case "features":
      return fc.constantFrom({}, { "": "" }, { constructor: 1, toString: "x", hasOwnProperty: true }, { a: new Raw("1e-400") }, { "é\u0000": -0.5 });
    case "errors":
      return fc.constantFrom([], [{ name: "", message: "" }]);
    case "error":
      return fc.constantFrom({ name: "", message: "" }, { name: "E", message: "m", stack: "s" });
    case "gate":
      return gate;
    case "spotCheck":
      return fc.constantFrom({ rate: 1 }, { rate: 1e-300 }, { rate: new Raw("5e-324") });
    case "contract":
      return fc.constantFrom({ jsonSchema: {} }, { jsonSchema: { type: "object", properties: { a: { type: "string" } } }, vendor: "openai" });
  }
}

// ---------------------------------------------------------------------------------------------
// Mutations

interface Draft {
  obj: Record<string, unknown>;
  /** The event kind the draft started as: mutations pick fields from its table. */
  kind: EventKind;
  /** Last verdict per field (a later mutation of the same field replaces it). */
  verdicts: Map<string, Verdict>;
  trail: string[];
}

type Mutation = (d: Draft) => fc.Arbitrary<Draft>;

function withField(d: Draft, field: string, value: unknown, verdict: Verdict, note: string): Draft {
  const obj = { ...d.obj };
  if (value === undefined) delete obj[field];
  else Object.defineProperty(obj, field, { value, enumerable: true, writable: true, configurable: true });
  return { ...d, obj, verdicts: new Map(d.verdicts).set(field, verdict), trail: [...d.trail, note] };
}

const removeRequired: Mutation = (d) => fc.constantFrom(...REQUIRED[d.kind]).map((f) => withField(d, f, undefined, { valid: false }, `remove required ${f}`));

const removeOptional: Mutation = (d) => {
  const optional = Object.keys(d.obj).filter((f) => f !== "type" && f in FIELDS[d.kind] && !REQUIRED[d.kind].includes(f));
  if (optional.length === 0) return fc.constant(d);
  return fc.constantFrom(...optional).map((f) => withField(d, f, undefined, { valid: true }, `remove optional ${f}`));
};

const setBad: Mutation = (d) => {
  const fields = Object.entries(FIELDS[d.kind]).filter(([, k]) => badValue(k) !== null);
  return fc
    .constantFrom(...fields)
    .chain(([f, k]) => badValue(k)!.map((b) => withField(d, f, b.value, { valid: false, limit: b.limit }, `bad ${f}=${preview(b.value)}`)));
};

const setOdd: Mutation = (d) =>
  fc.constantFrom(...Object.entries(FIELDS[d.kind])).chain(([f, k]) => oddValue(k).map((v) => withField(d, f, v, { valid: true }, `odd ${f}=${preview(v)}`)));

const setType: Mutation = (d) =>
  fc
    .oneof(
      fc.constantFrom(
        "run.start",
        "RUN.STARTED",
        "",
        "step",
        "run.completed ",
        "toString",
        "__proto__",
        "constructor",
        "sdk.dropped\u0000",
        1,
        null,
        true,
        [],
        {},
      ),
      fc
        .string({ maxLength: 20 })
        .filter((s) => !["run.started", "step.completed", "step.failed", "run.completed", "run.failed", "run.paused", "sdk.dropped"].includes(s)),
    )
    .map((t) => withField(d, "type", t, { valid: false }, `type=${preview(t)}`));

/** Fields no event has, server-owned column names first: stripped, never stored, never fatal. */
const extraFields =
  (otherProjectId: string): Mutation =>
  (d) =>
    fc
      .array(
        fc.tuple(
          fc
            .oneof(
              fc.constantFrom(
                "projectId",
                "project_id",
                "seq",
                "keyId",
                "key_id",
                "receivedAt",
                "received_at",
                "body",
                "hash",
                "payloadHash",
                "actor",
                "__proto__",
                "constructor",
                "prototype",
                "toJSON",
              ),
              fc.string({ maxLength: 12 }),
            )
            .filter((k) => !KNOWN_FIELDS.has(k)),
          // biome-ignore lint/correctness/noPrecisionLoss: 2^53 + 1 on purpose, an id no double can hold
          fc.oneof(fc.constant(otherProjectId), fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(1, -1, 9007199254740993, "sdk:other", new Raw("1e400"))),
        ),
        { minLength: 1, maxLength: 4 },
      )
      .map((pairs) => pairs.reduce((acc, [k, v]) => withField(acc, k, v, { valid: true }, `extra ${k}=${preview(v)}`), d));

/** A string past the limit somewhere: a field, a key, or deep inside free-form input. */
const overLimitString: Mutation = (d) =>
  fc.oneof(
    tooLong.map((s) => withField(d, s, 1, { valid: false, limit: "string_too_long" }, `key of ${s.length} chars`)),
    tooLong.map((s) =>
      withField(d, d.kind === "sdk.dropped" ? "reason" : "workflow", s, { valid: false, limit: "string_too_long" }, `name of ${s.length} chars`),
    ),
    d.kind === "sdk.dropped"
      ? tooLong.map((s) => withField(d, "reason", s, { valid: false, limit: "string_too_long" }, `reason of ${s.length} chars`))
      : tooLong.map((s) =>
          withField(
            d,
            d.kind === "run.started" ? "input" : "output",
            { list: ["ok", { text: s }] },
            { valid: false, limit: "string_too_long" },
            `nested string of ${s.length} chars`,
          ),
        ),
  );

/** Nesting past the depth limit, as JS values or as raw JSON thousands of levels deep. */
const tooDeep: Mutation = (d) => {
  const field = d.kind === "sdk.dropped" ? "extraPayload" : d.kind === "run.started" ? "input" : "output";
  return fc.oneof(
    fc
      .tuple(fc.integer({ min: FUZZ_LIMITS.maxDepth, max: FUZZ_LIMITS.maxDepth + 20 }), fc.boolean())
      .map(([n, o]) => withField(d, field, nest(n, o), { valid: false, limit: "too_deep" }, `${field} ${n} deep`)),
    fc
      .integer({ min: 100, max: 5_000 })
      .map((n) => withField(d, field, new Raw("[".repeat(n) + "]".repeat(n)), { valid: false, limit: "too_deep" }, `${field} raw ${n} deep`)),
  );
};

function preview(v: unknown): string {
  const s = v instanceof Raw ? `raw(${v.text})` : typeof v === "string" ? JSON.stringify(v) : serialize(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 37)}…(${s.length})` : s;
}

/** Whether a NUL character sits in any string or key of the value: the collector refuses those. */
function holdsNul(value: unknown): boolean {
  if (value instanceof Raw) return value.text.includes("\u0000") || /\\u0000/i.test(value.text);
  if (typeof value === "string") return value.includes("\u0000");
  if (Array.isArray(value)) return value.some(holdsNul);
  if (typeof value === "object" && value !== null) return Object.entries(value).some(([k, v]) => k.includes("\u0000") || holdsNul(v));
  return false;
}

function finish(d: Draft): GenItem {
  const bad = [...d.verdicts.values()].filter((v): v is { valid: false; limit?: LimitCode } => !v.valid);
  if (holdsNul(d.obj)) bad.push({ valid: false, limit: "nul_character" });
  const limits = [...new Set(bad.flatMap((v) => (v.limit ? [v.limit] : [])))];
  const idVerdict = d.verdicts.get("id");
  const id = typeof d.obj.id === "string" && (!idVerdict || idVerdict.valid) ? d.obj.id : null;
  return { value: d.obj, valid: bad.length === 0, codes: bad.length === 0 ? [] : limits.length ? limits : SCHEMA_CODES, id, trail: d.trail };
}

/** An item of a batch: a valid event, a mutated one (1–3 mutations), or not an object at all. */
export function batchItem(otherProjectId: string): fc.Arbitrary<GenItem> {
  const mutation = (d: Draft) =>
    fc.oneof(
      { arbitrary: removeRequired(d), weight: 2 },
      { arbitrary: removeOptional(d), weight: 1 },
      { arbitrary: setBad(d), weight: 5 },
      { arbitrary: setOdd(d), weight: 5 },
      { arbitrary: setType(d), weight: 1 },
      { arbitrary: extraFields(otherProjectId)(d), weight: 3 },
      { arbitrary: overLimitString(d), weight: 1 },
      { arbitrary: tooDeep(d), weight: 1 },
    );
  const draft = validEvent.map((e): Draft => ({ obj: e, kind: kindOf(e.type as string), verdicts: new Map(), trail: [] }));
  const mutated = fc
    .tuple(draft, fc.integer({ min: 1, max: 3 }))
    .chain(([d, n]) => {
      let arb: fc.Arbitrary<Draft> = fc.constant(d);
      for (let i = 0; i < n; i++) arb = arb.chain(mutation);
      return arb;
    })
    .map(finish);
  const notAnObject = fc
    .constantFrom(null, 0, 1.5, "run.started", true, [], [{ type: "run.started" }], "")
    .map((value): GenItem => ({ value, valid: false, codes: SCHEMA_CODES, id: null, trail: ["not an object"] }));
  return fc.oneof({ arbitrary: draft.map(finish), weight: 4 }, { arbitrary: mutated, weight: 8 }, { arbitrary: notAnObject, weight: 1 });
}

/**
 * A batch: items plus, now and then, copies of earlier ones (the same event again, or the same
 * id with another body), which the collector must answer as duplicates.
 */
export function batch(otherProjectId: string, maxItems = 10): fc.Arbitrary<GenItem[]> {
  return fc
    .tuple(fc.array(batchItem(otherProjectId), { maxLength: maxItems }), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { maxLength: 3 }))
    .map(([items, copies]) => {
      const out = [...items];
      for (const [from, to, rewrite] of copies) {
        if (items.length === 0) break;
        const src = items[from % items.length]!;
        const copy =
          rewrite && src.valid && typeof src.value === "object" && src.value !== null && !Array.isArray(src.value)
            ? { ...src, value: { ...src.value, output: "rewritten" }, trail: [...src.trail, "copy, same id, another body"] }
            : { ...src, trail: [...src.trail, "copy"] };
        out.splice(to % (out.length + 1), 0, copy);
      }
      return out;
    });
}

// ---------------------------------------------------------------------------------------------
// Envelopes

export interface EnvelopeCase {
  kind: string;
  body: string | Uint8Array;
  /** Headers to set; null removes the default (Content-Type, Authorization). */
  headers: Record<string, string | null>;
  /** The events, when the body carries a well-formed batch the server may take. */
  items: GenItem[] | null;
  /** The statuses allowed; absent: any non-5xx the items' model agrees with. */
  statuses?: number[];
}

const enc = (s: string) => new TextEncoder().encode(s);
const wellFormedBody = (items: GenItem[]) => serialize({ events: items.map((i) => i.value) });

export function envelope(otherProjectId: string): fc.Arbitrary<EnvelopeCase> {
  const items = batch(otherProjectId, 6);
  const c = (kind: string, rest: Omit<EnvelopeCase, "kind" | "headers"> & { headers?: EnvelopeCase["headers"] }): EnvelopeCase => ({
    kind,
    headers: {},
    ...rest,
  });
  return fc.oneof(
    fc
      .string({ maxLength: 200 })
      .filter((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      })
      .map((s) => c("not json", { body: s, items: null, statuses: [400] })),
    fc.uint8Array({ maxLength: 300 }).map((b) => c("random bytes", { body: b, items: null, statuses: [400] })),
    fc
      .jsonValue({ maxDepth: 3 })
      .filter((v) => !(typeof v === "object" && v !== null && !Array.isArray(v) && Array.isArray((v as { events?: unknown }).events)))
      .map((v) => c("json, not an envelope", { body: JSON.stringify(v), items: null, statuses: [400] })),
    fc
      .jsonValue({ maxDepth: 2 })
      .filter((v) => !Array.isArray(v))
      .map((v) => c("events not an array", { body: JSON.stringify({ events: v }), items: null, statuses: [400] })),
    fc.constantFrom("", " ", "\n\t", "\ufeff").map((s) => c("empty body", { body: s, items: null, statuses: [400] })),
    fc
      .integer({ min: FUZZ_LIMITS.maxBatchEvents + 1, max: FUZZ_LIMITS.maxBatchEvents * 3 })
      .chain((n) =>
        fc
          .array(validEvent, { minLength: n, maxLength: n })
          .map((es) => c("too many events", { body: JSON.stringify({ events: es }), items: null, statuses: [413] })),
      ),
    items.map((is) => c("over the body limit", { body: wellFormedBody(is).padEnd(FUZZ_LIMITS.maxBodyBytes + 1, " "), items: null, statuses: [413] })),
    fc.integer({ min: 1, max: 40 }).map((k) =>
      c("gzip bomb", {
        body: gzipSync(Buffer.alloc(FUZZ_LIMITS.maxBodyBytes * k + 1, 0x20)),
        headers: { "content-encoding": "gzip" },
        items: null,
        statuses: [413],
      }),
    ),
    fc
      .tuple(fc.uint8Array({ maxLength: 300 }), fc.constantFrom("gzip", "deflate", "x-gzip"))
      .map(([b, e]) => c("compressed garbage", { body: b, headers: { "content-encoding": e }, items: null, statuses: [400] })),
    fc.tuple(items, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.constantFrom("gzip", "deflate")).map(([is, at, e]) => {
      const full = e === "gzip" ? gzipSync(wellFormedBody(is)) : deflateSync(wellFormedBody(is));
      return c(`truncated ${e}`, { body: full.subarray(0, Math.floor(full.length * at)), headers: { "content-encoding": e }, items: null, statuses: [400] });
    }),
    fc.tuple(items, fc.constantFrom("gzip", "x-gzip", "deflate", "GZIP", " gzip ", "identity, gzip")).map(([is, e]) =>
      c(`well-formed ${e}`, {
        body: e.includes("deflate") ? deflateSync(wellFormedBody(is)) : gzipSync(wellFormedBody(is)),
        headers: { "content-encoding": e },
        items: is,
      }),
    ),
    fc
      .tuple(items, fc.constantFrom("br", "compress", "zstd", "gzip, gzip", "gzip;q=1", "*"))
      .map(([is, e]) =>
        c(`unsupported encoding ${e}`, { body: gzipSync(gzipSync(wellFormedBody(is))), headers: { "content-encoding": e }, items: null, statuses: [415] }),
      ),
    fc
      .tuple(
        items,
        fc.constantFrom(
          null,
          "text/plain",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
          "application/xml",
          "application/json; charset=utf-16",
          "application/JSON",
          "",
        ),
      )
      .map(([is, t]) =>
        // JSON media types are taken; anything else (a string body defaults to text/plain) is 415.
        /^application\/json/i.test(t ?? "")
          ? c(`content-type ${String(t)}`, { body: wellFormedBody(is), headers: { "content-type": t }, items: is })
          : c(`content-type ${String(t)}`, { body: wellFormedBody(is), headers: { "content-type": t }, items: null, statuses: [415] }),
      ),
    items.map((is) => {
      const text = wellFormedBody(is);
      const bytes = enc(text.slice(0, -2) + (is.length ? "," : "") + '"\u0001"]}');
      bytes[bytes.length - 4] = 0xff; // not UTF-8
      return c("invalid utf-8", { body: bytes, items: null, statuses: [400] });
    }),
    items.map((is) => c("byte order mark", { body: "\ufeff" + wellFormedBody(is), items: is })),
    items.map((is) => c("events key twice", { body: `{"events":[{"type":"run.started"}],"events":${serialize(is.map((i) => i.value))}}`, items: is })),
    items.map((is) =>
      c("server-owned envelope fields", { body: serialize({ projectId: otherProjectId, keyId: "k", seq: 1, events: is.map((i) => i.value) }), items: is }),
    ),
    fc
      .tuple(items, fc.constantFrom(null, "Bearer st_nope", "Bearer ", "Basic Zm9vOmJhcg==", "bearer", "Bearer st_" + "a".repeat(5000)))
      .map(([is, auth]) => c("bad credentials", { body: wellFormedBody(is), headers: { authorization: auth }, items: null, statuses: [401] })),
  );
}
