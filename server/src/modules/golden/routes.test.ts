import { readGoldenSet, type GoldenCase } from "@seamtrace/golden";
import { uuidv7, type ErrorBody } from "@seamtrace/sdk";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GoldenCaseCreated, GoldenResultCreated, GoldenResultDetail, GoldenResultsResponse, GoldenSetsResponse } from "./contract.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { runEnded, runStarted, stepEvent } from "../../../test-support/events-fixtures.js";
import { call, escalatedRun, postBatches, reviewedStep, type Caller } from "../../../test-support/review-fixtures.js";
import { idFromStoredOrNull, refFromStored } from "../../platform/db/stored-id.js";

let ctx: TestContext;
let clock = Date.UTC(2026, 4, 1, 12);
beforeAll(async () => {
  ctx = await createTestContext();
  ctx.deps.now = () => clock;
});
afterAll(() => ctx.close());

interface Team {
  projectId: string;
  key: Caller;
  admin: Caller;
  analyst: Caller;
  reviewer: Caller;
}

async function team(): Promise<Team> {
  const p = await ctx.newProject();
  const cookie = async (role: "admin" | "analyst" | "reviewer") => ({ cookie: (await ctx.newUser(p.projectId, role)).cookie });
  return { projectId: p.projectId, key: { key: p.key }, admin: await cookie("admin"), analyst: await cookie("analyst"), reviewer: await cookie("reviewer") };
}

async function auditPayloads(projectId: string, action: string) {
  const rs = await ctx.store.client.execute({
    sql: `SELECT a.actor, a.run_id, p.body FROM audit_log a JOIN audit_payloads p ON p.project_key = a.project_key AND p.seq = a.seq WHERE a.project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND a.action = ? ORDER BY a.seq`,
    args: [projectId, action],
  });
  return rs.rows.map((r) => ({
    actor: refFromStored(r[0]),
    runId: idFromStoredOrNull(r[1]),
    payload: JSON.parse(String(r[2])) as Record<string, unknown>,
  }));
}

function result(over: Record<string, unknown> = {}) {
  return {
    set: "claims",
    setVersion: "ab".repeat(32),
    workflow: "claims",
    version: "3",
    startedAt: "2026-05-01T11:59:00.000Z",
    finishedAt: "2026-05-01T11:59:30.500Z",
    summary: {
      cases: 320,
      runs: { completed: 195, escalated: 125 },
      escalationRate: 0.390625,
      endToEndAccuracy: 0.958974,
      completed: 195,
      steps: [
        {
          step: "extract",
          expected: 320,
          reached: 320,
          correct: 318,
          failed: 0,
          accuracy: 0.99375,
          escalated: 3,
          calibration: { n: 320, brier: 0.01, ece: 0.02, overconfidence: 0.01 },
        },
        {
          step: "classify",
          expected: 320,
          reached: 317,
          correct: 300,
          failed: 1,
          accuracy: 0.946372,
          escalated: 40,
          calibration: { n: 316, brier: 0.05, ece: null, overconfidence: null },
        },
      ],
    },
    regressions: [{ what: "classify", baseline: 0.98, current: 0.946372, message: 'step "classify": accuracy 94.6%, baseline 98.0%' }],
    baselineVersion: "2",
    ...over,
  };
}

describe("golden results", () => {
  let t: Team;
  beforeAll(async () => {
    t = await team();
  });

  it("stores a result sent with an API key, returns it whole, and audits it", async () => {
    const body = result();
    const created = await call<GoldenResultCreated>(ctx, "POST", "/v1/golden/results", t.key, body);
    expect(created.status).toBe(201);
    const got = await call<GoldenResultDetail>(ctx, "GET", `/v1/golden/results/${created.body.id}`, t.analyst);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({
      ...body,
      id: created.body.id,
      comparison: null,
      caseRuns: {},
      createdAt: new Date(clock).toISOString(),
      actor: expect.stringMatching(/^sdk:/),
    });
    const [entry] = await auditPayloads(t.projectId, "golden.result");
    expect(entry!.actor).toMatch(/^sdk:/);
    expect(entry!.payload).toMatchObject({
      id: created.body.id,
      set: "claims",
      workflow: "claims",
      version: "3",
      cases: 320,
      regressions: ["classify"],
      baselineVersion: "2",
    });
  });

  it("stores the case-by-case comparison and links each changed case to the runs the result sent", async () => {
    const id = uuidv7();
    const comparison = {
      rule: { alpha: 0.05 },
      trials: { current: 2, baseline: 1 },
      steps: [
        {
          step: "classify",
          pairs: 3,
          newFailures: 2,
          newPasses: 1,
          newlyNotReached: 0,
          newlyReached: 0,
          accuracy: { baseline: 0.98, current: 0.946372, pValue: 0.5, regressed: false },
          calibration: {
            baseline: { n: 3, brier: 0.02, ece: 0.1, overconfidence: 0.01 },
            current: { n: 3, brier: 0.05, ece: 0.12, overconfidence: 0.02 },
            pairs: 3,
            brierChange: 0.03,
            pValue: 0.2,
            regressed: false,
          },
          escalation: { baseline: 0.1, current: 0.1, newlyEscalated: 0, noLongerEscalated: 0, pValue: null, regressed: false },
        },
      ],
      endToEnd: { baseline: 0.9, current: 0.85, newlyWrong: 1, noLongerWrong: 0, pValue: 0.5, regressed: false, firstWrongStep: { classify: 1 } },
      changes: [
        { case: "c-2", step: "classify", change: "new-failure", baseline: "pass", current: "1/2 passed", reason: 'expected "cyber", got "property"' },
        { case: "__proto__", step: "classify", change: "new-failure", baseline: "pass", current: "0/2 passed" },
        { case: "c-9", step: "classify", change: "new-pass", baseline: "fail", current: "2/2 passed" },
      ],
      changesOmitted: 4,
    };
    // The executor sends each case's runs first, tagged with the result's id it chose.
    const golden = (c: string, outcome: "pass" | "fail") => ({ set: "claims", case: c, result: id, outcome });
    const runOf = (c: string, outcome: "pass" | "fail", at: number) => {
      const start = runStarted({ golden: golden(c, outcome), time: new Date(at).toISOString() });
      return {
        runId: start.runId,
        events: [start, stepEvent(start.runId, { golden: golden(c, outcome) }), runEnded(start.runId, "run.completed", { golden: golden(c, outcome) })],
      };
    };
    const runs = [
      runOf("c-2", "pass", clock - 5_000),
      runOf("c-2", "fail", clock - 4_000),
      runOf("__proto__", "fail", clock - 3_000),
      runOf("c-1", "pass", clock - 2_000),
    ];
    const sent = await call<{ results: Array<{ status: string }> }>(ctx, "POST", "/v1/events", t.key, { events: runs.flatMap((r) => r.events) });
    expect(sent.body.results.every((r) => r.status === "accepted")).toBe(true);

    const created = await call<GoldenResultCreated>(ctx, "POST", "/v1/golden/results", t.key, result({ id, comparison }));
    expect(created.status).toBe(201);
    expect(created.body.id).toBe(id);
    const got = await call<GoldenResultDetail>(ctx, "GET", `/v1/golden/results/${id}`, t.analyst);
    expect(got.body.comparison).toEqual(comparison);
    // Only the changed cases, each with every run of it (two trials of c-2); c-9's runs never arrived.
    expect(got.body.caseRuns).toEqual(
      Object.fromEntries([
        ["c-2", [runs[0]!.runId, runs[1]!.runId]],
        ["__proto__", [runs[2]!.runId]],
      ]),
    );

    // Resent under the same id (a retry after a lost answer): refused, stored once.
    const again = await call<ErrorBody>(ctx, "POST", "/v1/golden/results", t.key, result({ id, comparison }));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("duplicate");
    const listed = await call<GoldenResultsResponse>(ctx, "GET", "/v1/golden/results?limit=200", t.analyst);
    expect(listed.body.items.filter((r) => r.id === id)).toHaveLength(1);
    expect((await call<ErrorBody>(ctx, "POST", "/v1/golden/results", t.key, result({ id: "not-a-uuid" }))).status).toBe(400);
  });

  it("keeps measurements a newer executor adds", async () => {
    const body = result();
    const summary = { ...body.summary, p95CaseMs: 12.5 };
    const created = await call<GoldenResultCreated>(ctx, "POST", "/v1/golden/results", t.key, { ...body, summary });
    const got = await call<GoldenResultDetail>(ctx, "GET", `/v1/golden/results/${created.body.id}`, t.admin);
    expect(got.body.summary).toEqual(summary);
  });

  it("lists results newest first with the figures to compare, filtered and paged", async () => {
    const u = await team();
    const ids: string[] = [];
    for (const [i, o] of [{ version: "1" }, { version: "2", set: "smoke" }, { version: "3", workflow: "refunds" }, { version: "4" }].entries()) {
      clock += 1_000 * (i % 2); // two pairs share a time: the id breaks the tie
      const r = await call<GoldenResultCreated>(ctx, "POST", "/v1/golden/results", u.admin, result({ ...o, regressions: [] }));
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    const all = await call<GoldenResultsResponse>(ctx, "GET", "/v1/golden/results", u.analyst);
    expect(all.body.items.map((r) => r.id)).toEqual(ids.slice().reverse());
    expect(all.body.nextCursor).toBeNull();
    expect(all.body.items[0]).toEqual({
      id: ids[3],
      set: "claims",
      setVersion: "ab".repeat(32),
      workflow: "claims",
      version: "4",
      startedAt: "2026-05-01T11:59:00.000Z",
      finishedAt: "2026-05-01T11:59:30.500Z",
      cases: 320,
      endToEndAccuracy: 0.958974,
      escalationRate: 0.390625,
      regressions: 0,
      baselineVersion: "2",
      createdAt: new Date(clock).toISOString(),
      actor: expect.stringMatching(/^user:/),
    });
    const byWorkflow = await call<GoldenResultsResponse>(ctx, "GET", "/v1/golden/results?workflow=claims", u.analyst);
    expect(byWorkflow.body.items.map((r) => r.version)).toEqual(["4", "2", "1"]);
    const bySet = await call<GoldenResultsResponse>(ctx, "GET", "/v1/golden/results?set=smoke", u.analyst);
    expect(bySet.body.items.map((r) => r.version)).toEqual(["2"]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: GoldenResultsResponse } = await call<GoldenResultsResponse>(
        ctx,
        "GET",
        `/v1/golden/results?limit=1${cursor ? `&cursor=${cursor}` : ""}`,
        u.analyst,
      );
      seen.push(...page.body.items.map((r) => r.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids.slice().reverse());
  });

  it("refuses a malformed result with 400 and stores nothing", async () => {
    const u = await team();
    const bad = [
      result({ set: "../etc/passwd" }),
      result({ setVersion: "v1" }),
      result({ finishedAt: "2026-05-01T11:00:00.000Z" }),
      result({ summary: { ...result().summary, escalationRate: 1.5 } }),
      result({ workflow: undefined }),
      result({ extra: true }),
    ];
    for (const body of bad) {
      const r = await call<ErrorBody>(ctx, "POST", "/v1/golden/results", u.key, body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(r.body.error.code).toBe("invalid_body");
    }
    expect((await call<GoldenResultsResponse>(ctx, "GET", "/v1/golden/results", u.admin)).body.items).toEqual([]);
    expect((await call<ErrorBody>(ctx, "GET", "/v1/golden/results?cursor=nope!", u.admin)).status).toBe(400);
    expect((await call<ErrorBody>(ctx, "GET", "/v1/golden/results/0190f0f0-0000-7000-8000-000000000001", u.admin)).status).toBe(404);
  });

  it("lets reviewers neither send nor read results", async () => {
    expect((await call(ctx, "POST", "/v1/golden/results", t.reviewer, result())).status).toBe(403);
    expect((await call(ctx, "GET", "/v1/golden/results", t.reviewer)).status).toBe(403);
  });
});

/** Reads a set download with the golden package's own streaming reader, which validates every line. */
async function readSet(t: Team, set: string): Promise<{ cases: GoldenCase[]; version: string; headers: Headers }> {
  const res = await ctx.app.request(`/v1/golden/sets/${set}/cases`, { headers: { authorization: `Bearer ${t.key.key}` } });
  expect(res.status).toBe(200);
  const reader = readGoldenSet(Readable.fromWeb(res.body! as WebReadableStream<Uint8Array>), { name: set });
  const cases: GoldenCase[] = [];
  for (;;) {
    const next = await reader.next();
    if (next.done) return { cases, version: next.value.version, headers: res.headers };
    cases.push(next.value);
  }
}

describe("golden cases from reviews", () => {
  let t: Team;
  beforeAll(async () => {
    t = await team();
  });

  async function reviewed(decision: "accept" | "correct" | "reject" | null) {
    const run = escalatedRun(clock - 60_000);
    await postBatches(ctx, t.key.key!, run.batches);
    if (decision !== null) {
      const body = decision === "correct" ? { decision, output: { amount: 12_000, currency: "EUR" }, reason: "policy limit" } : { decision, reason: "checked" };
      const r = await call<ErrorBody>(ctx, "POST", `/v1/escalations/${run.escalationId}/decision`, t.reviewer, body);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    return run;
  }

  it("makes a corrected run a case: its input, the decided output of the reviewed step, the recorded outputs of the others", async () => {
    const run = await reviewed("correct");
    clock += 1_000;
    const r = await call<GoldenCaseCreated>(ctx, "POST", "/v1/golden/cases", t.reviewer, { escalationId: run.escalationId, set: "claims-reviewed" });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ id: expect.any(String), set: "claims-reviewed", caseId: `review-${run.escalationId}` });

    const accepted = await reviewed("accept");
    clock += 1_000;
    expect((await call(ctx, "POST", "/v1/golden/cases", t.admin, { escalationId: accepted.escalationId, set: "claims-reviewed" })).status).toBe(201);

    const set = await readSet(t, "claims-reviewed");
    expect(set.headers.get("content-type")).toBe("application/x-ndjson");
    expect(set.headers.get("content-disposition")).toBe('attachment; filename="claims-reviewed.jsonl"');
    expect(set.cases).toEqual([
      {
        id: `review-${run.escalationId}`,
        input: run.start.input,
        expected: {
          extract: run.extract.output,
          classify: run.classify.output,
          "match-policy": run.match.output,
          reserve: { amount: 12_000, currency: "EUR" },
        },
        tags: ["from-review"],
      },
      {
        id: `review-${accepted.escalationId}`,
        input: accepted.start.input,
        expected: {
          extract: accepted.extract.output,
          classify: accepted.classify.output,
          "match-policy": accepted.match.output,
          reserve: accepted.reserve.output,
        },
        tags: ["from-review"],
      },
    ]);

    // A download is an export of runs' inputs: recorded.
    expect((await auditPayloads(t.projectId, "export.golden")).map((a) => a.payload)).toEqual([{ set: "claims-reviewed" }]);
    const sets = await call<GoldenSetsResponse>(ctx, "GET", "/v1/golden/sets", t.analyst);
    expect(sets.body.items).toEqual([{ set: "claims-reviewed", cases: 2, updatedAt: new Date(clock).toISOString() }]);
    const audit = await auditPayloads(t.projectId, "golden.case_added");
    expect(audit.map((a) => [a.runId, a.payload.caseId, a.payload.set])).toEqual([
      [run.runId, `review-${run.escalationId}`, "claims-reviewed"],
      [accepted.runId, `review-${accepted.escalationId}`, "claims-reviewed"],
    ]);
  });

  it("answers 409 not_resolved for an open escalation, no_expected_output for a rejection, duplicate for a second add", async () => {
    const open = await reviewed(null);
    const rejected = await reviewed("reject");
    const done = await reviewed("accept");
    const add = (escalationId: string, set = "conflicts") => call<ErrorBody>(ctx, "POST", "/v1/golden/cases", t.reviewer, { escalationId, set });
    expect((await add(open.escalationId)).body.error).toMatchObject({ code: "not_resolved" });
    expect((await add(rejected.escalationId)).body.error).toMatchObject({ code: "no_expected_output" });
    expect((await add(done.escalationId)).status).toBe(201);
    const again = await add(done.escalationId);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: "duplicate", details: { caseId: `review-${done.escalationId}` } });
    // Another set may hold the same review.
    expect((await add(done.escalationId, "other")).status).toBe(201);
    expect((await readSet(t, "conflicts")).cases).toHaveLength(1);
  });

  it("keeps only the steps up to a corrected spot check: the steps after it ran on the wrong value", async () => {
    const t0 = clock - 120_000;
    const start = runStarted({ time: new Date(t0).toISOString() });
    const at = (ms: number) => ({ time: new Date(t0 + ms).toISOString(), startedAt: new Date(t0 + ms - 10).toISOString() });
    const classify = stepEvent(start.runId, { step: "classify", output: "water", ...at(100) });
    const extract = reviewedStep(start.runId, "spot_check", { step: "extract", parents: [classify.stepId], output: { amount: 100 }, ...at(200) });
    const reserve = stepEvent(start.runId, { step: "reserve", parents: [extract.stepId], output: { amount: 100 }, ...at(300) });
    await postBatches(ctx, t.key.key!, [
      [start, classify, extract, reserve, runEnded(start.runId, "run.completed", { time: new Date(t0 + 400).toISOString() })],
    ]);
    const decided = await call<ErrorBody>(ctx, "POST", `/v1/escalations/${extract.escalationId}/decision`, t.reviewer, {
      decision: "correct",
      output: { amount: 1000 },
      reason: "misread",
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expect((await call(ctx, "POST", "/v1/golden/cases", t.reviewer, { escalationId: extract.escalationId, set: "spot" })).status).toBe(201);
    expect((await readSet(t, "spot")).cases[0]?.expected).toEqual({ classify: "water", extract: { amount: 1000 } });
  });

  it("answers 409 purged for a run whose payloads retention already removed, and stores nothing", async () => {
    const done = await reviewed("accept");
    await ctx.store.client.execute({
      sql: "UPDATE runs SET payloads_purged_at = ? WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND id = ?",
      args: [clock, t.projectId, done.runId],
    });
    const r = await call<ErrorBody>(ctx, "POST", "/v1/golden/cases", t.reviewer, { escalationId: done.escalationId, set: "purged" });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: "purged" });
    const sets = await call<GoldenSetsResponse>(ctx, "GET", "/v1/golden/sets", t.analyst);
    expect(sets.body.items.map((i) => i.set)).not.toContain("purged");
  });

  it("answers 404 for an unknown escalation or set, 400 for a bad set name, and 403 to analysts and keys", async () => {
    const done = await reviewed("accept");
    expect((await call<ErrorBody>(ctx, "POST", "/v1/golden/cases", t.reviewer, { escalationId: "nope", set: "x" })).status).toBe(404);
    for (const set of ["../x", ".hidden", "a/b", "x.jsonl", ""]) {
      const r = await call<ErrorBody>(ctx, "POST", "/v1/golden/cases", t.reviewer, { escalationId: done.escalationId, set });
      expect(r.status, set).toBe(400);
    }
    expect((await call<ErrorBody>(ctx, "GET", "/v1/golden/sets/never-made/cases", t.reviewer)).status).toBe(404);
    expect((await call(ctx, "POST", "/v1/golden/cases", t.analyst, { escalationId: done.escalationId, set: "x" })).status).toBe(403);
    expect((await call(ctx, "POST", "/v1/golden/cases", t.key, { escalationId: done.escalationId, set: "x" })).status).toBe(403);
  });
});
