import { Hono } from "hono";
import {
  CLAIM_TTL_MS,
  decisionBody,
  encodeQueueCursor,
  escalationIdParam,
  queueQuery,
  type ClaimResponse,
  type DecisionResponse,
  type EscalationDetail,
  type QueueResponse,
} from "./contract.js";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { AppError, badRequest, notFound } from "../../platform/http/errors.js";
import { ContractValidators } from "./contract-validator.js";
import { projected, projectedForRead } from "../runs/projected.js";
import { requireAuth } from "../auth/require-auth.js";
import { jsonLimits, validate } from "../../platform/http/validate.js";
import { claimEscalation, decideEscalation, getContract, getEscalation, getEscalationSummary, listEscalations, type Refusal } from "./store.js";
import { getLabel } from "./labels-store.js";


/**
 * The review API: the queue, one escalation with its packet, claims, decisions.
 * Everyone may read the queue; only admins and reviewers claim and decide (an analyst cannot
 * resolve escalations), and only as a signed-in user, because a decision carries a reviewer's
 * identity. Every query is scoped to the caller's project: another project's id is a 404.
 */
export function escalationsRoutes(deps: AppDeps) {
  // Per route, not `use("*")`: this sub-app is mounted at /v1 beside others.
  const readers = requireAuth(deps, { apiKey: true, roles: ["admin", "reviewer", "analyst"] });
  const reviewers = requireAuth(deps, { roles: ["admin", "reviewer"] });
  // Escalations are projected from the event log behind ingest: act on what was acknowledged.
  const synced = projected(deps);
  // The queue and a packet are read, and keep answering under a held lock or a full disk.
  const readable = projectedForRead(deps);
  const validators = new ContractValidators();

  return new Hono<AppEnv>()
    .get("/escalations", readers, validate("query", queueQuery), readable, async (c) => {
      const q = c.req.valid("query");
      const page = await listEscalations(deps.store.db, c.get("principal").projectId, q, deps.now());
      const body: QueueResponse = { items: page.items, nextCursor: page.next ? encodeQueueCursor(page.next) : null };
      return c.json(body);
    })
    .get("/escalations/:id", readers, validate("param", escalationIdParam), readable, async (c) => {
      const projectId = c.get("principal").projectId;
      const esc = await getEscalation(deps.store.db, projectId, c.req.valid("param").id, deps.now());
      if (!esc) throw notFound("escalation");
      const contract = await getContract(deps.store.db, projectId, esc);
      const body: EscalationDetail = {
        ...esc,
        contract: contract ? { jsonSchema: JSON.parse(contract.jsonSchema) as Record<string, unknown>, vendor: contract.vendor } : null,
      };
      return c.json(body);
    })
    .post("/escalations/:id/claim", reviewers, validate("param", escalationIdParam), synced, async (c) => {
      const { projectId, userId } = c.get("principal");
      const id = c.req.valid("param").id;
      const outcome = await claimEscalation(deps.store.client, { projectId, id, userId: userId!, now: deps.now(), ttlMs: CLAIM_TTL_MS });
      if (outcome.status !== "claimed") throw refused(outcome);
      const body: ClaimResponse = { id, claimedBy: outcome.claimedBy, claimExpiresAt: new Date(outcome.claimExpiresAt).toISOString() };
      return c.json(body);
    })
    .post(
      "/escalations/:id/decision",
      reviewers,
      validate("param", escalationIdParam),
      validate("json", decisionBody(deps.config.limits), jsonLimits(deps)),
      synced,
      async (c) => {
        const { projectId, userId } = c.get("principal");
        const id = c.req.valid("param").id;
        const body = c.req.valid("json");
        const now = deps.now();
        const esc = await getEscalation(deps.store.db, projectId, id, now);
        if (!esc) throw notFound("escalation");
        // Checked again, atomically, by the write; answering early spares the contract check.
        if (esc.status === "resolved") throw refused({ status: "resolved" });
        if (esc.claimLive && esc.claimedBy !== userId) {
          throw refused({ status: "held", claimedBy: esc.claimedBy!, claimExpiresAt: Date.parse(esc.claimExpiresAt!) });
        }
        if (body.alternative !== undefined && body.alternative >= (esc.packet.alternatives?.length ?? 0)) {
          throw badRequest("invalid_alternative", `the step has no alternative ${body.alternative}`);
        }
        if (body.decision === "correct") {
          const contract = await getContract(deps.store.db, projectId, esc);
          const check = contract ? validators.check([projectId, esc.workflow, esc.version, esc.step], contract.jsonSchema, body.output) : { ok: true as const };
          if (!check.ok && "errors" in check) {
            throw badRequest("contract_violation", "the corrected output does not match the step's contract", check.errors);
          }
          // A contract the server cannot compile cannot refuse a correction: the reviewer
          // still has to be able to resolve the escalation. Ours to look at, so logged.
          if (!check.ok) deps.log.error("step contract does not compile", { projectId, workflow: esc.workflow, version: esc.version, step: esc.step, err: check.unusable });
        }
        const outcome = await decideEscalation(deps.store.client, {
            projectId, id, userId: userId!, decision: body.decision, output: body.output, reason: body.reason, alternative: body.alternative, now,
          });
        if (outcome.status !== "decided") throw refused(outcome);
        const [escalation, label] = await Promise.all([
          getEscalationSummary(deps.store.db, projectId, id, deps.now()),
          getLabel(deps.store.db, projectId, outcome.labelId),
        ]);
        const response: DecisionResponse = { escalation: escalation!, label: label! };
        return c.json(response);
      },
    );
}


function refused(r: Refusal): AppError {
  switch (r.status) {
    case "not_found":
      return notFound("escalation");
    case "resolved":
      return new AppError(409, "resolved", "the escalation has already been resolved");
    case "held":
      return new AppError(409, "claimed", "another reviewer holds a live claim on this escalation", {
        claimedBy: r.claimedBy,
        claimExpiresAt: new Date(r.claimExpiresAt).toISOString(),
      });
  }
}
