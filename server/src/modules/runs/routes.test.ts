import { uuidv7 } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunDetailResponse, RunListResponse, RunSummary, WorkflowListResponse } from "./contract.js";
import type { InStatement, InValue, Transaction } from "@libsql/client";
import { getRunDetail, runListQuery, stepsQuery, versionCountsQuery } from "./store.js";
import { currentHours, runPlaces } from "./run-hours.js";
import { runCountsStatement } from "./projection-store.js";
import { RUN_BY_KEY_SQL } from "./run-state-store.js";
import { ensureProjectKey } from "../../platform/db/project-key.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import * as fixtures from "../../../test-support/runs-fixtures.js";
import { DAY, FIXTURE_NOW, type RunSeed, type StepSeed } from "../../../test-support/runs-fixtures.js";

const NOW = FIXTURE_NOW;

type Project = { projectId: string; key: string };
let ctx: TestContext;
// The list tests' projects; later blocks make their own, so no block's rows reach another's.
let a: Project;
let b: Project;

const seedRun = (seed: RunSeed) => fixtures.seedRun(ctx.store.db, seed);
const seedStep = (projectId: string, runId: string, step: StepSeed) => fixtures.seedStep(ctx.store.db, projectId, runId, step);

async function get<T = unknown>(path: string, key: string | null = a.key): Promise<{ status: number; body: T }> {
  const res = await ctx.app.request(path, key ? { headers: { authorization: `Bearer ${key}` } } : {});
  return { status: res.status, body: (await res.json()) as T };
}

const qs = (params: Record<string, string | number>) => "?" + new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));

async function listIds(params: Record<string, string | number>, key = a.key): Promise<string[]> {
  const res = await get<RunListResponse>("/v1/runs" + qs(params), key);
  expect(res.status).toBe(200);
  return res.body.items.map((r) => r.id);
}

/** Follows nextCursor to the end; returns the items and the size of each page. */
async function listAll(params: Record<string, string | number>, key: string): Promise<{ items: RunSummary[]; pages: number[] }> {
  const items: RunSummary[] = [];
  const pages: number[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: RunListResponse } = await get<RunListResponse>("/v1/runs" + qs(cursor ? { ...params, cursor } : params), key);
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    pages.push(res.body.items.length);
    cursor = res.body.nextCursor;
  } while (cursor !== null && pages.length < 100);
  return { items, pages };
}

const byNewest = (x: { startedAt: number; id: string }, y: { startedAt: number; id: string }) =>
  y.startedAt - x.startedAt || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0);

beforeAll(async () => {
  ctx = await createTestContext();
  ctx.deps.now = () => NOW;
  a = await ctx.newProject("runs-a");
  b = await ctx.newProject("runs-b");
});
afterAll(() => ctx.close());

describe("auth", () => {
  it.each(["/v1/runs", "/v1/runs/some-id", "/v1/workflows"])("answers %s with 401 without a key or with an invalid one", async (path) => {
    const none = await get<{ error: { code: string } }>(path, null);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("unauthorized");
    const bad = await get(path, "st_" + "x".repeat(38));
    expect(bad.status).toBe(401);
  });
});

describe("GET /v1/runs", () => {
  // Project A, distinct on each filter dimension; one project-B run at the same times.
  const ids = {} as Record<"claims3" | "claims4" | "refunds" | "running" | "old" | "otherProject", string>;
  beforeAll(async () => {
    const p = a.projectId;
    ids.claims3 = await seedRun({ projectId: p, workflow: "claims", version: "3", status: "completed", startedAt: NOW - 1 * DAY });
    ids.claims4 = await seedRun({
      projectId: p,
      workflow: "claims",
      version: "4",
      status: "failed",
      startedAt: NOW - 2 * DAY,
      error: JSON.stringify({ name: "Error", message: "boom" }),
      endedAt: NOW - 2 * DAY + 500,
      durationMs: 500,
      stepCount: 2,
      minCumulative: 0.42,
      key: "msg-1",
    });
    ids.refunds = await seedRun({ projectId: p, workflow: "refunds", version: "1", status: "paused", startedAt: NOW - 3 * DAY });
    ids.running = await seedRun({ projectId: p, workflow: "refunds", version: "1", status: "running", startedAt: NOW - 10 * DAY });
    ids.old = await seedRun({ projectId: p, workflow: "claims", version: "3", status: "completed", startedAt: NOW - 40 * DAY });
    ids.otherProject = await seedRun({ projectId: b.projectId, workflow: "claims", version: "3", startedAt: NOW - 1 * DAY });
  });

  it("lists the project's runs newest first, in the documented shape", async () => {
    const res = await get<RunListResponse>("/v1/runs");
    expect(res.status).toBe(200);
    expect(res.body.items.map((r) => r.id)).toEqual([ids.claims3, ids.claims4, ids.refunds, ids.running]);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.window).toEqual({ from: new Date(NOW + 300_000 - 30 * DAY).toISOString(), to: new Date(NOW + 300_000).toISOString() });
    expect(res.body.items[1]).toEqual({
      id: ids.claims4,
      workflow: "claims",
      version: "4",
      key: "msg-1",
      status: "failed",
      startedAt: "2025-06-13T12:00:00.000Z",
      endedAt: "2025-06-13T12:00:00.500Z",
      durationMs: 500,
      stepCount: 2,
      minCumulative: 0.42,
      error: { name: "Error", message: "boom" },
      resumerLost: false,
      golden: null,
    } satisfies RunSummary);
  });

  it("filters by workflow name, version and status, alone and combined", async () => {
    expect(await listIds({ workflow: "refunds" })).toEqual([ids.refunds, ids.running]);
    expect(await listIds({ version: "4" })).toEqual([ids.claims4]);
    expect(await listIds({ status: "paused" })).toEqual([ids.refunds]);
    expect(await listIds({ workflow: "claims", version: "3" })).toEqual([ids.claims3]);
    expect(await listIds({ workflow: "claims", status: "failed" })).toEqual([ids.claims4]);
    expect(await listIds({ workflow: "no-such-workflow" })).toEqual([]);
  });

  it("filters by from/to, `from` inclusive and `to` exclusive", async () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(await listIds({ from: iso(NOW - 3 * DAY), to: iso(NOW - 1 * DAY) })).toEqual([ids.claims4, ids.refunds]);
    expect(await listIds({ to: iso(NOW - 2 * DAY) })).toEqual([ids.refunds, ids.running]);
    // A date alone is UTC midnight; an offset is honoured.
    expect(await listIds({ from: "2025-06-12", to: "2025-06-13T14:00:00+02:00" })).toEqual([ids.refunds]);
  });

  it("finds runs by free text: an id or its start, part of a key or of an error message", async () => {
    expect(await listIds({ q: ids.refunds })).toEqual([ids.refunds]);
    expect(await listIds({ q: "MSG-" })).toEqual([ids.claims4]);
    expect(await listIds({ q: "boo" })).toEqual([ids.claims4]);
    expect(await listIds({ q: "boo", status: "completed" })).toEqual([]);
    // LIKE's wildcards are literal characters, and a blank search filters nothing.
    expect(await listIds({ q: "%" })).toEqual([]);
    expect(await listIds({ q: "_" })).toEqual([]);
    expect(await listIds({ q: "  " })).toEqual([ids.claims3, ids.claims4, ids.refunds, ids.running]);
    // Another project's runs stay out of a search that would match them.
    expect(await listIds({ q: ids.otherProject })).toEqual([]);
  });

  it("leaves runs older than 30 days out of the default window, and finds them with `from`", async () => {
    expect(await listIds({})).not.toContain(ids.old);
    expect(await listIds({ from: new Date(NOW - 41 * DAY).toISOString() })).toContain(ids.old);
  });

  it("never lists another project's runs", async () => {
    expect(await listIds({})).not.toContain(ids.otherProject);
    expect(await listIds({}, b.key)).toEqual([ids.otherProject]);
  });

  it("ignores unknown query parameters", async () => {
    expect(await listIds({ workflow: "refunds", sort: "id", projectId: b.projectId })).toEqual([ids.refunds, ids.running]);
  });

  it.each([
    ["limit=0", { limit: 0 }, "limit"],
    ["limit above 500", { limit: 501 }, "limit"],
    ["limit not a number", { limit: "ten" }, "limit"],
    ["status outside the allowlist", { status: "done" }, "status"],
    ["from not ISO 8601", { from: "yesterday" }, "from"],
    ["from without a time zone", { from: "2025-06-01T00:00:00" }, "from"],
    ["window longer than 366 days", { from: "2024-01-01T00:00:00Z", to: "2025-06-01T00:00:00Z" }, "from"],
    ["from after to", { from: "2025-06-02T00:00:00Z", to: "2025-06-01T00:00:00Z" }, "from"],
    ["a cursor this API did not make", { cursor: "bm90LWEtY3Vyc29y" }, "cursor"],
    ["a cursor with foreign characters", { cursor: "a+b/c=" }, "cursor"],
    ["an empty workflow", { workflow: "" }, "workflow"],
    ["a search longer than 200 characters", { q: "x".repeat(201) }, "q"],
  ])("answers %s with 400 invalid_query in the error envelope", async (_name, params, path) => {
    const res = await get<{ error: { code: string; message: string; requestId: string; details: Array<{ path: string[] }> } }>("/v1/runs" + qs(params));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_query", message: expect.stringContaining(path), requestId: expect.any(String) });
    expect(res.body.error.details.map((i) => i.path[0])).toContain(path);
  });
});

describe("cursor paging", () => {
  const window = { from: "2025-01-01T00:00:00Z", to: "2025-01-02T00:00:00Z" };
  const seeded: Array<{ startedAt: number; id: string; status: "completed" | "failed" }> = [];
  let p: Project;
  beforeAll(async () => {
    p = await ctx.newProject();
    const tie = Date.parse("2025-01-01T12:00:00Z");
    // 120 runs on one millisecond (ids decide their order) between runs on either side of it.
    // Inserted in neither id order nor its reverse, so rowid order cannot pass for id order.
    const ids = Array.from({ length: 130 }, () => uuidv7()).sort((x, y) => (x.slice(-6) < y.slice(-6) ? -1 : 1));
    for (const [i, id] of ids.entries()) {
      const startedAt = i < 5 ? tie + 1000 + i : i < 125 ? tie : tie - 1000 - i;
      const status = i % 3 === 0 ? ("failed" as const) : ("completed" as const);
      await seedRun({ projectId: p.projectId, id, workflow: "paging", startedAt, status });
      seeded.push({ startedAt, status, id });
    }
  });

  it("returns every run exactly once, newest first with ties in id order, in pages of `limit`", async () => {
    const { items, pages } = await listAll({ ...window, limit: 50 }, p.key);
    expect(pages).toEqual([50, 50, 30]);
    expect(items.map((r) => r.id)).toEqual([...seeded].sort(byNewest).map((r) => r.id));
  });

  it("pages a filtered list the same way (the filter's own index, ties sorted per page)", async () => {
    const { items, pages } = await listAll({ ...window, workflow: "paging", status: "failed", limit: 7 }, p.key);
    const expected = seeded
      .filter((r) => r.status === "failed")
      .sort(byNewest)
      .map((r) => r.id);
    expect(items.map((r) => r.id)).toEqual(expected);
    expect(pages.reduce((s, n) => s + n, 0)).toBe(expected.length);
    expect(pages.length).toBe(Math.ceil(expected.length / 7));
  });

  it("uses 50 when no limit is given", async () => {
    const res = await get<RunListResponse>("/v1/runs" + qs(window), p.key);
    expect(res.body.items).toHaveLength(50);
    expect(res.body.nextCursor).toEqual(expect.any(String));
  });
});

describe("GET /v1/runs/:id", () => {
  // A diamond: extract → (classify, match) → reserve. classify and match start on the same
  // millisecond, so their order comes from their ids; rows are inserted out of order.
  const s = { extract: uuidv7(), classify: uuidv7(), match: uuidv7(), reserve: uuidv7() };
  let runId: string;
  let d: Project;
  let other: Project;
  beforeAll(async () => {
    [d, other] = [await ctx.newProject(), await ctx.newProject()];
    const p = d.projectId;
    const t0 = Date.parse("2025-06-10T08:00:00.000Z");
    runId = await seedRun({
      projectId: p,
      workflow: "claims",
      status: "paused",
      startedAt: t0,
      updatedAt: t0 + 90,
      input: JSON.stringify({ email: "hi" }),
      output: null,
      stopStepId: s.reserve,
      stepCount: 4,
      minCumulative: 0.5,
    });
    await seedStep(p, runId, {
      id: s.reserve,
      name: "reserve",
      parents: JSON.stringify([s.classify, s.match]),
      startedAt: t0 + 50,
      endedAt: t0 + 60,
      confidence: 0.9,
      cumulative: 0.5,
      gate: JSON.stringify({ outcome: "escalate", kinds: ["cumulative"], minCumulative: 0.7 }),
      flagged: true,
    });
    await seedStep(p, runId, {
      id: s.match,
      name: "match-policy",
      parents: JSON.stringify([s.extract]),
      startedAt: t0 + 20,
      source: "direct",
      status: "failed",
      attempts: 3,
      attemptErrors: JSON.stringify([{ name: "TimeoutError", message: "slow" }]),
      error: JSON.stringify({ name: "Error", message: "down" }),
    });
    await seedStep(p, runId, {
      id: s.classify,
      name: "classify",
      parents: JSON.stringify([s.extract]),
      startedAt: t0 + 20,
      reasoning: "looks like water damage",
      alternatives: JSON.stringify([{ kind: "fire" }]),
      features: JSON.stringify({ amount: 1200, urgent: true }),
    });
    await seedStep(p, runId, {
      id: s.extract,
      name: "extract",
      startedAt: t0,
      endedAt: t0 + 15,
      durationMs: 15,
      input: JSON.stringify({ email: "hi" }),
      output: JSON.stringify({ policyNo: "P-1", amount: 1200 }),
      confidence: 0.95,
      cumulative: 0.95,
      observedAt: t0 - 1000,
      maxAgeMs: 60_000,
    });
  });

  it("returns the run with parsed payloads, its steps in execution order and the DAG's edges", async () => {
    const res = await get<RunDetailResponse>(`/v1/runs/${runId}`, d.key);
    expect(res.status).toBe(200);
    expect(res.body.run).toMatchObject({
      id: runId,
      status: "paused",
      input: { email: "hi" },
      output: null,
      error: null,
      stopStepId: s.reserve,
      startedAt: "2025-06-10T08:00:00.000Z",
      updatedAt: "2025-06-10T08:00:00.090Z",
    });
    const [first, second] = s.classify < s.match ? [s.classify, s.match] : [s.match, s.classify];
    expect(res.body.steps.map((x) => x.id)).toEqual([s.extract, first, second, s.reserve]);
    expect(res.body.steps[0]).toEqual({
      id: s.extract,
      name: "extract",
      status: "completed",
      parents: [],
      input: { email: "hi" },
      output: { policyNo: "P-1", amount: 1200 },
      confidence: 0.95,
      cumulative: 0.95,
      source: "inferred",
      observedAt: "2025-06-10T07:59:59.000Z",
      maxAgeMs: 60_000,
      stale: false,
      flagged: false,
      reasoning: null,
      alternatives: null,
      features: null,
      attempts: 1,
      attemptErrors: null,
      error: null,
      gate: null,
      durationMs: 15,
      startedAt: "2025-06-10T08:00:00.000Z",
      endedAt: "2025-06-10T08:00:00.015Z",
      // What OTLP brings (scores, span metadata, GenAI records): none for an SDK step traced without it.
      scores: [],
      metadata: null,
      records: [],
    });
    const byName = Object.fromEntries(res.body.steps.map((x) => [x.name, x]));
    expect(byName["classify"]).toMatchObject({
      reasoning: "looks like water damage",
      alternatives: [{ kind: "fire" }],
      features: { amount: 1200, urgent: true },
    });
    expect(byName["match-policy"]).toMatchObject({
      status: "failed",
      source: "direct",
      attempts: 3,
      attemptErrors: [{ name: "TimeoutError", message: "slow" }],
      error: { name: "Error", message: "down" },
    });
    expect(byName["reserve"]).toMatchObject({
      parents: [s.classify, s.match],
      flagged: true,
      gate: { outcome: "escalate", kinds: ["cumulative"], minCumulative: 0.7 },
    });
    expect(res.body.edges).toEqual([
      { from: s.extract, to: first },
      { from: s.extract, to: second },
      { from: s.classify, to: s.reserve },
      { from: s.match, to: s.reserve },
    ]);
    expect(res.body.truncated).toBe(false);
  });

  it("cuts a long run at the step cap and says so", async () => {
    const detail = await getRunDetail(ctx.store.db, d.projectId, runId, 2, Date.now());
    expect(detail?.truncated).toBe(true);
    // biome-ignore lint/complexity/useMathMinMax: ISO strings, not numbers
    expect(detail?.steps.map((x) => x.id)).toEqual([s.extract, s.classify < s.match ? s.classify : s.match]);
    expect(detail?.edges).toHaveLength(1);
  });

  it("keeps a parent that was never recorded in `parents` but draws no edge to it", async () => {
    const orphanRun = await seedRun({ projectId: d.projectId });
    const [lost, child] = [uuidv7(), uuidv7()];
    await seedStep(d.projectId, orphanRun, { id: child, name: "child", parents: JSON.stringify([lost]) });
    const res = await get<RunDetailResponse>(`/v1/runs/${orphanRun}`, d.key);
    expect(res.body.steps[0]?.parents).toEqual([lost]);
    expect(res.body.edges).toEqual([]);
  });

  it("answers an unknown id and another project's run alike: 404 not_found", async () => {
    const foreign = await seedRun({ projectId: other.projectId, workflow: "claims" });
    const unknown = await get<{ error: { code: string; message: string } }>(`/v1/runs/${uuidv7()}`, d.key);
    const theirs = await get<{ error: { code: string; message: string } }>(`/v1/runs/${foreign}`, d.key);
    expect(unknown.status).toBe(404);
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe("not_found");
    expect(theirs.body.error.message).toBe(unknown.body.error.message);
    expect((await get(`/v1/runs/${foreign}`, other.key)).status).toBe(200);
  });

  it("answers an over-long id with 400 invalid_param", async () => {
    const res = await get<{ error: { code: string } }>(`/v1/runs/${"x".repeat(300)}`, d.key);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_param");
  });
});

describe("GET /v1/workflows", () => {
  it("lists every workflow of the project with its versions and run counts in the window", async () => {
    const [p, other] = [await ctx.newProject(), await ctx.newProject()];
    await fixtures.seedWorkflow(ctx.store.db, p.projectId, "idle");
    for (const [version, days] of [
      ["1", 5],
      ["1", 4],
      ["2", 2],
      ["1", 45],
    ] as const) {
      await seedRun({ projectId: p.projectId, workflow: "claims", version, startedAt: NOW - days * DAY });
    }
    await seedRun({ projectId: other.projectId, workflow: "secret", startedAt: NOW - DAY });
    const res = await get<WorkflowListResponse>("/v1/workflows", p.key);
    expect(res.status).toBe(200);
    expect(res.body.truncated).toBe(false);
    expect(res.body.items).toEqual([
      {
        name: "claims",
        createdAt: new Date(NOW - 100 * DAY).toISOString(),
        runCount: 3,
        lastRunAt: new Date(NOW - 2 * DAY).toISOString(),
        versions: [
          { version: "2", runCount: 1, lastRunAt: new Date(NOW - 2 * DAY).toISOString() },
          { version: "1", runCount: 2, lastRunAt: new Date(NOW - 4 * DAY).toISOString() },
        ],
      },
      { name: "idle", createdAt: new Date(NOW - 100 * DAY).toISOString(), runCount: 0, lastRunAt: null, versions: [] },
    ]);
    const wide = await get<WorkflowListResponse>("/v1/workflows" + qs({ from: new Date(NOW - 60 * DAY).toISOString() }), p.key);
    expect(wide.body.items[0]?.runCount).toBe(4);
    expect((await get("/v1/workflows" + qs({ from: "last week" }), p.key)).status).toBe(400);
  });
});

describe("query plans", () => {
  async function plan(query: { toSQL(): { sql: string; params: unknown[] } }): Promise<string> {
    const { sql, params } = query.toSQL();
    const res = await ctx.store.client.execute({ sql: `EXPLAIN QUERY PLAN ${sql}`, args: params as never });
    return res.rows.map((r) => String(r["detail"])).join("\n");
  }
  const window = { from: 0, to: NOW };
  const after = { startedAt: NOW - DAY, id: "x" };

  it.each([
    ["no filter", "runs_project_started_idx", {}],
    ["version", "runs_project_started_idx", { version: "3" }],
    ["workflow", "runs_workflow_started_idx", { workflow: "claims" }],
    ["workflow after a cursor", "runs_workflow_started_idx", { workflow: "claims", after }],
    ["status", "runs_status_started_idx", { status: "failed" as const }],
    ["status after a cursor", "runs_status_started_idx", { status: "failed" as const, after }],
  ])("lists runs by %s through %s, never a table scan", async (_name, index, filter) => {
    const text = await plan(runListQuery(ctx.store.db, a.projectId, { window, limit: 50, now: Date.now(), ...filter }));
    expect(text).toContain(`SEARCH runs USING INDEX ${index} (project_key=? AND`);
    expect(text).toMatch(/started_at>\? AND started_at<\?/);
    expect(text).not.toMatch(/SCAN runs/);
  });

  it("lists a golden result's runs through runs_golden_idx", async () => {
    const text = await plan(
      runListQuery(ctx.store.db, a.projectId, { window, limit: 50, now: Date.now(), goldenResult: "0190f0f0-0000-7000-8000-000000000001" }),
    );
    expect(text).toContain("SEARCH runs USING INDEX runs_golden_idx (project_key=? AND golden_result=?)");
  });

  it("finds the runs a fold or a purge names by the runs' key, never by reading every run of the project", async () => {
    // What runPlaces and currentHours send (the fold reads both, a purge the second), and the fold's recount.
    const sent: InStatement[] = [];
    const tx = {
      execute: (st: InStatement) => {
        sent.push(st);
        return ctx.store.client.execute(st);
      },
    } as unknown as Transaction;
    const pairs = [
      { projectId: a.projectId, runId: "r" },
      { projectId: a.projectId, runId: "s" },
    ];
    await runPlaces(tx, pairs);
    await currentHours(tx, pairs);
    const byPairs = sent.filter((st) => typeof st !== "string" && st.sql.includes("VALUES")) as Array<{ sql: string; args: InValue[] }>;
    const key = await ensureProjectKey(ctx.store.client, a.projectId);
    const statements = [
      ...byPairs,
      runCountsStatement([
        [key, "r"],
        [key, "s"],
      ]) as { sql: string; args: InValue[] },
    ];
    expect(statements).toHaveLength(3);
    for (const st of statements) {
      const res = await ctx.store.client.execute({ sql: `EXPLAIN QUERY PLAN ${st.sql}`, args: st.args });
      const text = res.rows.map((r) => String(r["detail"])).join("\n");
      expect(text, st.sql).toMatch(/sqlite_autoindex_runs_1 \(project_key=\? AND id=\?\)/);
      expect(text, st.sql).not.toMatch(/INDEX runs_\w+ \(project_key=\?\)/);
    }
  });

  it("finds a run by its idempotency key through runs_key_idx, not by reading every run of the project", async () => {
    const res = await ctx.store.client.execute({ sql: `EXPLAIN QUERY PLAN ${RUN_BY_KEY_SQL}`, args: [a.projectId, "claims", "msg-1"] });
    const text = res.rows.map((r) => String(r["detail"])).join("\n");
    expect(text).toContain("SEARCH runs USING INDEX runs_key_idx (project_key=? AND workflow_id=? AND key=?)");
  });

  it("reads steps and version counts through indexes", async () => {
    expect(await plan(stepsQuery(ctx.store.db, a.projectId, "r", 10))).toContain("SEARCH steps USING INDEX steps_run_idx (project_key=? AND run_id=?)");
    expect(await plan(versionCountsQuery(ctx.store.db, a.projectId, window))).toContain(
      "SEARCH runs USING INDEX runs_project_started_idx (project_key=? AND started_at>? AND started_at<?)",
    );
  });
});
