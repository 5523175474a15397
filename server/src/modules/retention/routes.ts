import { Hono } from "hono";
import { retentionBody, retentionParam } from "./contract.js";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { requireAuth } from "../auth/require-auth.js";
import { jsonLimits, validate } from "../../platform/http/validate.js";
import { listRetentionPolicies, putRetentionPolicy } from "./store.js";

const iso = (ms: number) => new Date(ms).toISOString();

/** Retention per workflow: read by admins and analysts, set by admins; changes are audited. */
export function retentionRoutes(deps: AppDeps) {
  const readers = requireAuth(deps, { apiKey: true, roles: ["admin", "analyst"] });
  const admin = requireAuth(deps, { roles: ["admin"] });
  return new Hono<AppEnv>()
    .get("/retention", readers, async (c) => {
      const items = await listRetentionPolicies(deps.store.db, c.get("principal").projectId);
      return c.json({ items: items.map((p) => ({ ...p, updatedAt: iso(p.updatedAt) })), default: { mode: "full", ttlDays: null } });
    })
    .put(
      "/retention/:workflow",
      admin,
      validate("param", retentionParam),
      validate("json", retentionBody, jsonLimits(deps, { maxBytes: 16 * 1024 })),
      async (c) => {
        const { workflow } = c.req.valid("param");
        const body = c.req.valid("json");
        const { projectId, actor } = c.get("principal");
        const p = await putRetentionPolicy(deps.store.client, { projectId, workflow, ...body, actor, now: deps.now() });
        return c.json({ ...p, updatedAt: iso(p.updatedAt) });
      },
    );
}
