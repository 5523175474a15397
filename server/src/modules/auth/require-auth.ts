import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { AppDeps, AppEnv, Role } from "../../app/deps.js";
import { AppError, forbidden, unauthorized } from "../../platform/http/errors.js";
import { authenticateApiKey } from "./keys-store.js";
import { userForSession } from "./users-store.js";
import { consumeRateLimit } from "./rate-limit.js";

export const SESSION_COOKIE = "st_session";

export interface AuthOptions {
  /** Accept a project API key (`Authorization: Bearer st_…`): SDKs and scripts. */
  apiKey?: boolean;
  /** Accept a signed-in user with one of these roles. Omit to refuse sessions. */
  roles?: readonly Role[];
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Authenticates a request by API key or session cookie and puts the principal on the context.
 * A user without an allowed role gets 403. Cookie-authenticated state-changing requests must
 * come from this origin (Sec-Fetch-Site, else Origin): a cookie is sent by the browser whatever
 * page makes the request, JSON bodies included, so SameSite alone is not relied on.
 */
export function requireAuth(deps: AppDeps, options: AuthOptions) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header("authorization");
    if (header !== undefined) {
      if (!options.apiKey) throw forbidden("this route takes a signed-in user, not an API key");
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) throw unauthorized("the Authorization header must be `Bearer <api key>`");
      const key = await authenticateApiKey(deps.store.db, deps.config.secret, match[1]!);
      if (!key) throw unauthorized("the API key is not valid or has been revoked");
      const p = { projectId: key.projectId, keyId: key.keyId, actor: `sdk:${key.keyId}` };
      await consumeRateLimit(deps, p);
      c.set("principal", p);
      return next();
    }
    const token = getCookie(c, SESSION_COOKIE);
    if (token === undefined || options.roles === undefined) {
      throw unauthorized(options.roles ? "sign in, or send an API key" : "a valid API key is required");
    }
    const user = await userForSession(deps.store.db, token, deps.now());
    if (!user) throw unauthorized("the session has expired; sign in again");
    if (UNSAFE.has(c.req.method)) checkSameOrigin(c.req.header("sec-fetch-site"), c.req.header("origin"), new URL(c.req.url));
    if (!hasRole(user.role, options.roles)) throw forbidden(`a ${user.role} cannot do this`);
    const p = { projectId: user.projectId, userId: user.id, role: user.role, actor: `user:${user.id}` };
    await consumeRateLimit(deps, p);
    c.set("principal", p);
    return next();
  });
}

/** A lead may do whatever a reviewer may, so routes name `lead` only where leads may do more. */
export function hasRole(role: Role, allowed: readonly Role[]): boolean {
  return allowed.includes(role) || (role === "lead" && allowed.includes("reviewer"));
}

/**
 * Browsers send Sec-Fetch-Site on every request and Origin on every cross-origin one; a
 * request with neither did not come from a browser page, so it cannot be a forged one.
 */
export function checkSameOrigin(fetchSite: string | undefined, origin: string | undefined, url: URL): void {
  if (fetchSite !== undefined) {
    if (fetchSite === "same-origin" || fetchSite === "none") return;
    throw new AppError(403, "cross_origin", "state-changing requests must come from this site");
  }
  if (origin !== undefined && origin !== url.origin) {
    throw new AppError(403, "cross_origin", "state-changing requests must come from this site");
  }
}
