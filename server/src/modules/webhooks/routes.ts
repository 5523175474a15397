import { Hono } from "hono";
import { z } from "zod";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { AppError, notFound } from "../../platform/http/errors.js";
import { requireAuth } from "../auth/require-auth.js";
import { jsonLimits, validate } from "../../platform/http/validate.js";
import { AddressGuard } from "./address-guard.js";
import { createWebhook, disableWebhook, listDeliveries, listWebhooks, WEBHOOK_EVENTS, WEBHOOK_FORMATS } from "./store.js";

// Exported for the OpenAPI document (openapi/operations.ts), which describes these routes from them.
export const createBody = z
  .object({
    url: z
      .string()
      .max(2048)
      .url()
      .refine((u) => /^https?:\/\//i.test(u), "the URL must be http or https"),
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length),
    format: z.enum(WEBHOOK_FORMATS).optional(),
  })
  .strict();
export const idParam = z.object({ id: z.string().min(1).max(256) });
export const deliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), before: z.string().max(512).optional() });

const cursor = (c: { createdAt: string; id: string }) => Buffer.from(JSON.stringify([Date.parse(c.createdAt), c.id])).toString("base64url");
function parseCursor(raw: string | undefined): { createdAt: number; id: string } | null {
  if (raw === undefined) return null;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as [unknown, unknown];
    if (Number.isSafeInteger(createdAt) && typeof id === "string" && id.length <= 256) return { createdAt: createdAt as number, id };
  } catch {
    // fall through
  }
  throw new AppError(400, "invalid_query", "`before` is not a cursor this server issued");
}

/** Webhooks, managed by admins; they may call public addresses only, unless allowed (address-guard.ts). */
export function webhooksRoutes(deps: AppDeps) {
  const admin = requireAuth(deps, { roles: ["admin"] });
  const guard = new AddressGuard(deps.config.webhooks.allow);
  return new Hono<AppEnv>()
    .post("/webhooks", admin, validate("json", createBody, jsonLimits(deps, { maxBytes: 16 * 1024 })), async (c) => {
      const body = c.req.valid("json");
      // The literal host is checked here, so the admin hears of it now; the address a name
      // resolves to is checked at every delivery (guarded-post.ts).
      const problem = guard.urlProblem(new URL(body.url));
      if (problem) {
        throw new AppError(400, "url_not_allowed", `webhooks may not call ${problem}; SEAMTRACE_WEBHOOK_ALLOW lets a receiver inside the network through`, {
          url: body.url,
        });
      }
      const hook = await createWebhook(deps.store.db, { projectId: c.get("principal").projectId, actor: c.get("principal").actor, ...body }, deps.now());
      return c.json(hook, 201);
    })
    .get("/webhooks", admin, async (c) => c.json({ items: await listWebhooks(deps.store.db, c.get("principal").projectId) }))
    .delete("/webhooks/:id", admin, validate("param", idParam), async (c) => {
      const ok = await disableWebhook(deps.store.db, c.get("principal").projectId, c.req.valid("param").id, deps.now(), c.get("principal").actor);
      if (!ok) throw notFound("webhook");
      return c.body(null, 204);
    })
    .get("/webhooks/:id/deliveries", admin, validate("param", idParam), validate("query", deliveriesQuery), async (c) => {
      const projectId = c.get("principal").projectId;
      const { id } = c.req.valid("param");
      if (!(await listWebhooks(deps.store.db, projectId)).some((w) => w.id === id)) throw notFound("webhook");
      const { limit, before } = c.req.valid("query");
      const items = await listDeliveries(deps.store.db, projectId, id, parseCursor(before), limit);
      const last = items[items.length - 1];
      return c.json({ items, nextCursor: items.length === limit && last ? cursor(last) : null });
    });
}
