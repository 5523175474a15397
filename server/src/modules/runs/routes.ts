import { Hono } from "hono";
import {
  encodeCursor,
  MAX_STEPS,
  runIdParam,
  runListQuery,
  workflowListQuery,
  type RunDetailResponse,
  type RunListResponse,
  type TimeWindow,
  type WindowView,
  type WorkflowListResponse,
} from "./contract.js";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { notFound } from "../../platform/http/errors.js";
import { requireAuth } from "../auth/require-auth.js";
import { projectedForRead } from "./projected.js";
import { validate } from "../../platform/http/validate.js";
import { getRunDetail, listRuns, listWorkflows } from "./store.js";

const windowView = (w: TimeWindow): WindowView => ({ from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString() });

/**
 * The query API over runs, for the UI and for scripts. Every read is scoped to the caller's
 * project (its API key's, or the signed-in user's); the project never comes from the request.
 */
export function runsRoutes(deps: AppDeps) {
  // Per route, not `use("*")`: this sub-app is mounted at /v1 beside others, and a wildcard
  // middleware here would also run for their paths (and turn unknown /v1 paths into 401s).
  // Scripts read runs with a key; the dashboard's users (every role) with their session.
  const auth = requireAuth(deps, { apiKey: true, roles: ["admin", "reviewer", "analyst"] });
  // Reads keep answering while another process holds the write lock or the disk is full: from
  // what is projected, saying how far behind it is (projected.ts).
  const fresh = projectedForRead(deps);
  // `now` is read at parse time, so the default window follows the clock (and tests' clocks).
  const now = () => deps.now();

  return new Hono<AppEnv>()
    .get("/runs", auth, fresh, validate("query", runListQuery(now)), async (c) => {
      const q = c.req.valid("query");
      const page = await listRuns(deps.store.db, c.get("principal").projectId, {
        workflow: q.workflow,
        version: q.version,
        status: q.status,
        q: q.q,
        golden: q.golden,
        goldenResult: q.goldenResult,
        window: q.window,
        limit: q.limit,
        after: q.cursor,
        now: deps.now(),
      });
      const body: RunListResponse = {
        items: page.items,
        nextCursor: page.last ? encodeCursor(page.last) : null,
        window: windowView(q.window),
      };
      return c.json(body);
    })
    .get("/runs/:id", auth, fresh, validate("param", runIdParam), async (c) => {
      const { id } = c.req.valid("param");
      const detail = await getRunDetail(deps.store.db, c.get("principal").projectId, id, MAX_STEPS, deps.now());
      if (!detail) throw notFound("run");
      return c.json(detail satisfies RunDetailResponse);
    })
    .get("/workflows", auth, fresh, validate("query", workflowListQuery(now)), async (c) => {
      const { window } = c.req.valid("query");
      const list = await listWorkflows(deps.store.db, c.get("principal").projectId, window);
      const body: WorkflowListResponse = { ...list, window: windowView(window) };
      return c.json(body);
    });
}
