import type { DroppedEvent, ErrorInfo, GateResult, GoldenRunTag, RunEndedEvent, RunStartedEvent, SeamtraceEvent, StepEvent } from "@seamtrace/sdk";
import Ajv2020Module, { type ValidateFunction } from "ajv/dist/2020.js";
import { z } from "zod";
import type { Limits } from "../../app/config.js";
import { checkJsonLimits, type LimitViolation } from "../../platform/http/json-limits.js";

// The wire format of `POST /v1/events`. `sdk/src/types.ts` is its definition: every
// schema below `satisfies` the SDK type (what we parse is an SDK event), and the `Accepts`
// checks at the bottom prove the converse (every SDK event fits the schema's input), so the
// two cannot drift apart without a type error. Unknown keys are stripped by z.object, so a
// client can never smuggle a server-owned column through an event.

const uuid = z.uuid();
const isoTime = z.iso.datetime({ offset: true });
const unit = z.number().min(0).max(1);
const millis = z.number().min(0).max(Number.MAX_SAFE_INTEGER);
// Names are identifiers shown in lists and used as keys, unlike free text (reasoning, inputs),
// which only the global string limit bounds.
const name = z.string().min(1).max(256);

const errorInfo = z.object({
  name: z.string(),
  message: z.string(),
  stack: z.string().optional(),
}) satisfies z.ZodType<ErrorInfo>;

const gateResult = z.object({
  outcome: z.enum(["pass", "escalate", "flag"]),
  kinds: z.array(z.enum(["confidence", "cumulative", "contract", "stale", "unscored"])),
  minConfidence: unit.optional(),
  minCumulative: unit.optional(),
  issues: z.array(z.object({ message: z.string(), path: z.array(z.union([z.string(), z.number()])).optional() })).optional(),
}) satisfies z.ZodType<GateResult>;

/** A run made by a golden-set evaluation: kept out of the review queue, run counts and analytics. */
const goldenRunTag = z.object({
  set: name,
  // As long as a golden result's case change may name one (modules/golden/contract.ts).
  case: z.string().min(1).max(1_000),
  result: uuid,
  outcome: z.enum(["pass", "fail"]),
}) satisfies z.ZodType<GoldenRunTag>;

const runBase = {
  id: uuid,
  time: isoTime,
  runId: uuid,
  workflow: name,
  version: z.string().min(1).max(128),
  // Ordering within the run (sdk/src/types.ts); absent on events of older SDKs, read as epoch 0.
  epoch: z.int().min(0).max(1_000_000).optional(),
  epochSeq: z.int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  golden: goldenRunTag.optional(),
};

export const runStartedSchema = z.object({
  ...runBase,
  type: z.literal("run.started"),
  key: z.string().min(1).max(1024).optional(),
  input: z.unknown().optional(),
}) satisfies z.ZodType<RunStartedEvent>;

/** How a step's confidence was obtained (the SDK's ConfidenceSource). */
export const CONFIDENCE_SOURCES = ["self-reported", "logprob", "judge", "consistency", "rule"] as const satisfies ReadonlyArray<
  NonNullable<StepEvent["confidenceSource"]>
>;

export const stepEventSchema = z.object({
  ...runBase,
  type: z.enum(["step.completed", "step.failed"]),
  stepId: uuid,
  step: name,
  parents: z.array(uuid),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  confidence: unit.optional(),
  confidenceSource: z.enum(CONFIDENCE_SOURCES).optional(),
  calibrated: unit.optional(),
  cumulative: unit.optional(),
  source: z.enum(["direct", "inferred", "human", "cache"]),
  observedAt: isoTime.optional(),
  maxAgeMs: millis.optional(),
  stale: z.boolean(),
  reasoning: z.string().optional(),
  alternatives: z.array(z.unknown()).optional(),
  features: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
  attempt: z.int().min(1),
  call: z.int().min(0).max(1_000_000).optional(),
  attemptErrors: z.array(errorInfo).optional(),
  durationMs: millis,
  startedAt: isoTime,
  error: errorInfo.optional(),
  gate: gateResult.optional(),
  flagged: z.boolean().optional(),
  escalationId: uuid.optional(),
  // A rate of 0 never samples anything, so a spot check names a positive one.
  spotCheck: z.object({ rate: z.number().gt(0).max(1) }).optional(),
  contract: z.object({ jsonSchema: z.record(z.string(), z.unknown()), vendor: z.string().min(1).max(256).optional() }).optional(),
}) satisfies z.ZodType<StepEvent>;

export const runEndedSchema = z.object({
  ...runBase,
  type: z.enum(["run.completed", "run.failed", "run.paused"]),
  output: z.unknown().optional(),
  error: errorInfo.optional(),
  stepId: uuid.optional(),
  escalationId: uuid.optional(),
  durationMs: millis,
}) satisfies z.ZodType<RunEndedEvent>;

export const droppedEventSchema = z.object({
  id: uuid,
  time: isoTime,
  type: z.literal("sdk.dropped"),
  reason: z.string().min(1).max(256),
  count: z.int().min(0),
  from: isoTime,
  to: isoTime,
}) satisfies z.ZodType<DroppedEvent>;

export const eventSchema = z.discriminatedUnion("type", [
  runStartedSchema,
  stepEventSchema,
  runEndedSchema,
  droppedEventSchema,
]) satisfies z.ZodType<SeamtraceEvent>;

type Accepts<S extends z.ZodType, T> = [T] extends [z.input<S>] ? true : false;
const sdkEventsFitTheSchemas: [
  Accepts<typeof runStartedSchema, RunStartedEvent>,
  Accepts<typeof stepEventSchema, StepEvent>,
  Accepts<typeof runEndedSchema, RunEndedEvent>,
  Accepts<typeof droppedEventSchema, DroppedEvent>,
] = [true, true, true, true];
void sdkEventsFitTheSchemas;

export type ItemLimits = Pick<Limits, "maxStringLength" | "maxDepth">;

export type ParsedItem =
  /**
   * `asIs`: the event is the item itself, exactly as sent (no key stripped), so its text as sent
   * may be stored; `keys`: the member names its objects hold, at every depth.
   */
  { ok: true; event: SeamtraceEvent; asIs: boolean; keys: number } | { ok: false; id: string | null; code: RejectionCode; message: string };

export type RejectionCode = "invalid_event" | "invalid_confidence" | "unknown_type" | LimitViolation["code"];

/**
 * Validates one item of a batch on its own (one bad event never sinks the batch). Size limits
 * are checked first, by a walk that cannot overflow the stack, so zod and the store only ever
 * see values of bounded depth.
 *
 * An event that fits its schema exactly, with no key the schema does not know, is taken as it
 * is (`acceptsAsIs`); anything else goes through zod, which strips unknown keys or words the
 * rejection. Both answer from the same schemas.
 */
export function parseEvent(item: unknown, limits: ItemLimits): ParsedItem {
  const counts = { keys: 0 };
  const violation = checkJsonLimits(item, limits, counts);
  if (violation) return { ok: false, id: usableId(item), ...violation };
  if (acceptsAsIs(item)) return { ok: true, event: item, asIs: true, keys: counts.keys };
  // Also the path of an event whose ids are in upper case: the compiled check takes lower case only.
  const parsed = eventSchema.safeParse(item);
  if (parsed.success) return { ok: true, event: canonicalIds(parsed.data), asIs: false, keys: counts.keys };
  const issues = parsed.error.issues;
  const unknownType = issues.some((i) => i.code === "invalid_union" && i.path.length === 1 && i.path[0] === "type");
  if (unknownType) return { ok: false, id: usableId(item), code: "unknown_type", message: describeIssues(issues) };
  const score = issues.find((i) => i.path.length === 1 && SCORES.has(i.path[0] as string));
  if (score) {
    // Named apart from other mistakes: a score out of range is the commonest way a step's result
    // goes wrong (a percentage, a string, a null), and the value is what the developer must see.
    const field = score.path[0] as string;
    const others = issues.filter((i) => i !== score);
    const rest = others.length > 0 ? `; also ${describeIssues(others)}` : "";
    return {
      ok: false,
      id: usableId(item),
      code: "invalid_confidence",
      message: `${field} must be a finite number in [0, 1] (or left out for an unscored step), got ${showValue((item as Record<string, unknown>)[field])}${rest}`,
    };
  }
  return { ok: false, id: usableId(item), code: "invalid_event", message: describeIssues(issues) };
}

/** The fields of a step event that hold a confidence; anything in them but a number in [0, 1] is `invalid_confidence`. */
const SCORES = new Set(["confidence", "calibrated", "cumulative"]);

/** A rejected value as the developer would write it: strings quoted, long values cut. */
function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const HAS_UPPER = /[A-F]/;

/**
 * The event with every UUID it holds (its id, run, step, parents, escalation) in lower case,
 * the one case ids are stored and compared in: the same UUID sent in upper case is the same
 * event, run or step. Returns `event` itself when nothing needed changing (the common case:
 * the SDK makes lower-case ids), so the check costs one regular-expression test per id.
 */
export function canonicalIds<E extends SeamtraceEvent>(event: E): E {
  const e = event as E & { runId?: string; stepId?: string; parents?: string[]; escalationId?: string };
  const parentsUpper = e.parents?.some((p) => HAS_UPPER.test(p));
  if (
    !HAS_UPPER.test(e.id) &&
    !(e.runId !== undefined && HAS_UPPER.test(e.runId)) &&
    !(e.stepId !== undefined && HAS_UPPER.test(e.stepId)) &&
    !(e.escalationId !== undefined && HAS_UPPER.test(e.escalationId)) &&
    !parentsUpper
  ) {
    return event;
  }
  const out: Record<string, unknown> = { ...e, id: e.id.toLowerCase() };
  if (e.runId !== undefined) out.runId = e.runId.toLowerCase();
  if (e.stepId !== undefined) out.stepId = e.stepId.toLowerCase();
  if (e.escalationId !== undefined) out.escalationId = e.escalationId.toLowerCase();
  if (e.parents !== undefined) out.parents = e.parents.map((p) => p.toLowerCase());
  return out as E;
}

// ajv is CommonJS: under NodeNext its default import is `module.exports`, whose `default` is the class.
const Ajv2020 = Ajv2020Module.default;

/**
 * The event schemas above, compiled by ajv from zod's own JSON Schema of them (`z.toJSONSchema`,
 * output side: every object closed with `additionalProperties: false`), one validator per `type`.
 * zod takes ~2.8 µs for a step event (it builds a new object, copying arrays and records, as it
 * goes) and the compiled check ~0.8 µs. The compiled check must never accept what zod refuses:
 * - string lengths in code points, as both count them (zod since 4.x, ajv by default);
 * - patterns as zod's regular expressions are written, without the `u` flag;
 * - formats not checked: zod's JSON Schema carries each format's pattern as well, which is what
 *   zod itself tests;
 * - numbers finite (ajv's default `strictNumbers`), as zod's.
 * It takes UUIDs in lower case only (the only case they are stored in): an event with an id in
 * upper case goes through zod and canonicalIds, so the common case pays for no case check.
 * contracts/ingest.test.ts checks that the two agree on generated events.
 */
const asIsValidators: ReadonlyMap<unknown, ValidateFunction> = (() => {
  const ajv = new Ajv2020({ validateFormats: false, unicodeRegExp: false, allowUnionTypes: true, allErrors: false });
  const byType = new Map<unknown, ValidateFunction>();
  for (const schema of eventSchema.options) {
    const json = lowerCaseUuids(z.toJSONSchema(schema, { io: "output" })) as unknown as { properties: { type: { const?: string; enum?: string[] } } };
    const validate = ajv.compile(json);
    for (const type of json.properties.type.enum ?? [json.properties.type.const]) byType.set(type, validate);
  }
  return byType;
})();

/**
 * The JSON Schema with every UUID's pattern narrowed to lower case (zod writes `[0-9a-fA-F]`).
 * Throws at start if a pattern was not narrowed (a zod that writes it otherwise), rather than
 * letting ids in upper case be stored as sent.
 */
function lowerCaseUuids(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(lowerCaseUuids);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = lowerCaseUuids(v);
  if (out.format === "uuid" && typeof out.pattern === "string") {
    const pattern = out.pattern.replaceAll("0-9a-fA-F", "0-9a-f").replaceAll("89abAB", "89ab");
    if (new RegExp(pattern).test("0190F0F0-0000-7000-8000-00000000000A") || !new RegExp(pattern).test("0190f0f0-0000-7000-8000-00000000000a")) {
      throw new Error(`cannot narrow the UUID pattern ${out.pattern} to lower case`);
    }
    out.pattern = pattern;
  }
  return out;
}

/**
 * True when `item` is an event exactly as its schema describes it, its UUIDs in lower case: zod
 * would return it unchanged, and it is stored as it is.
 */
export function acceptsAsIs(item: unknown): item is SeamtraceEvent {
  if (typeof item !== "object" || item === null) return false;
  const validate = asIsValidators.get((item as { type?: unknown }).type);
  return validate !== undefined && validate(item) === true;
}

function usableId(item: unknown): string | null {
  if (typeof item !== "object" || item === null) return null;
  const id = (item as { id?: unknown }).id;
  return typeof id === "string" && uuid.safeParse(id).success ? id : null;
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 3).map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message));
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : "";
  return shown.join("; ") + more;
}
