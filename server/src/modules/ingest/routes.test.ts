import { uuidv7, type RunStartedEvent, type StepEvent } from "@seamtrace/sdk";
import { runPayload, runPayloadColumns } from "../runs/run-payload.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../auth/api-key.js";
import { sha256Hex } from "../audit/chain.js";
import { revokeApiKey } from "../auth/keys-store.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { completedRun, counts, dropped, postEvents, runEnded, runStarted, stepEvent } from "../../../test-support/events-fixtures.js";
import { STEP_EVENT_JOIN, stepPayload } from "../runs/step-payload.js";
import { fromStoredText } from "../../platform/db/stored-text.js";
import { idFromStored, refFromStored, storedId, storedRef } from "../../platform/db/stored-id.js";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

async function runRow(projectId: string, runId: string): Promise<Record<string, unknown> | undefined> {
  await ctx.deps.projector.sync();
  const rs = await ctx.store.client.execute({
    sql: `SELECT r.*, ${runPayloadColumns("r")} FROM runs r WHERE r.project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND r.id = ?`,
    args: [projectId, runId],
  });
  const row = rs.rows[0];
  if (!row) return row;
  // The run's input and output as JSON text, read from the events that hold them.
  const { input, output } = runPayload(row, rs.columns.length - 6);
  const text = (v: unknown) => (v === null ? null : JSON.stringify(v));
  return { ...(row as Record<string, unknown>), input: text(input), output: text(output) };
}

describe("POST /v1/events: item statuses", () => {
  it("returns 200 with every item accepted, in request order", async () => {
    const { key } = await ctx.newProject();
    const { events } = completedRun();
    const res = await postEvents(ctx, key, { events: [...events, dropped()] });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r) => r.status)).toEqual(Array(6).fill("accepted"));
    expect(res.body.results.map((r) => r.id)).toEqual([...events.map((e) => e.id), expect.any(String)]);
  });

  it("returns 207 for a mixed batch, with accepted, duplicate and rejected items each answered", async () => {
    const { key, projectId } = await ctx.newProject();
    const known = runStarted();
    await postEvents(ctx, key, { events: [known] });
    const fresh = runStarted();
    const badConfidence = stepEvent(fresh.runId, { confidence: 1.5 });
    const res = await postEvents(ctx, key, {
      events: [fresh, known, badConfidence, { ...runStarted(), type: "run.exploded" }, { type: "run.started" }, "not an event", fresh],
    });
    expect(res.status).toBe(207);
    expect(res.body.results).toEqual([
      { id: fresh.id, status: "accepted" },
      { id: known.id, status: "duplicate" },
      {
        id: badConfidence.id,
        status: "rejected",
        code: "invalid_confidence",
        message: expect.stringContaining("confidence must be a finite number in [0, 1] (or left out for an unscored step), got 1.5"),
      },
      { id: expect.any(String), status: "rejected", code: "unknown_type", message: expect.any(String) },
      { id: null, status: "rejected", code: "invalid_event", message: expect.any(String) },
      { id: null, status: "rejected", code: "invalid_event", message: expect.any(String) },
      { id: fresh.id, status: "duplicate" },
    ]);
    expect(await counts(ctx, projectId)).toEqual({ events: 2, runs: 2, steps: 0 });
  });

  it("returns 200 with no results for an empty batch", async () => {
    const { key } = await ctx.newProject();
    const res = await postEvents(ctx, key, { events: [] });
    expect([res.status, res.body]).toEqual([200, { results: [] }]);
  });

  it.each([
    ["an array", []],
    ["a string", '"events"'],
    ["null", "null"],
    ["an object without events", { batch: [] }],
    ["events that is not an array", { events: { 0: runStarted() } }],
  ])("returns 400 invalid_envelope when the body is %s", async (_, body) => {
    const { key, projectId } = await ctx.newProject();
    const res = await postEvents(ctx, key, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_envelope", requestId: expect.any(String) });
    expect(await counts(ctx, projectId)).toEqual({ events: 0, runs: 0, steps: 0 });
  });

  it("ignores unknown fields, so an item cannot set server-owned columns", async () => {
    const { key, projectId } = await ctx.newProject();
    const e = { ...runStarted(), projectId: "someone-else", keyId: "forged", status: "completed", receivedAt: 0 };
    const res = await postEvents(ctx, key, { events: [e] });
    expect(res.body.results[0]).toEqual({ id: e.id, status: "accepted" });
    const stored = await ctx.store.client.execute({
      sql: "SELECT body FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?)",
      args: [projectId],
    });
    expect(Object.keys(JSON.parse(fromStoredText(stored.rows[0]!.body)))).not.toContain("projectId");
    const entry = await ctx.store.client.execute({
      sql: "SELECT actor FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND subject = ?",
      args: [projectId, storedRef(`event:${e.id}`)],
    });
    expect(refFromStored(entry.rows[0]!.actor)).toMatch(/^sdk:[0-9a-f-]{36}$/);
    expect((await runRow(projectId, e.runId))!.status).toBe("running");
  });

  it("stores a well-formed event as its text in the request, and audits the hash of what it stored", async () => {
    const { key, projectId } = await ctx.newProject();
    const e = stepEvent(uuidv7(), { reasoning: 'quoted "é😀" \\ text' });
    const sent = JSON.stringify(e, null, 1);
    const res = await postEvents(ctx, key, `{ "events" : [ ${sent} ] }`);
    expect(res.body.results[0]).toEqual({ id: e.id, status: "accepted" });
    const stored = await ctx.store.client.execute({
      sql: "SELECT body FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?)",
      args: [projectId],
    });
    expect(fromStoredText(stored.rows[0]!.body)).toBe(sent);
    const entry = await ctx.store.client.execute({
      sql: "SELECT lower(hex(payload_hash)) AS payload_hash FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND subject = ?",
      args: [projectId, storedRef(`event:${e.id}`)],
    });
    expect(entry.rows[0]!.payload_hash).toBe(sha256Hex(sent));
  });

  it("stores what was validated, not the text, when a name repeats within an event", async () => {
    const { key, projectId } = await ctx.newProject();
    const e = stepEvent(uuidv7(), { confidence: 0.5 });
    // JSON.parse keeps the last value of a repeated name; a reader that keeps the first must not
    // find the other one stored.
    const sent = JSON.stringify(e).replace('"confidence":0.5', '"confidence":7,"confidence":0.5');
    const res = await postEvents(ctx, key, `{"events":[${sent}]}`);
    expect(res.body.results[0]).toEqual({ id: e.id, status: "accepted" });
    const stored = await ctx.store.client.execute({
      sql: "SELECT body FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?)",
      args: [projectId],
    });
    const body = fromStoredText(stored.rows[0]!.body);
    expect(body).not.toContain('"confidence":7');
    // SQLite's JSON functions, like such a reader, take the first of repeated names.
    expect((await ctx.store.client.execute({ sql: "SELECT ? ->> '$.confidence'", args: [body] })).rows[0]![0]).toBe(0.5);
  });

  it("changes nothing for a rejected item", async () => {
    const { key, projectId } = await ctx.newProject();
    const run = completedRun();
    await postEvents(ctx, key, { events: run.events });
    const before = await counts(ctx, projectId);
    const bad = [
      stepEvent(run.runId, { stepId: run.stepIds[0]!, output: "overwritten?", source: "guessed" as "direct" }),
      runEnded(run.runId, "run.failed", { durationMs: -1 }),
      stepEvent(uuidv7(), { parents: ["not-a-uuid"] }),
    ];
    const res = await postEvents(ctx, key, { events: bad });
    expect(res.status).toBe(207);
    expect(res.body.results.every((r) => r.status === "rejected")).toBe(true);
    expect(await counts(ctx, projectId)).toEqual(before);
    expect((await runRow(projectId, run.runId))!.status).toBe("completed");
  });
});

describe("POST /v1/events: idempotency", () => {
  it("stores a resent batch once and answers it with duplicates", async () => {
    const { key, projectId } = await ctx.newProject();
    const { events, runId } = completedRun();
    expect((await postEvents(ctx, key, { events })).status).toBe(200);
    const again = await postEvents(ctx, key, { events });
    expect(again.status).toBe(200);
    expect(again.body.results.map((r) => r.status)).toEqual(Array(5).fill("duplicate"));
    expect(await counts(ctx, projectId)).toEqual({ events: 5, runs: 1, steps: 3 });
    expect((await runRow(projectId, runId))!.step_count).toBe(3);
  });

  it("stores an event repeated within one batch once", async () => {
    const { key, projectId } = await ctx.newProject();
    const start = runStarted();
    const step = stepEvent(start.runId);
    const res = await postEvents(ctx, key, { events: [start, step, step, start] });
    expect(res.body.results.map((r) => r.status)).toEqual(["accepted", "accepted", "duplicate", "duplicate"]);
    expect(await counts(ctx, projectId)).toEqual({ events: 2, runs: 1, steps: 1 });
    expect((await runRow(projectId, start.runId))!.step_count).toBe(1);
  });

  it("answers conflict to an id stored before with other content, and changes nothing", async () => {
    const { key, projectId } = await ctx.newProject();
    const start = runStarted();
    const step = stepEvent(start.runId, { confidence: 0.4 });
    expect((await postEvents(ctx, key, { events: [start, step] })).status).toBe(200);
    const rewritten = { ...step, confidence: 0.99, output: { policyNo: "P-9" } };
    // Same content in another member order is the same event.
    const reordered = Object.fromEntries(Object.entries(step).reverse());
    const res = await postEvents(ctx, key, { events: [rewritten, reordered, runStarted({ runId: start.runId, id: start.id, key: "another" })] });
    expect(res.status).toBe(207);
    expect(res.body.results).toEqual([
      { id: step.id, status: "conflict", message: expect.stringContaining("different content") },
      { id: step.id, status: "duplicate" },
      { id: start.id, status: "conflict", message: expect.any(String) },
    ]);
    expect(await counts(ctx, projectId)).toEqual({ events: 2, runs: 1, steps: 1 });
    await ctx.deps.projector.sync();
    const stored = await ctx.store.client.execute({
      sql: "SELECT confidence FROM steps WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND id = ?",
      args: [projectId, storedId(step.stepId)],
    });
    expect(stored.rows[0]![0]).toBe(0.4);
  });

  it("settles an id repeated within one batch against the first copy: the same content is a duplicate, other content a conflict", async () => {
    const { key, projectId } = await ctx.newProject();
    const start = runStarted();
    const res = await postEvents(ctx, key, { events: [start, { ...start }, { ...start, key: "other" }] });
    expect(res.status).toBe(207);
    expect(res.body.results.map((r) => r.status)).toEqual(["accepted", "duplicate", "conflict"]);
    expect((await counts(ctx, projectId)).events).toBe(1);
  });

  it("takes an id in upper case as the same event, answering with the id as it was sent", async () => {
    const { key, projectId } = await ctx.newProject();
    const start = runStarted();
    const step = stepEvent(start.runId);
    expect((await postEvents(ctx, key, { events: [start, step] })).status).toBe(200);
    const upper = { ...step, id: step.id.toUpperCase(), runId: step.runId.toUpperCase(), stepId: step.stepId.toUpperCase() };
    const res = await postEvents(ctx, key, { events: [upper] });
    expect([res.status, res.body.results]).toEqual([200, [{ id: upper.id, status: "duplicate" }]]);
    expect(await counts(ctx, projectId)).toEqual({ events: 2, runs: 1, steps: 1 });

    // A new event sent in upper case is stored in lower case, in its run.
    const next = stepEvent(start.runId);
    const res2 = await postEvents(ctx, key, {
      events: [{ ...next, id: next.id.toUpperCase(), runId: next.runId.toUpperCase(), parents: [step.stepId.toUpperCase()] }],
    });
    expect(res2.body.results[0]!.status).toBe("accepted");
    const rows = await ctx.store.client.execute({
      sql: "SELECT id, run_id, body FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) ORDER BY seq",
      args: [projectId],
    });
    expect(rows.rows.map((r) => [idFromStored(r[0]), idFromStored(r[1])])).toEqual([
      [start.id, start.runId],
      [step.id, start.runId],
      [next.id, start.runId],
    ]);
    expect(JSON.parse(fromStoredText(rows.rows[2]![2]))).toMatchObject({ id: next.id, runId: start.runId, parents: [step.stepId] });
    expect(await counts(ctx, projectId)).toEqual({ events: 3, runs: 1, steps: 2 });
  });

  it("treats the same event id in another project as a different event", async () => {
    const a = await ctx.newProject();
    const b = await ctx.newProject();
    const e = runStarted();
    expect((await postEvents(ctx, a.key, { events: [e] })).body.results[0]!.status).toBe("accepted");
    expect((await postEvents(ctx, b.key, { events: [e] })).body.results[0]!.status).toBe("accepted");
    expect((await counts(ctx, a.projectId)).events).toBe(1);
    expect((await counts(ctx, b.projectId)).events).toBe(1);
  });
});

describe("POST /v1/events: authentication and tenancy", () => {
  it.each([
    ["missing", null],
    ["malformed", "not-a-key"],
    ["well-formed but unknown", generateApiKey()],
  ])("returns 401 when the key is %s", async (_, key) => {
    const res = await postEvents(ctx, key, { events: [runStarted()] });
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe("unauthorized");
  });

  it("returns 401 for a malformed Authorization header", async () => {
    const { key } = await ctx.newProject();
    const res = await postEvents(ctx, null, { events: [] }, { headers: { authorization: `Basic ${key}` } });
    expect(res.status).toBe(401);
  });

  it("returns 401 for a revoked key and stores nothing", async () => {
    const { key, keyId, projectId } = await ctx.newProject();
    expect((await postEvents(ctx, key, { events: [] })).status).toBe(200);
    await revokeApiKey(ctx.store.db, keyId);
    const res = await postEvents(ctx, key, { events: [runStarted()] });
    expect(res.status).toBe(401);
    expect((await counts(ctx, projectId)).events).toBe(0);
  });

  it("keeps two projects' runs with the same run id apart", async () => {
    const a = await ctx.newProject();
    const b = await ctx.newProject();
    const runId = uuidv7();
    await postEvents(ctx, a.key, { events: [runStarted({ runId, input: "a's input" }), runEnded(runId, "run.failed")] });
    await postEvents(ctx, b.key, { events: [runStarted({ runId, input: "b's input" })] });
    const rowA = await runRow(a.projectId, runId);
    const rowB = await runRow(b.projectId, runId);
    expect([rowA!.status, rowA!.input]).toEqual(["failed", '"a\'s input"']);
    expect([rowB!.status, rowB!.input]).toEqual(["running", '"b\'s input"']);
    await ctx.deps.projector.sync();
    const all = await ctx.store.client.execute({
      sql: "SELECT (SELECT project_id FROM project_keys k WHERE k.project_key = r.project_key) AS project_id FROM runs r WHERE id = ?",
      args: [runId],
    });
    expect(all.rows.map((r) => r.project_id).sort()).toEqual([a.projectId, b.projectId].sort());
  });
});

describe("POST /v1/events: projection into runs and steps", () => {
  it("projects a started run, its three steps and its end into one run row and three step rows", async () => {
    const { key, projectId } = await ctx.newProject();
    const run = completedRun();
    expect((await postEvents(ctx, key, { events: run.events })).status).toBe(200);
    const r = (await runRow(projectId, run.runId))!;
    expect(r).toMatchObject({
      status: "completed",
      step_count: 3,
      min_cumulative: 0.736,
      workflow: "claims",
      version: "3",
      key: "msg-1",
      output: JSON.stringify({ route: "auto" }),
      duration_ms: 1000,
      started_at: Date.parse(run.events[0]!.time),
      ended_at: Date.parse(run.events[4]!.time),
    });
    const wf = await ctx.store.client.execute({ sql: "SELECT id FROM workflows WHERE project_id = ? AND name = 'claims'", args: [projectId] });
    expect(r.workflow_id).toBe(wf.rows[0]!.id);

    await ctx.deps.projector.sync();
    const steps = await ctx.store.client.execute({
      sql: `SELECT s.*, ev.body AS event_body FROM steps s ${STEP_EVENT_JOIN} WHERE s.project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND s.run_id = ? ORDER BY s.started_at, s.name`,
      args: [projectId, storedId(run.runId)],
    });
    expect(steps.rows.map((s) => [idFromStored(s.id), s.name, stepPayload(s.event_body).parents])).toEqual([
      [run.stepIds[0], "extract", []],
      [run.stepIds[1], "classify", [run.stepIds[0]]],
      [run.stepIds[2], "match-policy", [run.stepIds[0]]],
    ]);
    const [extract, classify, match] = steps.rows;
    expect(extract).toMatchObject({ status: "completed", confidence: 0.92, source: "inferred", stale: 0, flagged: 0, attempts: 1 });
    // The payloads are read from the step's event, where they are stored once.
    const [x, c, m] = [extract, classify, match].map((r) => stepPayload(r!.event_body));
    expect(x!.reasoning).toBe("policy number found in the subject line");
    expect(x!.features).toEqual({ amount: 1200, channel: "email", urgent: false });
    expect(x!.alternatives).toEqual([{ policyNo: "P-1243" }]);
    expect(c!.gate).toMatchObject({ outcome: "pass", minConfidence: 0.7 });
    expect(c!.output).toBe("water");
    expect(match).toMatchObject({ source: "direct", attempts: 2, max_age_ms: 86_400_000, observed_at: Date.parse("2025-01-15T09:29:00.000Z") });
    expect(m!.attemptErrors).toEqual([{ name: "FetchError", message: "ECONNRESET" }]);
  });

  it("ends completed when run.completed arrives before run.started, in separate requests", async () => {
    const { key, projectId } = await ctx.newProject();
    const run = completedRun();
    const [start, ...rest] = run.events;
    await postEvents(ctx, key, { events: rest.reverse() });
    expect((await runRow(projectId, run.runId))!.status).toBe("completed");
    await postEvents(ctx, key, { events: [start] });
    const r = (await runRow(projectId, run.runId))!;
    expect(r).toMatchObject({ status: "completed", step_count: 3, key: "msg-1", started_at: Date.parse(start!.time) });
    expect(r.input).toBe(JSON.stringify((start as { input: unknown }).input));
  });

  it("keeps the earliest start when later events imply a later one", async () => {
    const { key, projectId } = await ctx.newProject();
    const run = completedRun();
    const [start, , classify] = run.events;
    await postEvents(ctx, key, { events: [start] });
    // classify started 130 ms in; a run.completed claiming 500 ms implies a start 500 ms in.
    await postEvents(ctx, key, { events: [classify, runEnded(run.runId, "run.completed", { durationMs: 500 })] });
    expect((await runRow(projectId, run.runId))!.started_at).toBe(Date.parse(start!.time));
  });

  it("takes the start from a step that started before its run.started said, in the same request", async () => {
    const { key, projectId } = await ctx.newProject();
    const run = completedRun();
    const [start, extract] = run.events as [RunStartedEvent, StepEvent];
    // The worker's clock put the run's start 5 s after its first step's (clocks disagree).
    const late = { ...start, time: new Date(Date.parse(extract.startedAt) + 5_000).toISOString() };
    await postEvents(ctx, key, { events: [late, extract] });
    expect((await runRow(projectId, run.runId))!.started_at).toBe(Date.parse(extract.startedAt));
  });

  it("creates the run from a step event when the run is not yet known", async () => {
    const { key, projectId } = await ctx.newProject();
    const runId = uuidv7();
    await postEvents(ctx, key, { events: [stepEvent(runId, { type: "step.failed", error: { name: "Error", message: "boom" } })] });
    expect(await runRow(projectId, runId)).toMatchObject({ status: "running", step_count: 1, workflow: "claims" });
  });

  it("lets a resume's run.started reopen a paused run, but not a late pause override the resume", async () => {
    const { key, projectId } = await ctx.newProject();
    const start = runStarted();
    const t = Date.parse(start.time);
    const at = (ms: number) => new Date(t + ms).toISOString();
    const pause = runEnded(start.runId, "run.paused", { time: at(100), stepId: uuidv7() });
    const resume = runStarted({ runId: start.runId, time: at(5_000) });
    await postEvents(ctx, key, { events: [start, resume] });
    await postEvents(ctx, key, { events: [pause] }); // the pause is older than the resume
    expect((await runRow(projectId, start.runId))!.status).toBe("running");
    await postEvents(ctx, key, { events: [runEnded(start.runId, "run.completed", { time: at(6_000) })] });
    await postEvents(ctx, key, { events: [runStarted({ runId: start.runId, time: at(7_000) })] });
    expect((await runRow(projectId, start.runId))!.status).toBe("completed");
  });
});
