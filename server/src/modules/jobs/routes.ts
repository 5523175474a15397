import { Hono } from "hono";
import { encodeRunsCursor, jobParam, MAX_RUNS_WINDOW_MS, runQuery, runsQuery, type JobListResponse, type JobRunsResponse } from "./contract.js";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { AppError } from "../../platform/http/errors.js";
import { JOB_NAMES } from "./names.js";
import { requireAuth } from "../auth/require-auth.js";
import { validate } from "../../platform/http/validate.js";
import { listJobRuns } from "./store.js";

/**
 * The scheduled jobs: their schedules, their run history, and a run on demand.
 *
 * Jobs work across every project of the store (a rollup folds all new events at once), so a
 * run's record holds aggregate counts only, never a project's data, and any project's admin may
 * ask for a run now: it does no more than the schedule would, and a run already under way
 * (here or on another instance) answers 409.
 */
export function jobsRoutes(deps: AppDeps) {
  const admin = requireAuth(deps, { roles: ["admin"] });
  const reader = requireAuth(deps, { apiKey: true, roles: ["admin", "analyst"] });
  return new Hono<AppEnv>()
    .get("/jobs", reader, (c) => {
      const available = new Set(deps.jobs.jobs());
      const body: JobListResponse = {
        items: JOB_NAMES.map((name) => ({
          name,
          schedule: deps.config.jobs.enabled ? deps.config.jobs.schedules[name] : null,
          available: available.has(name),
        })),
      };
      return c.json(body);
    })
    .get("/jobs/runs", reader, validate("query", runsQuery), async (c) => {
      const q = c.req.valid("query");
      const page = await listJobRuns(deps.store.db, {
        job: q.job,
        limit: q.limit,
        before: q.cursor,
        from: deps.now() - MAX_RUNS_WINDOW_MS,
        viewer: c.get("principal").projectId,
      });
      const body: JobRunsResponse = { items: page.items, nextCursor: page.next ? encodeRunsCursor(page.next) : null };
      return c.json(body);
    })
    .post("/jobs/:name/run", admin, validate("param", jobParam), validate("query", runQuery), async (c) => {
      const { name } = c.req.valid("param");
      const { actor, projectId } = c.get("principal");
      const started = await deps.jobs.start(name, { trigger: "manual", actor, projectId });
      if (started.status === "unknown") throw new AppError(404, "job_unavailable", `this server does not run the ${name} job yet`);
      if (started.status === "busy") throw new AppError(409, "job_running", `the ${name} job is running now; see GET /v1/jobs/runs`, { job: name });
      if (c.req.valid("query").wait === "false") return c.json({ runId: started.runId, job: name, status: "running" }, 202);
      const run = await started.done;
      return c.json(run, 200);
    });
}
