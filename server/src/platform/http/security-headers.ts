import type { Env, MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

/**
 * Security headers on every response, from hono's maintained `secureHeaders`: nosniff,
 * no framing, no referrer, same-origin opener and resource policies.
 *
 * Two Content-Security-Policies. The UI's is strict: scripts, styles, images and connections
 * from this origin only, no inline script, no plugins, no <base> rewriting, no framing. Model
 * outputs are untrusted text shown by that UI; if one ever reached the page as markup, this
 * policy would still refuse to run it. API answers are data, never documents: `default-src
 * 'none'` means a JSON response opened in a tab cannot load or run anything.
 */
const uiPolicy = (styleSrc: string[]) => ({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc,
    imgSrc: ["'self'", "data:"],
    fontSrc: ["'self'"],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
  referrerPolicy: "no-referrer",
  xFrameOptions: "DENY",
  crossOriginEmbedderPolicy: false,
  permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [], usb: [] },
});
const ui = secureHeaders(uiPolicy(["'self'"]));
// The API reference (Scalar) sets inline styles at run time. It shows only our own OpenAPI
// document, never model output, so styles may be inline there; scripts stay same-origin only.
const reference = secureHeaders(uiPolicy(["'self'", "'unsafe-inline'"]));

const api = secureHeaders({
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
  referrerPolicy: "no-referrer",
  xFrameOptions: "DENY",
  crossOriginEmbedderPolicy: false,
});

const isApi = (path: string) => path.startsWith("/v1/") || path === "/healthz" || path === "/metrics";

export function securityHeaders(): MiddlewareHandler<Env> {
  return (c, next) => (isApi(c.req.path) ? api(c, next) : c.req.path === "/reference" ? reference(c, next) : ui(c, next));
}
