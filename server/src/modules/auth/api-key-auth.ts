import { createMiddleware } from "hono/factory";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { unauthorized } from "../../platform/http/errors.js";
import { authenticateApiKey } from "./keys-store.js";
import { consumeRateLimit } from "./rate-limit.js";

/**
 * Requires `Authorization: Bearer st_…` with a live project key and puts the principal on the
 * context. Every data route scopes its queries by `principal.projectId`; nothing else decides
 * which project a request reads or writes.
 */
export function requireApiKey(deps: AppDeps) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header("authorization");
    if (!header) throw unauthorized("missing Authorization header: send `Authorization: Bearer st_…`");
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized("the Authorization header must be `Bearer <api key>`");
    const principal = await authenticateApiKey(deps.store.db, deps.config.secret, match[1]!);
    if (!principal) throw unauthorized("the API key is not valid or has been revoked");
    const p = { projectId: principal.projectId, keyId: principal.keyId, actor: `sdk:${principal.keyId}` };
    await consumeRateLimit(deps, p);
    c.set("principal", p);
    await next();
  });
}
