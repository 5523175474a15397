import { Hono, type Context } from "hono";
import {
  ACTIVE_STATUSES,
  CLAIM_TTL_MS,
  decisionBody,
  encodeQueueCursor,
  escalationIdParam,
  queueCountQuery,
  queueQuery,
  type ClaimResponse,
  type DecisionBody,
  type DecisionResponse,
  type EscalationDetail,
  type QueueCountResponse,
  type QueueResponse,
  type ReviewView,
} from "./contract.js";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { AppError, badRequest, notFound } from "../../platform/http/errors.js";
import { ContractValidators } from "./contract-validator.js";
import { projected, projectedForRead } from "../runs/projected.js";
import { hasRole, requireAuth } from "../auth/require-auth.js";
import { jsonLimits, validate } from "../../platform/http/validate.js";
import {
  canAdjudicate,
  claimEscalation,
  claimIsExclusive,
  countQueueByDay,
  getContract,
  getEscalation,
  getEscalationSummary,
  listEscalations,
  routedTo,
  type EscalationRecord,
  type Refusal,
  type Viewer,
} from "./store.js";
import { adjudicateEscalation, decideEscalation, type DecisionOutcome } from "./decision-store.js";
import { getLabel } from "./labels-store.js";
import { getReview, listEscalationReviews } from "./reviews-store.js";
import { userGroups } from "./groups-store.js";

/** Who is asking, with the review groups that decide what they see. */
export async function viewerOf(deps: AppDeps, c: Context<AppEnv>): Promise<Viewer> {
  const p = c.get("principal");
  if (p.userId === undefined || p.role === undefined) return { userId: null, role: null, groups: [] };
  return { userId: p.userId, role: p.role, groups: await userGroups(deps.store.db, p.projectId, p.userId) };
}

/**
 * The review API: the queue, one escalation with its packet, claims, decisions and
 * adjudications. Everyone may read the queue (a reviewer sees ungrouped items and their groups');
 * only admins, leads and reviewers claim and decide (an analyst cannot resolve escalations), and
 * only as a signed-in user, because a decision carries a reviewer's identity; only admins and
 * leads adjudicate. Every query is scoped to the caller's project: another project's id is a 404,
 * and so is an item routed to a group the reviewer is not in.
 */
export function escalationsRoutes(deps: AppDeps) {
  // Per route, not `use("*")`: this sub-app is mounted at /v1 beside others.
  const readers = requireAuth(deps, { apiKey: true, roles: ["admin", "reviewer", "analyst"] });
  const reviewers = requireAuth(deps, { roles: ["admin", "reviewer"] });
  const adjudicators = requireAuth(deps, { roles: ["admin", "lead"] });
  // Escalations are projected from the event log behind ingest: act on what was acknowledged.
  const synced = projected(deps);
  // The queue and a packet are read, and keep answering under a held lock or a full disk.
  const readable = projectedForRead(deps);
  const validators = new ContractValidators();

  /** The escalation as `viewer` may see it, or a 404. */
  async function visible(c: Context<AppEnv>, viewer: Viewer, id: string): Promise<EscalationRecord> {
    const esc = await getEscalation(deps.store.db, c.get("principal").projectId, id, deps.now());
    if (!esc || !routedTo(viewer, esc.reviewGroup)) throw notFound("escalation");
    return esc;
  }

  /** A correction must match the step's output contract; checked before the write, which checks the rest again atomically. */
  async function checkBody(projectId: string, esc: EscalationRecord, body: DecisionBody): Promise<void> {
    if (body.alternative !== undefined && body.alternative >= (esc.packet.alternatives?.length ?? 0)) {
      throw badRequest("invalid_alternative", `the step has no alternative ${body.alternative}`);
    }
    if (body.decision !== "correct") return;
    const contract = await getContract(deps.store.db, projectId, esc);
    const check = contract ? validators.check([projectId, esc.workflow, esc.version, esc.step], contract.jsonSchema, body.output) : { ok: true as const };
    if (!check.ok && "errors" in check) throw badRequest("contract_violation", "the corrected output does not match the step's contract", check.errors);
    // A contract the server cannot compile cannot refuse a correction: the reviewer
    // still has to be able to resolve the escalation. Ours to look at, so logged.
    if (!check.ok)
      deps.log.error("step contract does not compile", { projectId, workflow: esc.workflow, version: esc.version, step: esc.step, err: check.unusable });
  }

  async function answer(c: Context<AppEnv>, id: string, outcome: DecisionOutcome) {
    if (!("reviewId" in outcome)) throw refused(outcome);
    const projectId = c.get("principal").projectId;
    const [escalation, review, label] = await Promise.all([
      getEscalationSummary(deps.store.db, projectId, id, deps.now()),
      getReview(deps.store.db, projectId, outcome.reviewId),
      outcome.labelId === null ? null : getLabel(deps.store.db, projectId, outcome.labelId),
    ]);
    const body: DecisionResponse = { escalation: escalation!, review: review!, label };
    return c.json(body);
  }

  return (
    new Hono<AppEnv>()
      .get("/escalations", readers, validate("query", queueQuery), readable, async (c) => {
        const q = c.req.valid("query");
        const viewer = await viewerOf(deps, c);
        if ((q.assignee === "me" || q.mine) && viewer.userId === null) throw badRequest("invalid_query", "`assignee=me` and `mine` need a signed-in user");
        const assignee = q.assignee === "me" ? viewer.userId! : q.assignee;
        const page = await listEscalations(deps.store.db, c.get("principal").projectId, { ...q, assignee, viewer }, deps.now());
        const body: QueueResponse = { items: page.items, nextCursor: page.next ? encodeQueueCursor(page.next) : null };
        return c.json(body);
      })
      // Before `/escalations/:id`, which would otherwise take "count" for an id.
      .get("/escalations/count", readers, validate("query", queueCountQuery), readable, async (c) => {
        const q = c.req.valid("query");
        const viewer = await viewerOf(deps, c);
        if ((q.assignee === "me" || q.mine) && viewer.userId === null) throw badRequest("invalid_query", "`assignee=me` and `mine` need a signed-in user");
        const assignee = q.assignee === "me" ? viewer.userId! : q.assignee;
        const body: QueueCountResponse = await countQueueByDay(deps.store.db, c.get("principal").projectId, { ...q, assignee, viewer });
        return c.json(body);
      })
      .get("/escalations/:id", readers, validate("param", escalationIdParam), readable, async (c) => {
        const projectId = c.get("principal").projectId;
        const viewer = await viewerOf(deps, c);
        const { knownAnswerOf: _hidden, judgePending, ...esc } = await visible(c, viewer, c.req.valid("param").id);
        const [contract, all] = await Promise.all([getContract(deps.store.db, projectId, esc), listEscalationReviews(deps.store.db, projectId, esc.id)]);
        const actor = viewer.userId === null ? null : `user:${viewer.userId}`;
        const myReview = all.find((r) => r.actor === actor && r.role === "reviewer") ?? null;
        // Decisions are made independently: while an item collects them, people who may decide
        // see only their own. Once it is disputed or settled, everyone sees all of them.
        const collecting = esc.status === "open" || esc.status === "in_review";
        const decides = viewer.role !== null && hasRole(viewer.role, ["admin", "reviewer"]);
        const reviews: ReviewView[] = collecting && decides ? all.filter((r) => r.actor === actor) : all;
        const heldByOther = esc.claimLive && esc.claimedBy !== viewer.userId && claimIsExclusive(esc);
        const body: EscalationDetail = {
          ...esc,
          contract: contract ? { jsonSchema: JSON.parse(contract.jsonSchema) as Record<string, unknown>, vendor: contract.vendor } : null,
          reviews,
          myReview,
          canDecide: decides && collecting && !judgePending && myReview === null && !heldByOther,
          canAdjudicate: esc.status === "disputed" && canAdjudicate(viewer),
        };
        return c.json(body);
      })
      .post("/escalations/:id/claim", reviewers, validate("param", escalationIdParam), synced, async (c) => {
        const { projectId, userId } = c.get("principal");
        const viewer = await viewerOf(deps, c);
        const id = (await visible(c, viewer, c.req.valid("param").id)).id;
        const outcome = await claimEscalation(deps.store.client, {
          projectId,
          id,
          userId: userId!,
          now: deps.now(),
          ttlMs: CLAIM_TTL_MS,
          adjudicator: canAdjudicate(viewer),
        });
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
          const body = c.req.valid("json");
          const esc = await visible(c, await viewerOf(deps, c), c.req.valid("param").id);
          // Checked again, atomically, by the write; answering early spares the contract check.
          if (!(ACTIVE_STATUSES as readonly string[]).includes(esc.status)) throw refused({ status: esc.status as "resolved" | "expired" });
          if (esc.status === "disputed") throw refused({ status: "disputed" });
          if (esc.claimLive && esc.claimedBy !== userId && claimIsExclusive(esc)) {
            throw refused({ status: "held", claimedBy: esc.claimedBy!, claimExpiresAt: Date.parse(esc.claimExpiresAt!) });
          }
          await checkBody(projectId, esc, body);
          const outcome = await decideEscalation(deps.store.client, {
            projectId,
            id: esc.id,
            userId: userId!,
            decision: body.decision,
            output: body.output,
            reason: body.reason,
            alternative: body.alternative,
            now: deps.now(),
          });
          return answer(c, esc.id, outcome);
        },
      )
      .post(
        "/escalations/:id/adjudication",
        adjudicators,
        validate("param", escalationIdParam),
        validate("json", decisionBody(deps.config.limits), jsonLimits(deps)),
        synced,
        async (c) => {
          const { projectId, userId } = c.get("principal");
          const body = c.req.valid("json");
          const esc = await visible(c, await viewerOf(deps, c), c.req.valid("param").id);
          if (esc.status !== "disputed")
            throw refused(esc.status === "resolved" || esc.status === "expired" ? { status: esc.status } : { status: "not_disputed" });
          await checkBody(projectId, esc, body);
          const outcome = await adjudicateEscalation(deps.store.client, {
            projectId,
            id: esc.id,
            userId: userId!,
            decision: body.decision,
            output: body.output,
            reason: body.reason,
            alternative: body.alternative,
            now: deps.now(),
          });
          return answer(c, esc.id, outcome);
        },
      )
  );
}

export function refused(r: Refusal): AppError {
  switch (r.status) {
    case "not_found":
      return notFound("escalation");
    case "resolved":
      return new AppError(409, "resolved", "the escalation has already been resolved");
    case "expired":
      return new AppError(409, "expired", "the escalation's deadline passed and its policy's onExpiry settled it");
    case "disputed":
      return new AppError(409, "disputed", "the reviewers disagreed: an adjudicator (an admin or a lead) decides this escalation now");
    case "not_disputed":
      return new AppError(409, "not_disputed", "only a disputed escalation is adjudicated; this one is still collecting decisions");
    case "already_decided":
      return new AppError(409, "already_decided", "you have already decided this escalation; each reviewer decides once");
    case "awaiting_judge":
      return new AppError(409, "awaiting_judge", "the step's judge has not answered yet; people see the escalation once it has");
    case "held":
      return new AppError(409, "claimed", "another reviewer holds a live claim on this escalation", {
        claimedBy: r.claimedBy,
        claimExpiresAt: new Date(r.claimExpiresAt).toISOString(),
      });
  }
}
