import { getConnInfo } from "@hono/node-server/conninfo";
import { Hono, type Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { CookieOptions } from "hono/utils/cookie";
import { loginBody, peopleQuery, ROLES, type PeopleResponse, type UserResponse } from "./contract.js";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { AppError, forbidden, unauthorized } from "../../platform/http/errors.js";
import { DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_S, DeviceTokens } from "./device-cookie.js";
import { LoginThrottle, UNKNOWN_ADDRESS, type LoginAttempt } from "./login-throttle.js";
import { HashingBusy } from "./password.js";
import { checkSameOrigin, requireAuth, SESSION_COOKIE } from "./require-auth.js";
import { jsonLimits, validate } from "../../platform/http/validate.js";
import {
  checkCredentials,
  createSession,
  deleteSession,
  getUserById,
  normaliseEmail,
  peopleByIds,
  recordLoginFailure,
  SESSION_TTL_MS,
  type User,
} from "./users-store.js";

/** A login body is two short strings; anything near this size is not a login. */
export const LOGIN_MAX_BYTES = 64 * 1024;

const view = (u: User): UserResponse => ({ user: { id: u.id, email: u.email, name: u.name, role: u.role, projectId: u.projectId } });

/**
 * Secure when the client reached us over TLS, directly or through a proxy that terminated it.
 * Trusting x-forwarded-proto here can only add `Secure`, never remove a protection.
 */
function cookieOptions(c: Context): CookieOptions {
  const forwarded = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  const secure = new URL(c.req.url).protocol === "https:" || forwarded === "https";
  return { httpOnly: true, sameSite: "Strict", path: "/", secure };
}

/** The peer's address; absent when the app is called in-process (tests, other adapters). */
function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? UNKNOWN_ADDRESS;
  } catch {
    return UNKNOWN_ADDRESS;
  }
}

function tooSoon(waitMs: number): AppError {
  const retryAfter = String(Math.max(1, Math.ceil(waitMs / 1000)));
  return new AppError(
    429,
    "rate_limited",
    "too many failed sign-ins; try again later",
    { retryAfterSeconds: Number(retryAfter) },
    { "Retry-After": retryAfter },
  );
}

/**
 * Sign-in for the UI: password login into an HttpOnly, SameSite=Strict session cookie, sign-out,
 * and who am I. Login and logout pass the same-origin check too: a forged cross-site login
 * would sign the victim into the attacker's account (login CSRF), and a forged logout is a
 * nuisance at least.
 */
export function authRoutes(deps: AppDeps, throttle = new LoginThrottle()) {
  const db = deps.store.db;
  const devices = new DeviceTokens(deps.config.secret);
  // Per route, not `use("*")`: this sub-app is mounted at /v1 beside the other groups.
  const sameOrigin = createMiddleware<AppEnv>(async (c, next) => {
    checkSameOrigin(c.req.header("sec-fetch-site"), c.req.header("origin"), new URL(c.req.url));
    await next();
  });
  const signedIn = requireAuth(deps, { roles: ROLES });

  return (
    new Hono<AppEnv>()
      .post("/auth/login", sameOrigin, validate("json", loginBody, jsonLimits(deps, { maxBytes: LOGIN_MAX_BYTES })), async (c) => {
        const { email, password } = c.req.valid("json");
        const now = deps.now();
        const account = normaliseEmail(email);
        const deviceCookie = getCookie(c, DEVICE_COOKIE);
        const attempt: LoginAttempt = { account, address: clientAddress(c), device: devices.recognise(deviceCookie, account) };
        const waitMs = throttle.retryAfterMs(attempt, now);
        if (waitMs > 0) throw tooSoon(waitMs);
        // Counted before the (slow) check, so parallel guesses cannot all slip under the limit.
        throttle.fail(attempt, now);
        let user: User | null;
        try {
          user = await checkCredentials(db, email, password);
        } catch (err) {
          if (!(err instanceof HashingBusy)) throw err;
          // Not judged, so not a failure: the client may try again in a moment.
          throttle.undo(attempt);
          throw new AppError(503, "unavailable", "too many sign-ins are being checked right now; retry shortly", undefined, { "Retry-After": "1" });
        }
        // One answer for an unknown address, a wrong password and a disabled account alike.
        if (!user) {
          await recordLoginFailure(db, email, now);
          throw new AppError(401, "invalid_credentials", "the email or password is not correct");
        }
        throttle.succeed(attempt);

        // Signing in again from the same browser replaces its session rather than leaving one behind.
        const previous = getCookie(c, SESSION_COOKIE);
        if (previous !== undefined) await deleteSession(db, previous, now);
        const session = await createSession(db, user, now);
        setCookie(c, SESSION_COOKIE, session.token, { ...cookieOptions(c), maxAge: Math.floor(SESSION_TTL_MS / 1000) });
        // This browser is now known to the account: strangers' failures no longer hold it up.
        setCookie(c, DEVICE_COOKIE, devices.issue(deviceCookie, account), { ...cookieOptions(c), path: "/v1/auth", maxAge: DEVICE_COOKIE_MAX_AGE_S });
        c.header("Cache-Control", "no-store");
        return c.json(view(user));
      })
      .post("/auth/logout", sameOrigin, async (c) => {
        if (c.req.header("authorization") !== undefined) throw forbidden("an API key has no session to end");
        // Idempotent: an unknown or expired session is already signed out; the cookie goes anyway.
        const token = getCookie(c, SESSION_COOKIE);
        if (token !== undefined) await deleteSession(db, token, deps.now());
        deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
        return c.body(null, 204);
      })
      // Who an actor or reviewer id is, for pages that show people: by email, within the project.
      .get("/people", signedIn, validate("query", peopleQuery), async (c) => {
        const { ids } = c.req.valid("query");
        const body: PeopleResponse = { items: await peopleByIds(db, c.get("principal").projectId, ids) };
        return c.json(body);
      })
      .get("/auth/me", signedIn, async (c) => {
        const user = await getUserById(db, c.get("principal").userId!);
        if (!user) throw unauthorized("the session has expired; sign in again");
        c.header("Cache-Control", "no-store");
        return c.json(view(user));
      })
  );
}
