import type { Env, MiddlewareHandler } from "hono";
import { validator } from "hono/validator";
import type { z } from "zod";
import { checkJsonLimits } from "./json-limits.js";
import { badRequest } from "./errors.js";
import { parseJsonBody, readBody, requireJsonMediaType } from "./body.js";

/** The request parts routes validate, and the error code each reports. */
const CODES = { query: "invalid_query", param: "invalid_param", json: "invalid_body" } as const;
export type ValidationTarget = keyof typeof CODES;

/** A zod issue made safe for JSON: symbol path keys (possible in zod) become strings. */
export type IssueDetail = Omit<z.core.$ZodIssue, "path"> & { path: Array<string | number> };

export function issueDetails(error: z.ZodError): IssueDetail[] {
  return error.issues.map((issue) => ({
    ...issue,
    path: issue.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
  })) as IssueDetail[];
}

function summarize(issues: IssueDetail[]): string {
  const first = issues[0];
  if (!first) return "invalid input";
  const where = first.path.length > 0 ? `${first.path.join(".")}: ` : "";
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  return `${where}${first.message}${more}`;
}

/** What a JSON body may be: bytes after decompression, characters per string, nesting depth. */
export interface JsonLimits {
  maxBytes: number;
  maxStringLength: number;
  maxDepth: number;
  /** See JsonItemLimits.allowNul. */
  allowNul?: boolean;
}

/** The documented defaults; routes pass tighter ones (`jsonLimits(deps, { maxBytes })`). */
export const DEFAULT_JSON_LIMITS: JsonLimits = { maxBytes: 5 * 1024 * 1024, maxStringLength: 1024 * 1024, maxDepth: 32 };

/** The configured limits (config.ts), with a route's own tighter byte cap. */
export function jsonLimits(
  deps: { config: { limits: { maxBodyBytes: number; maxStringLength: number; maxDepth: number } } },
  over: Partial<JsonLimits> = {},
): JsonLimits {
  const l = deps.config.limits;
  return {
    maxBytes: Math.min(over.maxBytes ?? l.maxBodyBytes, l.maxBodyBytes),
    maxStringLength: Math.min(over.maxStringLength ?? l.maxStringLength, l.maxStringLength),
    maxDepth: Math.min(over.maxDepth ?? l.maxDepth, l.maxDepth),
  };
}

/**
 * The one validator every route uses: parses `target` with `schema` and
 * throws `AppError(400, invalid_query | invalid_param | invalid_body, message, zodIssues)`, so
 * every bad request gets the same envelope from the app's `onError`. Handlers then read the
 * parsed (transformed, defaulted) value with `c.req.valid(target)`.
 *
 * A JSON body goes through the same pipeline on every route, so no route can forget a limit:
 * a media type check (415), a streamed read capped after decompression, chunked or not
 * (middleware/body.ts: 413, gzip bombs included), UTF-8 JSON (400 invalid_json), string length
 * and depth, no NUL characters (400 string_too_long / too_deep / nul_character), then the schema.
 *
 * @example
 *   app.get("/runs", validate("query", runListQuery(deps.now)), (c) => c.json(c.req.valid("query")))
 *   app.put("/x", validate("json", body, jsonLimits(deps, { maxBytes: 16 * 1024 })), handler)
 */
export function validate<T extends ValidationTarget, S extends z.ZodType>(
  target: T,
  schema: S,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): MiddlewareHandler<Env, string, { in: { [K in T]: z.input<S> }; out: { [K in T]: z.output<S> } }> {
  const check = async (value: unknown) => {
    const parsed = await schema.safeParseAsync(value);
    if (!parsed.success) {
      const issues = issueDetails(parsed.error);
      throw badRequest(CODES[target], `invalid ${target === "json" ? "body" : target}: ${summarize(issues)}`, issues);
    }
    return parsed.data as z.output<S>;
  };
  if (target !== "json") return validator(target, (value) => check(value)) as MiddlewareHandler;

  return async (c, next) => {
    requireJsonMediaType(c.req.header("content-type"));
    const value = parseJsonBody(await readBody(c.req.raw, { maxBytes: limits.maxBytes }));
    const violation = checkJsonLimits(value, limits);
    if (violation) throw badRequest(violation.code, violation.message);
    c.req.addValidatedData("json", (await check(value)) as object);
    await next();
  };
}
