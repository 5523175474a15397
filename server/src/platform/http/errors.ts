import type { ContentfulStatusCode } from "hono/utils/http-status";

/** An error a client can act on: rendered as `{ error: { code, message, details, requestId } }`. */
export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Extra response headers, e.g. `Retry-After`. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const badRequest = (code: string, message: string, details?: unknown) => new AppError(400, code, message, details);
export const unauthorized = (message = "a valid API key is required") => new AppError(401, "unauthorized", message);
export const forbidden = (message: string) => new AppError(403, "forbidden", message);
export const notFound = (what: string) => new AppError(404, "not_found", `${what} not found`);
export const payloadTooLarge = (message: string, details?: unknown) => new AppError(413, "payload_too_large", message, details);
export const unsupportedMediaType = (code: string, message: string) => new AppError(415, code, message);
export const unavailable = (message: string, retryAfterSeconds: number) =>
  new AppError(503, "unavailable", message, undefined, { "Retry-After": String(retryAfterSeconds) });
