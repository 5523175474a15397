/**
 * Seam contracts: a step's output is checked against its `schema` before it is handed
 * on. Any Standard Schema v1 validator works (zod, valibot, arktype, ...): the SDK calls
 * `schema["~standard"].validate(value)` and imports no validator itself. The types below are the
 * published Standard Schema / Standard JSON Schema interfaces, restated (their authors ask
 * libraries to copy them rather than depend on a package).
 */
import type { StepContract } from "./types.js";

/** A Standard Schema v1 validator (https://standardschema.dev). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": StandardSchemaV1.Props<Input, Output>;
}

export declare namespace StandardSchemaV1 {
  interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    readonly types?: Types<Input, Output> | undefined;
  }
  type Result<Output> = SuccessResult<Output> | FailureResult;
  interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  interface PathSegment {
    readonly key: PropertyKey;
  }
  interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  type InferInput<S extends StandardSchemaV1> = NonNullable<S["~standard"]["types"]>["input"];
  type InferOutput<S extends StandardSchemaV1> = NonNullable<S["~standard"]["types"]>["output"];
}

/**
 * The optional Standard JSON Schema extension: a validator that can describe itself as JSON
 * Schema (zod 4 does). Used to send the step's contract to the server once.
 */
export interface StandardJSONSchemaV1Props {
  readonly jsonSchema?: {
    readonly output?: (options: { readonly target: "draft-2020-12" | "draft-07" | (string & {}) }) => Record<string, unknown>;
  };
}

/** A contract issue as the wire carries it (`GateResult.issues`). */
export interface ContractIssue {
  message: string;
  path?: Array<string | number>;
}

/** An explicit JSON Schema for a step's output, for validators that cannot describe themselves. */
export interface ContractOption {
  /** JSON Schema (draft 2020-12) of the step's output. */
  jsonSchema: Record<string, unknown>;
}

// A value can violate a schema in thousands of places; the event carries the first ones, which
// is what a reviewer reads, and stays bounded (habit 9).
const MAX_ISSUES = 50;

/**
 * Validates `value` against a Standard Schema: `undefined` when it conforms, else the issues.
 * Asynchronous only when the validator is. A validator that throws or rejects counts as a
 * violation (the value was not shown to conform, so it must not be handed on), with the error
 * as the issue.
 */
export function checkContract(schema: StandardSchemaV1, value: unknown): ContractIssue[] | undefined | Promise<ContractIssue[] | undefined> {
  let result: StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>>;
  try {
    result = schema["~standard"].validate(value);
  } catch (err) {
    return thrown(err);
  }
  if (typeof (result as { then?: unknown } | null)?.then === "function") {
    return (result as Promise<StandardSchemaV1.Result<unknown>>).then(toIssues, thrown);
  }
  return toIssues(result as StandardSchemaV1.Result<unknown>);
}

function thrown(err: unknown): ContractIssue[] {
  return [{ message: `validator threw: ${err instanceof Error ? err.message : String(err)}` }];
}

/** Failure is the presence of `issues` (valibot also sets `value` on failure). */
function toIssues(result: StandardSchemaV1.Result<unknown>): ContractIssue[] | undefined {
  const issues = result?.issues;
  if (issues === undefined) return undefined;
  const out: ContractIssue[] = [];
  for (const issue of issues.slice(0, MAX_ISSUES)) {
    const wire: ContractIssue = { message: String(issue?.message) };
    if (issue?.path?.length) {
      wire.path = issue.path.map((seg) => {
        const key = typeof seg === "object" && seg !== null ? seg.key : seg;
        return typeof key === "number" ? key : String(key);
      });
    }
    out.push(wire);
  }
  // An empty issues array is still a failure by the spec's definition; say so.
  if (out.length === 0) out.push({ message: "invalid" });
  return out;
}

/**
 * The step's contract as JSON Schema: the explicit one if given, else what the validator says
 * of its output (Standard JSON Schema), else none. Never throws: a schema that cannot be
 * described (a transform, a custom type) simply sends no contract.
 */
export function describeContract(schema: StandardSchemaV1 | undefined, explicit: ContractOption | undefined): StepContract | undefined {
  try {
    const std = schema?.["~standard"] as (StandardSchemaV1.Props & StandardJSONSchemaV1Props) | undefined;
    const jsonSchema = explicit?.jsonSchema ?? std?.jsonSchema?.output?.({ target: "draft-2020-12" });
    if (jsonSchema === undefined || jsonSchema === null || typeof jsonSchema !== "object") return undefined;
    const contract: StepContract = { jsonSchema };
    if (std?.vendor !== undefined && explicit === undefined) contract.vendor = std.vendor;
    return contract;
  } catch {
    return undefined;
  }
}
