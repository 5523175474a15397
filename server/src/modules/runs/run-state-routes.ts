import { Hono } from "hono";
import type { ResumeClaimRequest, ResumeClaimResponse, ResumeRenewRequest, ResumeRenewResponse } from "@seamtrace/sdk";
import { z } from "zod";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { AppError, notFound } from "../../platform/http/errors.js";
import { requireAuth } from "../auth/require-auth.js";
import { projected } from "./projected.js";
import { jsonLimits, validate } from "../../platform/http/validate.js";
import { claimResume, findRunIdByKey, getRunState, listResumable, renewResume } from "./run-state-store.js";

const id = z.string().min(1).max(256);
// Exported for the OpenAPI document (openapi/operations.ts), which describes these routes from them.
export const runIdParam = z.object({ id });
export const resumeBody = z.object({ escalationId: id }).strict() satisfies z.ZodType<ResumeClaimRequest>;
export const renewBody = z.object({ escalationId: id, epoch: z.int().min(1).max(1_000_000) }).strict() satisfies z.ZodType<ResumeRenewRequest>;
export const byKeyQuery = z.object({ workflow: z.string().min(1).max(256), key: z.string().min(1).max(1024) });
export const resumableQuery = z.object({
  after: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const encodeAfter = (c: { resolvedAt: number; id: string }) => Buffer.from(JSON.stringify([c.resolvedAt, c.id])).toString("base64url");
function decodeAfter(raw: string | undefined): { resolvedAt: number; id: string } | null {
  if (raw === undefined) return null;
  try {
    const [resolvedAt, escId] = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as [unknown, unknown];
    if (Number.isSafeInteger(resolvedAt) && typeof escId === "string" && escId.length <= 256) return { resolvedAt: resolvedAt as number, id: escId };
  } catch {
    // fall through
  }
  throw new AppError(400, "invalid_query", "`after` is not a cursor this server issued");
}

/**
 * Durable resume: the state a run replays from, the claim of a resume (a lease its worker
 * renews while it runs), and the feed of runs whose review has arrived or whose resuming worker
 * went away. SDK routes: they take a project API key.
 */
export function runStateRoutes(deps: AppDeps) {
  const sdk = requireAuth(deps, { apiKey: true, roles: ["admin", "reviewer", "analyst"] });
  const fresh = projected(deps);

  return new Hono<AppEnv>()
    .get("/runs/:id/state", sdk, fresh, validate("param", runIdParam), async (c) => {
      const state = await getRunState(deps.store.db, c.get("principal").projectId, c.req.valid("param").id, deps.now());
      if (!state) throw notFound("run");
      return c.json(state);
    })
    .get("/run-state", sdk, fresh, validate("query", byKeyQuery), async (c) => {
      const { workflow, key } = c.req.valid("query");
      const projectId = c.get("principal").projectId;
      const runId = await findRunIdByKey(deps.store.db, projectId, workflow, key);
      const state = runId === null ? null : await getRunState(deps.store.db, projectId, runId, deps.now());
      if (!state) throw notFound("run");
      return c.json(state);
    })
    .post(
      "/runs/:id/resume",
      requireAuth(deps, { apiKey: true, roles: ["admin", "reviewer"] }),
      fresh,
      validate("param", runIdParam),
      validate("json", resumeBody, jsonLimits(deps, { maxBytes: 16 * 1024 })),
      async (c) => {
        const principal = c.get("principal");
        const runId = c.req.valid("param").id;
        const { escalationId } = c.req.valid("json");
        const leaseMs = deps.config.resumeLeaseMs;
        const now = deps.now();
        const claim = await claimResume(deps.store.client, { projectId: principal.projectId, runId, escalationId, actor: principal.actor, now, leaseMs });
        if (claim.outcome !== "claimed") {
          if (claim.outcome === "not_found") throw notFound("escalation");
          if (claim.outcome === "not_resolved") throw new AppError(409, "not_resolved", "the escalation has not been reviewed yet");
          throw new AppError(409, "already_resumed", "another worker is resuming (or has resumed) this run");
        }
        const state = await getRunState(deps.store.db, principal.projectId, runId, now);
        const body: ResumeClaimResponse = { claimed: true, epoch: claim.epoch, leaseMs, leaseExpiresAt: new Date(claim.leaseExpiresAt).toISOString(), state };
        return c.json(body);
      },
    )
    .post(
      "/runs/:id/resume/renew",
      requireAuth(deps, { apiKey: true, roles: ["admin", "reviewer"] }),
      validate("param", runIdParam),
      validate("json", renewBody, jsonLimits(deps, { maxBytes: 16 * 1024 })),
      async (c) => {
        const principal = c.get("principal");
        const runId = c.req.valid("param").id;
        const { escalationId, epoch } = c.req.valid("json");
        const renewed = await renewResume(deps.store.client, {
          projectId: principal.projectId,
          runId,
          escalationId,
          epoch,
          now: deps.now(),
          leaseMs: deps.config.resumeLeaseMs,
        });
        if (renewed.outcome !== "renewed") {
          if (renewed.outcome === "not_found") throw notFound("escalation");
          throw new AppError(409, "lease_lost", "this resume claim has lapsed or another worker holds the run now; stop writing to it");
        }
        const body: ResumeRenewResponse = { renewed: true, leaseExpiresAt: new Date(renewed.leaseExpiresAt).toISOString() };
        return c.json(body);
      },
    )
    .get("/resumable", sdk, fresh, validate("query", resumableQuery), async (c) => {
      const { after, limit } = c.req.valid("query");
      const page = await listResumable(deps.store.db, c.get("principal").projectId, decodeAfter(after), limit, deps.now());
      return c.json({ items: page.items, nextCursor: page.next ? encodeAfter(page.next) : null });
    });
}
