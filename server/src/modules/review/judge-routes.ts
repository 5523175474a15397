import { Hono } from "hono";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { AppError, notFound } from "../../platform/http/errors.js";
import { jsonLimits, validate } from "../../platform/http/validate.js";
import { requireAuth } from "../auth/require-auth.js";
import { projected } from "../runs/projected.js";
import { escalationIdParam, judgementBody } from "./contract.js";
import { listJudgeItems, recordJudgement } from "./judgement-store.js";
import { deleteJudge, listJudges, putJudge } from "./judges-store.js";
import { judgeBody, judgeItemsQuery, judgeParam, type JudgeItemsResponse, type JudgementResponse } from "./team-contract.js";

/**
 * Staged review: admins put a judge in front of a step's reviewers; a judge registered with the
 * SDK's worker polls for its items and answers with the project's API key (an HTTP judge is
 * called by the `review-judge` job instead). A judge is a program, so its routes take a key,
 * never a session.
 */
export function judgeRoutes(deps: AppDeps) {
  const admins = requireAuth(deps, { roles: ["admin"] });
  const readers = requireAuth(deps, { roles: ["admin", "lead", "analyst"] });
  const judges = requireAuth(deps, { apiKey: true });
  const synced = projected(deps);

  return new Hono<AppEnv>()
    .get("/review/judges", readers, async (c) => c.json({ items: await listJudges(deps.store.db, c.get("principal").projectId) }))
    .put(
      "/review/judges/:workflow/steps/:step",
      admins,
      validate("param", judgeParam),
      validate("json", judgeBody, jsonLimits(deps, { maxBytes: 16 * 1024 })),
      async (c) => {
        const { projectId, actor } = c.get("principal");
        const { workflow, step } = c.req.valid("param");
        const r = await putJudge(deps.store.db, { projectId, workflow, step, body: c.req.valid("json"), actor, now: deps.now() });
        return c.json(r.judge, r.created ? 201 : 200);
      },
    )
    .delete("/review/judges/:workflow/steps/:step", admins, validate("param", judgeParam), async (c) => {
      const { projectId, actor } = c.get("principal");
      const { workflow, step } = c.req.valid("param");
      if (!(await deleteJudge(deps.store.db, { projectId, workflow, step, actor, now: deps.now() }))) throw notFound("judge");
      return c.body(null, 204);
    })
    .get("/review/judge-items", judges, validate("query", judgeItemsQuery), synced, async (c) => {
      const q = c.req.valid("query");
      const body: JudgeItemsResponse = { items: await listJudgeItems(deps.store.client, c.get("principal").projectId, q.judge, q.limit) };
      return c.json(body);
    })
    .post(
      "/escalations/:id/judgement",
      judges,
      validate("param", escalationIdParam),
      validate("json", judgementBody(deps.config.limits), jsonLimits(deps)),
      synced,
      async (c) => {
        const { projectId, actor } = c.get("principal");
        const id = c.req.valid("param").id;
        const b = c.req.valid("json");
        const outcome = await recordJudgement(deps.store.client, { projectId, id, ...b, via: actor, now: deps.now() });
        if (outcome.status === "not_found") throw notFound("escalation");
        if (outcome.status === "not_awaiting") {
          throw new AppError(
            409,
            "not_awaiting_judge",
            `the escalation is not waiting on judge "${b.judge}" (answered already, handed to people, or another judge's)`,
          );
        }
        const body: JudgementResponse = { escalationId: id, reviewId: outcome.reviewId, outcome: outcome.status, sampled: outcome.sampled };
        return c.json(body);
      },
    );
}
