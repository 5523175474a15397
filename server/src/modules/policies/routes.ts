import type { PoliciesResponse } from "@seamtrace/sdk";
import { createHash } from "node:crypto";
import { Hono, type Context } from "hono";
import {
  deleteQuery,
  encodeHistoryCursor,
  historyQuery,
  MAX_POLICIES_PER_PROJECT,
  patchOf,
  policiesQuery,
  policyBody,
  stepParam,
  workflowParam,
  type PolicyBody,
  type PolicyHistoryResponse,
} from "./contract.js";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { AppError, badRequest, notFound } from "../../platform/http/errors.js";
import { requireAuth } from "../auth/require-auth.js";
import { jsonLimits, validate } from "../../platform/http/validate.js";
import { deletePolicy, listPolicies, listPolicyHistory, putPolicy, toServed } from "./store.js";
import { listCalibrationMaps } from "./thresholds-store.js";

const MAX_BODY_BYTES = 64 * 1024;

/**
 * True when `If-None-Match` names `etag` (RFC 9110 §13.1.2: a list, weak comparison, or `*`,
 * which matches because the list always exists, even when empty).
 */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(",").some((raw) => {
    const tag = raw.trim();
    return tag === "*" || tag.replace(/^W\//, "") === etag;
  });
}

/**
 * Policies per workflow and step: served to SDKs (API key) and the UI, changed only
 * by admins, every change recorded in the policy history with who made it and why. A reviewer
 * cannot change policies; an API key cannot either, so a key leaked from a pipeline
 * cannot lower the gates that pipeline runs through.
 */
export function policiesRoutes(deps: AppDeps) {
  // Per route, not `use("*")`: this sub-app is mounted at /v1 beside others.
  const reader = requireAuth(deps, { apiKey: true, roles: ["admin", "reviewer", "analyst"] });
  const historyReader = requireAuth(deps, { roles: ["admin", "reviewer", "analyst"] });
  const admin = requireAuth(deps, { roles: ["admin"] });
  const bodyLimits = jsonLimits(deps, { maxBytes: MAX_BODY_BYTES });

  async function put(c: Context<AppEnv>, workflow: string, step: string | null, body: PolicyBody) {
    const principal = c.get("principal");
    const result = await putPolicy(deps.store.client, {
      projectId: principal.projectId,
      workflow,
      step,
      patch: patchOf(body),
      actor: principal.actor,
      reason: body.reason,
      now: deps.now(),
    });
    switch (result.outcome) {
      case "invalid":
        throw badRequest("invalid_policy", result.message, result.details);
      case "limit":
        throw new AppError(409, "too_many_policies", `a project may hold at most ${MAX_POLICIES_PER_PROJECT} policies; delete some first`);
      default:
        return c.json(result.policy, result.outcome === "created" ? 201 : 200);
    }
  }

  async function remove(c: Context<AppEnv>, workflow: string, step: string | null, reason: string | undefined) {
    const principal = c.get("principal");
    const removed = await deletePolicy(deps.store.client, { projectId: principal.projectId, workflow, step, actor: principal.actor, reason, now: deps.now() });
    if (!removed) throw notFound("policy");
    return c.body(null, 204);
  }

  return new Hono<AppEnv>()
    .get("/policies", reader, validate("query", policiesQuery), async (c) => {
      const { projectId } = c.get("principal");
      const { workflow } = c.req.valid("query");
      const [rows, maps] = await Promise.all([listPolicies(deps.store.db, projectId, { workflow }), listCalibrationMaps(deps.store.db, projectId, workflow)]);
      // Recalibration maps ride with the policies, under the same ETag, so a refit
      // reaches SDKs on their next refresh like a threshold change does.
      const calibrations = maps.map(({ workflow, step, version, x, y }) => ({ workflow, step, version, x, y }));
      const body = JSON.stringify({ policies: rows.map(toServed), ...(calibrations.length > 0 ? { calibrations } : {}) } satisfies PoliciesResponse);
      // Strong ETag over the exact representation: it changes with any field, revision or time,
      // including a delete followed by a re-create, and never needs a counter kept in step.
      const etag = `"${createHash("sha256").update(body).digest("base64url")}"`;
      c.header("ETag", etag);
      // Per project, so never for shared caches; and always revalidated, so a change shows up
      // on the SDK's next refresh.
      c.header("Cache-Control", "private, no-cache");
      if (ifNoneMatchHits(c.req.header("if-none-match"), etag)) return c.body(null, 304);
      return c.body(body, 200, { "Content-Type": "application/json; charset=UTF-8" });
    })
    .get("/policies/history", historyReader, validate("query", historyQuery), async (c) => {
      const q = c.req.valid("query");
      const page = await listPolicyHistory(deps.store.db, c.get("principal").projectId, {
        workflow: q.workflow,
        step: q.step,
        limit: q.limit,
        after: q.cursor,
      });
      const body: PolicyHistoryResponse = { items: page.items, nextCursor: page.last ? encodeHistoryCursor(page.last) : null };
      return c.json(body);
    })
    .put("/policies/:workflow", admin, validate("param", workflowParam), validate("json", policyBody, bodyLimits), (c) =>
      put(c, c.req.valid("param").workflow, null, c.req.valid("json")),
    )
    .put("/policies/:workflow/steps/:step", admin, validate("param", stepParam), validate("json", policyBody, bodyLimits), (c) => {
      const { workflow, step } = c.req.valid("param");
      return put(c, workflow, step, c.req.valid("json"));
    })
    .delete("/policies/:workflow", admin, validate("param", workflowParam), validate("query", deleteQuery), (c) =>
      remove(c, c.req.valid("param").workflow, null, c.req.valid("query").reason),
    )
    .delete("/policies/:workflow/steps/:step", admin, validate("param", stepParam), validate("query", deleteQuery), (c) => {
      const { workflow, step } = c.req.valid("param");
      return remove(c, workflow, step, c.req.valid("query").reason);
    });
}
