import Ajv2020Module, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";

// ajv is CommonJS: under NodeNext its default import is `module.exports`, whose `default` is the class.
const Ajv2020 = Ajv2020Module.default;

/** At most this many compiled contracts are kept; the least recently used goes first. */
const CACHE_SIZE = 500;
/** A correction failing its contract reports at most this many errors. */
const MAX_ERRORS = 20;

export type ContractCheck =
  | { ok: true }
  | { ok: false; errors: ContractError[] }
  /** The stored schema does not compile (not JSON Schema, an unresolvable `$ref`, ...). */
  | { ok: false; unusable: string };

export interface ContractError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message: string;
}

// The formats zod and other Standard JSON Schema producers emit most. ajv-formats is not a
// dependency; an unknown format is ignored (as JSON Schema allows), never a compile error.
const FORMATS: Record<string, RegExp> = {
  "date-time": /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)$/i,
  date: /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/,
  time: /^\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?$/i,
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  uri: /^[a-z][a-z0-9+.-]*:[^\s]*$/i,
  ipv4: /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/,
};

/**
 * Checks reviewers' corrections against a step's output contract (JSON Schema draft 2020-12,
 * as the SDK reported it). Compiled validators are cached by (project, workflow, version, step)
 * and recompiled when the stored schema text changes; compiling is far dearer than validating.
 */
export class ContractValidators {
  private readonly cache = new Map<string, { text: string; validate: ValidateFunction | string }>();

  check(key: readonly [projectId: string, workflow: string, version: string, step: string], schemaText: string, value: unknown): ContractCheck {
    const validate = this.compiled(JSON.stringify(key), schemaText);
    if (typeof validate === "string") return { ok: false, unusable: validate };
    if (validate(value)) return { ok: true };
    return { ok: false, errors: (validate.errors ?? []).slice(0, MAX_ERRORS).map(view) };
  }

  private compiled(key: string, text: string): ValidateFunction | string {
    const hit = this.cache.get(key);
    if (hit && hit.text === text) {
      // Re-insert: Map iteration order is insertion order, so the first key is the least recent.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit.validate;
    }
    const validate = compile(text);
    this.cache.delete(key);
    this.cache.set(key, { text, validate });
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    return validate;
  }
}

function compile(text: string): ValidateFunction | string {
  try {
    const schema = JSON.parse(text) as Record<string, unknown>;
    // Producers still emit draft-07 (valibot, older zod); its `$schema` would make the 2020-12
    // instance look for a meta-schema it does not have. The keywords they use mean the same.
    const { $schema: _, ...rest } = schema;
    // One instance per schema: two contracts with the same `$id` must not collide.
    const ajv = new Ajv2020({ allErrors: true, strict: false, logger: false, validateFormats: true });
    for (const [name, re] of Object.entries(FORMATS)) ajv.addFormat(name, re);
    const validate = ajv.compile(rest);
    // An `$async` schema answers with a promise, which is truthy: it could never refuse anything.
    if ((validate as { $async?: boolean }).$async) return "the contract is an asynchronous schema, which cannot be checked here";
    return validate;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function view(e: ErrorObject): ContractError {
  return {
    instancePath: e.instancePath,
    schemaPath: e.schemaPath,
    keyword: e.keyword,
    params: e.params as Record<string, unknown>,
    message: e.message ?? "does not match the contract",
  };
}
