import { Hono } from "hono";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { badRequest, notFound } from "../../platform/http/errors.js";
import { jsonLimits, validate } from "../../platform/http/validate.js";
import { requireAuth } from "../auth/require-auth.js";
import { projected } from "../runs/projected.js";
import { queueAgeing } from "./ageing-store.js";
import { accuracyReport, agreementReport } from "./agreement-store.js";
import { assigneeCounts } from "./assignees-store.js";
import { deleteGroup, listGroups, putGroup } from "./groups-store.js";
import {
  agreementQuery,
  assigneesQuery,
  groupBody,
  groupParam,
  windowQuery,
  type AccuracyResponse,
  type AgeingResponse,
  type AgreementResponse,
  type AssigneesResponse,
} from "./team-contract.js";

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Review at team scale: groups (admins set them up; everyone who works the queue reads them),
 * progress per person, agreement between raters and queue ageing (for leads and analysts, and
 * scripts with a key), and reviewers' accuracy on known-answer items (admins only: it measures
 * people, and the items must stay unmarked to the people measured).
 */
export function teamReviewRoutes(deps: AppDeps) {
  const users = requireAuth(deps, { roles: ["admin", "reviewer", "analyst"] });
  const admins = requireAuth(deps, { roles: ["admin"] });
  const overseers = requireAuth(deps, { apiKey: true, roles: ["admin", "lead", "analyst"] });
  const synced = projected(deps);
  const now = () => deps.now();

  return new Hono<AppEnv>()
    .get("/review/groups", users, async (c) => c.json({ items: await listGroups(deps.store.db, c.get("principal").projectId) }))
    .put("/review/groups/:name", admins, validate("param", groupParam), validate("json", groupBody, jsonLimits(deps, { maxBytes: 256 * 1024 })), async (c) => {
      const { projectId, actor } = c.get("principal");
      const body = c.req.valid("json");
      const r = await putGroup(deps.store.db, {
        projectId,
        name: c.req.valid("param").name,
        members: body.members,
        knownAnswerRate: body.knownAnswerRate,
        actor,
        now: deps.now(),
      });
      if (r.outcome === "unknown_users") throw badRequest("unknown_users", "every member must be a user of this project", { userIds: r.userIds });
      return c.json(r.group, r.outcome === "created" ? 201 : 200);
    })
    .delete("/review/groups/:name", admins, validate("param", groupParam), async (c) => {
      const { projectId, actor } = c.get("principal");
      if (!(await deleteGroup(deps.store.db, { projectId, name: c.req.valid("param").name, actor, now: deps.now() }))) throw notFound("review group");
      return c.body(null, 204);
    })
    .get("/review/assignees", users, validate("query", assigneesQuery(now)), synced, async (c) => {
      const q = c.req.valid("query");
      const items = await assigneeCounts(deps.store.db, c.get("principal").projectId, { ...q, now: deps.now() });
      const body: AssigneesResponse = { window: { from: iso(q.from), to: iso(q.to) }, items };
      return c.json(body);
    })
    .get("/review/agreement", overseers, validate("query", agreementQuery(now)), synced, async (c) => {
      const q = c.req.valid("query");
      const report = await agreementReport(deps.store.client, c.get("principal").projectId, q);
      const body: AgreementResponse = { window: { from: iso(q.from), to: iso(q.to) }, ...report };
      return c.json(body);
    })
    .get("/review/accuracy", admins, validate("query", windowQuery(now, 90)), synced, async (c) => {
      const q = c.req.valid("query");
      const body: AccuracyResponse = {
        window: { from: iso(q.from), to: iso(q.to) },
        items: await accuracyReport(deps.store.client, c.get("principal").projectId, q),
      };
      return c.json(body);
    })
    .get("/review/ageing", overseers, validate("query", windowQuery(now, 1)), synced, async (c) => {
      const q = c.req.valid("query");
      const body: AgeingResponse = {
        window: { from: iso(q.from), to: iso(q.to) },
        groups: await queueAgeing(deps.store.client, c.get("principal").projectId, q, deps.now()),
      };
      return c.json(body);
    });
}
