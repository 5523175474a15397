/**
 * One `POST /v1/events` exchange, bounded in time whatever the request function does, and
 * reduced to the three things the transport decides on.
 */
import { unrefTimer } from "./timers.js";
import type { RequestFn, TransportResponse } from "./transport-types.js";

/** What the transport needs from an answer. */
export interface Answer {
  status: number;
  retryAfter: string | null;
  text: string;
}

/** `fetch`, called through `globalThis`: browsers throw "Illegal invocation" for a detached one. */
export const defaultRequest: RequestFn = (url, init) => {
  if (typeof globalThis.fetch !== "function") throw new Error("fetch is unavailable: pass `request`");
  return globalThis.fetch(url, init as RequestInit);
};

/**
 * Sends `body` (a GET without one) and reads the answer, body included. Rejects on a network
 * error, on a response without a numeric status, when `timeoutMs` passes, or when `controller`
 * is aborted by the caller; all of those are "no answer" to the transport.
 */
export async function post(
  request: RequestFn,
  url: string,
  headers: Record<string, string>,
  body: Uint8Array | string | undefined,
  timeoutMs: number,
  controller: AbortController,
): Promise<Answer> {
  const signal = controller.signal;
  const timer = setTimeout(() => controller.abort(new Error(`request timed out after ${timeoutMs} ms`)), timeoutMs);
  unrefTimer(timer);
  try {
    const init: Parameters<RequestFn>[1] = { method: body === undefined ? "GET" : "POST", headers, signal };
    if (body !== undefined) init.body = body;
    // Raced against the signal as well: an injected request function may ignore it, and a
    // synchronous throw must become a rejection.
    const res = await abortable(new Promise<TransportResponse>((ok) => ok(request(url, init))), signal);
    const status = res.status;
    if (typeof status !== "number") throw new TypeError("response has no numeric status");
    let retryAfter: string | null = null;
    try {
      retryAfter = res.headers.get("retry-after");
    } catch {
      // a malformed headers object only loses the hint
    }
    // Read even when unused, so the runtime can reuse the connection. A 2xx whose body cannot
    // be read still counts as delivered: the server answers only after committing.
    let text: unknown = "";
    try {
      text = await abortable(
        Promise.resolve().then(() => res.text()),
        signal,
      );
    } catch {
      text = "";
    }
    return { status, retryAfter, text: typeof text === "string" ? text : "" };
  } finally {
    clearTimeout(timer);
  }
}

/** `promise`, or a rejection as soon as `signal` aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason ?? new Error("aborted"));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** `: code: message` from an error envelope (`{ error: { code, message } }`), for diagnostics. */
export function errorSummary(text: string): string {
  try {
    const error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (error && typeof error.code === "string") {
      const message = typeof error.message === "string" ? `: ${error.message.slice(0, 200)}` : "";
      return `: ${error.code}${message}`;
    }
  } catch {
    // not the envelope
  }
  return "";
}
