import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobListResponse, JobRunsResponse } from "./contract.js";
import { silentLogger } from "../../app/logger.js";
import type { Job } from "./job.js";
import { Scheduler } from "./scheduler.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";

let ctx: TestContext;
let admin: string;
let analyst: string;
let reviewer: string;
let key: string;
let release: () => void = () => {};

beforeAll(async () => {
  ctx = await createTestContext();
  const project = await ctx.newProject();
  key = project.key;
  admin = (await ctx.newUser(project.projectId, "admin")).cookie;
  analyst = (await ctx.newUser(project.projectId, "analyst")).cookie;
  reviewer = (await ctx.newUser(project.projectId, "reviewer")).cookie;
  const quick: Job = { name: "calibration", run: async () => ({ rowsRead: 3, details: { bins: 20 } }) };
  // Holds until the test lets it go, to see a second request find it running.
  const slow: Job = { name: "drift", run: () => new Promise((resolve) => (release = () => resolve({ rowsRead: 0 }))) };
  ctx.deps.jobs = new Scheduler({ store: ctx.store, config: ctx.config, log: silentLogger, now: () => Date.now() }, [quick, slow]);
});
afterAll(() => ctx.close());

const headers = (credential: string): Record<string, string> => (credential.includes("=") ? { cookie: credential } : { authorization: `Bearer ${credential}` });
async function send(method: string, path: string, credential: string) {
  const res = await ctx.app.request(path, { method, headers: headers(credential) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("jobs API", () => {
  it("runs a job on demand for an admin and answers with the run", async () => {
    const res = await send("POST", "/v1/jobs/calibration/run", admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ job: "calibration", outcome: "ok", rowsRead: 3, details: { bins: 20 } });
  });

  it("lets no analyst, reviewer or API key start a job", async () => {
    expect((await send("POST", "/v1/jobs/calibration/run", analyst)).status).toBe(403);
    expect((await send("POST", "/v1/jobs/calibration/run", reviewer)).status).toBe(403);
    expect((await send("POST", "/v1/jobs/calibration/run", key)).status).toBe(403);
  });

  it("answers 409 while the job runs, and 202 with the run id when asked not to wait", async () => {
    const first = await send("POST", "/v1/jobs/drift/run?wait=false", admin);
    expect(first.status).toBe(202);
    const second = await send("POST", "/v1/jobs/drift/run", admin);
    expect(second.status).toBe(409);
    expect((second.body.error as { code: string }).code).toBe("job_running");
    release();
  });

  it("refuses names that are not jobs (400) and jobs this server does not run (404)", async () => {
    expect((await send("POST", "/v1/jobs/nope/run", admin)).status).toBe(400);
    const missing = await send("POST", "/v1/jobs/retention/run", admin);
    expect(missing.status).toBe(404);
    expect((missing.body.error as { code: string }).code).toBe("job_unavailable");
  });

  it("lists the run history, newest first and bounded, to analysts and API keys", async () => {
    const res = await send("GET", "/v1/jobs/runs?job=calibration&limit=1", analyst);
    expect(res.status).toBe(200);
    const body = res.body as unknown as JobRunsResponse;
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({ job: "calibration", outcome: "ok", trigger: "manual" });
    expect((await send("GET", "/v1/jobs/runs", key)).status).toBe(200);
    expect((await send("GET", "/v1/jobs/runs?limit=5000", analyst)).status).toBe(400);
    expect((await send("GET", "/v1/jobs/runs", reviewer)).status).toBe(403);
  });

  it("hides who in another project asked for a run", async () => {
    const other = await ctx.newProject();
    const outsider = (await ctx.newUser(other.projectId, "analyst")).cookie;
    const theirs = await send("GET", "/v1/jobs/runs?job=calibration", outsider);
    const ours = await send("GET", "/v1/jobs/runs?job=calibration", analyst);
    const actor = (r: typeof theirs) => (r.body as unknown as JobRunsResponse).items[0]!.actor;
    expect(actor(ours)).toMatch(/^user:/);
    expect(actor(theirs)).toBe("another project");
  });

  it("lists every job with its schedule and whether this server runs it", async () => {
    const body = (await send("GET", "/v1/jobs", analyst)).body as unknown as JobListResponse;
    expect(body.items.map((j) => j.name)).toContain("checkpoint");
    expect(body.items.find((j) => j.name === "calibration")).toMatchObject({ available: true, schedule: "10 * * * *" });
    expect(body.items.find((j) => j.name === "retention")).toMatchObject({ available: false });
  });
});
