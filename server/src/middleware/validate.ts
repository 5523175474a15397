import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { validator } from "hono/validator";
import type { z } from "zod";
import type { AppEnv } from "../deps.js";
import { badRequest, unsupportedMediaType } from "../errors.js";

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

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * The one validator every route uses (CONVENTIONS habit 2): parses `target` with `schema` and
 * throws `AppError(400, invalid_query | invalid_param | invalid_body, message, zodIssues)`, so
 * every bad request gets the same envelope from the app's `onError`. A JSON body that does not
 * parse is 400 `invalid_json`; one sent with another media type is 415. Handlers then read the
 * parsed (transformed, defaulted) value with `c.req.valid(target)`.
 *
 * The json target reads the body through hono (`c.req.json()`), which has no size cap of its
 * own: mount hono's `bodyLimit` in front of it. (`jsonBody` from middleware/body.ts consumes
 * the stream itself, so it does not combine with this target.)
 *
 * @example
 *   app.get("/runs", validate("query", runListQuery(deps.now)), (c) => c.json(c.req.valid("query")))
 */
export function validate<T extends ValidationTarget, S extends z.ZodType>(
  target: T,
  schema: S,
): MiddlewareHandler<AppEnv, string, { in: { [K in T]: z.input<S> }; out: { [K in T]: z.output<S> } }> {
  const inner = validator(target, async (value, c) => {
    // hono hands the validator `{}` for a body that is not JSON; a schema with only optional
    // fields would then accept a form post as an empty object.
    if (target === "json" && !JSON_MEDIA_TYPE.test((c.req.header("content-type") ?? "").split(";")[0]!.trim())) {
      throw unsupportedMediaType("unsupported_media_type", "send the body as JSON with `Content-Type: application/json`");
    }
    const parsed = await schema.safeParseAsync(value);
    if (!parsed.success) {
      const issues = issueDetails(parsed.error);
      throw badRequest(CODES[target], `invalid ${target === "json" ? "body" : target}: ${summarize(issues)}`, issues);
    }
    return parsed.data as z.output<S>;
  }) as MiddlewareHandler;

  if (target !== "json") return inner;
  return async (c, next) => {
    // hono's JSON parse failure is an HTTPException, which would render as a 500 through our
    // AppError-only `onError`. Only errors raised before the handler ran are ours to rewrite.
    let reachedHandler = false;
    try {
      return await inner(c, async () => {
        reachedHandler = true;
        await next();
      });
    } catch (err) {
      if (!reachedHandler && err instanceof HTTPException) {
        // Same code as middleware/body.ts gives an unparsable body, so clients see one answer.
        throw badRequest("invalid_json", "the body is not valid JSON");
      }
      throw err;
    }
  };
}
