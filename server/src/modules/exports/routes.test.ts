import { uuidv7, type ErrorBody, type StepEvent } from "@seamtrace/sdk";
import type { CorrectionRow } from "@seamtrace/golden";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EscalationDetail } from "../review/contract.js";
import { streamCorrections } from "./store.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { runEnded, runStarted, stepEvent } from "../../../test-support/events-fixtures.js";
import { call, postBatches, type Caller } from "../../../test-support/review-fixtures.js";
import { refFromStored } from "../../platform/db/stored-id.js";

let ctx: TestContext;
/** The test clock: decisions are stamped with it, so the tests choose decision times. */
let clock = Date.UTC(2026, 0, 10, 12);
beforeAll(async () => {
  ctx = await createTestContext();
  ctx.deps.now = () => clock;
});
afterAll(() => ctx.close());

const iso = (ms: number) => new Date(ms).toISOString();
const DAY = 86_400_000;

interface Team {
  projectId: string;
  key: string;
  admin: Caller;
  analyst: Caller;
  reviewer: Caller & { userId: string };
}

async function team(): Promise<Team> {
  const p = await ctx.newProject();
  const reviewer = await ctx.newUser(p.projectId, "reviewer");
  return {
    projectId: p.projectId,
    key: p.key,
    admin: { cookie: (await ctx.newUser(p.projectId, "admin")).cookie },
    analyst: { cookie: (await ctx.newUser(p.projectId, "analyst")).cookie },
    reviewer: { cookie: reviewer.cookie, userId: reviewer.userId },
  };
}

interface Seeded {
  escalationId: string;
  runId: string;
  stepId: string;
}

/** A run whose `step` escalates on low confidence, reported through the collector as the SDK would. */
async function escalate(t: Team, o: { workflow?: string; version?: string; step?: string; pad?: number; over?: Partial<StepEvent> } = {}): Promise<Seeded> {
  const workflow = o.workflow ?? "claims";
  const version = o.version ?? "3";
  const t0 = clock - 60_000;
  const start = runStarted({ time: iso(t0), workflow, version, key: `msg-${uuidv7()}`, input: { body: "Flooded kitchen" } });
  const escalationId = uuidv7();
  const step = stepEvent(start.runId, {
    workflow,
    version,
    step: o.step ?? "reserve",
    startedAt: iso(t0),
    time: iso(t0 + 100),
    input: { kind: "water", note: 'quote "1,850",\nline two', pad: "x".repeat(o.pad ?? 0) },
    output: { amount: 25_000, currency: "EUR" },
    confidence: 0.55,
    cumulative: 0.5,
    alternatives: [
      { amount: 12_000, currency: "EUR" },
      { amount: 2_500, currency: "EUR" },
    ],
    gate: { outcome: "escalate", kinds: ["confidence"], minConfidence: 0.8 },
    escalationId,
    ...o.over,
  });
  const paused = runEnded(start.runId, "run.paused", { workflow, version, time: iso(t0 + 101), durationMs: 101, stepId: step.stepId, escalationId });
  await postBatches(ctx, t.key, [[start, step, paused]]);
  return { escalationId, runId: start.runId, stepId: step.stepId };
}

type DecisionBody = { decision: "accept" | "reject"; reason: string } | { decision: "correct"; output: unknown; reason: string; alternative?: number };

async function decide(t: Team, id: string, body: DecisionBody): Promise<void> {
  const res = await call<ErrorBody>(ctx, "POST", `/v1/escalations/${id}/decision`, t.reviewer, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

async function exportText(who: Caller, params: Record<string, string> = {}) {
  const headers: Record<string, string> = {};
  if (who.cookie) headers.cookie = who.cookie;
  if (who.key) headers.authorization = `Bearer ${who.key}`;
  const res = await ctx.app.request(`/v1/exports/corrections?${new URLSearchParams(params)}`, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const jsonl = (text: string) =>
  text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CorrectionRow);

/** A CSV record back to a row: JSON cells parsed, empty plain cells null. */
function fromCsv(r: Record<string, string>): CorrectionRow {
  const plain = (v: string | undefined) => (v === "" || v === undefined ? null : v);
  return {
    escalationId: plain(r.escalationId),
    labelId: plain(r.labelId),
    kind: r.kind as CorrectionRow["kind"],
    runId: r.runId!,
    stepId: r.stepId!,
    workflow: r.workflow!,
    version: r.version!,
    step: r.step!,
    input: JSON.parse(r.input!),
    output: JSON.parse(r.output!),
    corrected: JSON.parse(r.corrected!),
    decision: r.decision as CorrectionRow["decision"],
    confidence: r.confidence === "" ? null : Number(r.confidence),
    alternatives: JSON.parse(r.alternatives!) as unknown[] | null,
    reviewer: plain(r.reviewer),
    reason: plain(r.reason),
    createdAt: r.createdAt!,
    resolvedAt: r.resolvedAt!,
  };
}

/** What the review API says about a decided escalation, in export-row shape: the store's side of the round trip. */
async function fromReviewApi(t: Team, id: string): Promise<CorrectionRow> {
  const res = await call<EscalationDetail>(ctx, "GET", `/v1/escalations/${id}`, t.admin);
  expect(res.status).toBe(200);
  const e = res.body;
  return {
    escalationId: e.id,
    labelId: null,
    kind: e.kind,
    runId: e.runId,
    stepId: e.stepId,
    workflow: e.workflow,
    version: e.version,
    step: e.step,
    input: e.packet.input,
    output: e.packet.output,
    corrected: e.decision === "accept" ? e.packet.output : e.decision === "correct" ? e.correctedOutput : null,
    decision: e.decision!,
    confidence: e.confidence,
    alternatives: e.packet.alternatives,
    reviewer: `user:${e.reviewerId}`,
    reason: e.reason,
    createdAt: e.createdAt,
    resolvedAt: e.resolvedAt!,
  };
}

describe("corrections export: round trip through the review API", () => {
  let t: Team;
  const decided: Array<{ id: string; decision: string; at: number }> = [];
  beforeAll(async () => {
    t = await team();
    const plan: DecisionBody[] = [
      { decision: "correct", output: { amount: 12_000, currency: "EUR" }, reason: "policy limit is 12k", alternative: 0 },
      { decision: "accept", reason: "right" },
      { decision: "reject", reason: "not a claim at all" },
      { decision: "correct", output: null, reason: "no reserve: JSON null is a value" },
      { decision: "correct", output: '=HYPERLINK("x")', reason: 'commas, "quotes"\nand lines' },
    ];
    for (const body of plan) {
      clock += 1_000;
      const s = await escalate(t);
      await decide(t, s.escalationId, body);
      decided.push({ id: s.escalationId, decision: body.decision, at: clock });
    }
    // One left open: never exported.
    await escalate(t);
  });

  it("exports every decision in JSONL equal to what the review API holds, oldest decision first", async () => {
    const res = await exportText(t.analyst, { include: "corrections,accepts,rejections" });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="seamtrace-corrections-\d{8}T\d{6}Z\.jsonl"$/);
    const rows = jsonl(res.text);
    expect(rows.map((r) => r.escalationId)).toEqual(decided.map((d) => d.id));
    for (const row of rows) expect(row).toEqual(await fromReviewApi(t, row.escalationId!));
    // And against what the reviewer sent, not only the store's own view.
    expect(rows[0]).toMatchObject({
      decision: "correct",
      corrected: { amount: 12_000, currency: "EUR" },
      output: { amount: 25_000, currency: "EUR" },
      confidence: 0.55,
    });
    expect(rows[1]).toMatchObject({ decision: "accept", corrected: { amount: 25_000, currency: "EUR" } });
    expect(rows[2]).toMatchObject({ decision: "reject", corrected: null, reason: "not a claim at all" });
    expect(rows[3]).toMatchObject({ decision: "correct", corrected: null });
    expect(rows[0]!.resolvedAt).toBe(iso(decided[0]!.at));
  });

  it("defaults to corrections only", async () => {
    const rows = jsonl((await exportText(t.analyst)).text);
    expect(rows.map((r) => r.decision)).toEqual(["correct", "correct", "correct"]);
  });

  it("exports the same rows as CSV, parsed back with a CSV parser", async () => {
    const all = jsonl((await exportText(t.admin, { include: "corrections,accepts,rejections" })).text);
    const res = await exportText(t.admin, { format: "csv", include: "corrections,accepts,rejections" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/\.csv"$/);
    const records = parse(res.text, { columns: true }) as Array<Record<string, string>>;
    expect(records.map(fromCsv)).toEqual(all);
  });

  it("exports chat fine-tuning rows answering with the corrected output, rejections left out", async () => {
    const res = await exportText({ key: t.key }, { format: "chat", include: "corrections,accepts,rejections" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const chats = res.text
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { messages: Array<{ role: string; content: string }> });
    expect(chats).toHaveLength(4);
    const rows = jsonl((await exportText(t.admin, { include: "corrections,accepts" })).text);
    chats.forEach((c, i) => {
      expect(c.messages.map((m) => m.role)).toEqual(["system", "user", "assistant"]);
      expect(JSON.parse(c.messages[1]!.content)).toEqual(rows[i]!.input);
      expect(JSON.parse(c.messages[2]!.content)).toEqual(rows[i]!.corrected);
    });
  });

  it("records one export.corrections audit entry with the filters", async () => {
    const before = await auditEntries(t.projectId);
    await exportText({ key: t.key }, { format: "csv", workflow: "claims", from: "2026-01-01", include: "accepts,labels" });
    const after = await auditEntries(t.projectId);
    expect(after.length).toBe(before.length + 1);
    const entry = after.at(-1)!;
    expect(entry.actor).toMatch(/^sdk:/);
    expect(entry.payload).toEqual({
      format: "csv",
      workflow: "claims",
      step: null,
      version: null,
      from: "2026-01-01T00:00:00.000Z",
      to: null,
      include: ["accepts", "labels"],
    });
  });
});

async function auditEntries(projectId: string) {
  const rs = await ctx.store.client.execute({
    sql: `SELECT a.actor, p.body FROM audit_log a JOIN audit_payloads p ON p.project_key = a.project_key AND p.seq = a.seq
          WHERE a.project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND a.action = 'export.corrections' ORDER BY a.seq`,
    args: [projectId],
  });
  return rs.rows.map((r) => ({ actor: refFromStored(r[0]), payload: JSON.parse(String(r[1])) as unknown }));
}

describe("corrections export filters", () => {
  let t: Team;
  let t1: number;
  beforeAll(async () => {
    t = await team();
    clock = Date.UTC(2026, 1, 1, 12);
    const seed = async (o: Parameters<typeof escalate>[1]) => {
      const s = await escalate(t, o);
      await decide(t, s.escalationId, { decision: "correct", output: { amount: 1 }, reason: "fix" });
    };
    await seed({ workflow: "claims", version: "3", step: "reserve" });
    await seed({ workflow: "claims", version: "4", step: "reserve" });
    await seed({ workflow: "claims", version: "4", step: "classify" });
    clock += DAY;
    t1 = clock;
    await seed({ workflow: "refunds", version: "1", step: "reserve" });
  });

  const pick = async (params: Record<string, string>) => jsonl((await exportText(t.analyst, params)).text).map((r) => `${r.workflow}/${r.version}/${r.step}`);

  it("filters by workflow, version and step", async () => {
    expect(await pick({ workflow: "claims" })).toEqual(["claims/3/reserve", "claims/4/reserve", "claims/4/classify"]);
    expect(await pick({ workflow: "claims", version: "4" })).toEqual(["claims/4/reserve", "claims/4/classify"]);
    expect(await pick({ step: "reserve" })).toEqual(["claims/3/reserve", "claims/4/reserve", "refunds/1/reserve"]);
    expect(await pick({ workflow: "nope" })).toEqual([]);
  });

  it("filters by decision time, from inclusive and to exclusive", async () => {
    expect(await pick({ from: iso(t1) })).toEqual(["refunds/1/reserve"]);
    expect(await pick({ to: iso(t1) })).toEqual(["claims/3/reserve", "claims/4/reserve", "claims/4/classify"]);
    expect(await pick({ from: iso(t1 + 1) })).toEqual([]);
  });

  it("answers 400 invalid_query as JSON for a bad filter, and audits nothing", async () => {
    const before = (await auditEntries(t.projectId)).length;
    const bad: Array<Record<string, string>> = [
      { format: "xml" },
      { include: "corrections,everything" },
      { from: "yesterday" },
      { from: iso(t1), to: iso(t1 - 1) },
      { workflow: "x".repeat(300) },
    ];
    for (const params of bad) {
      const res = await exportText(t.analyst, params);
      expect(res.status, JSON.stringify(params)).toBe(400);
      expect(res.headers.get("content-type")).toMatch(/application\/json/);
      expect((JSON.parse(res.text) as ErrorBody).error.code).toBe("invalid_query");
    }
    expect((await auditEntries(t.projectId)).length).toBe(before);
  });

  it("is refused to reviewers", async () => {
    expect((await exportText(t.reviewer)).status).toBe(403);
  });
});

describe("corrections export with labels", () => {
  it("adds stand-alone labels merged in time order, without repeating a decision's own label", async () => {
    const t = await team();
    clock = Date.UTC(2026, 2, 1, 12);
    const a = await escalate(t);
    clock += 1_000;
    await decide(t, a.escalationId, { decision: "correct", output: { amount: 9 }, reason: "fix" });
    clock += 1_000;
    const b = await escalate(t, { step: "classify", over: { output: "water" } });
    const labels = await call<{ results: Array<{ id: string }> }>(
      ctx,
      "POST",
      "/v1/labels",
      { key: t.key },
      {
        labels: [
          { runId: b.runId, stepId: b.stepId, correct: false, value: "fire", reason: "from the adjuster" },
          { runId: b.runId, stepId: b.stepId, correct: true },
        ],
      },
    );
    expect(labels.status).toBe(200);
    clock += 1_000;
    const c = await escalate(t);
    await decide(t, c.escalationId, { decision: "correct", output: { amount: 7 }, reason: "fix" });

    const rows = jsonl((await exportText(t.admin, { include: "corrections,labels" })).text);
    expect(rows.map((r) => r.escalationId ?? r.kind)).toEqual([a.escalationId, "feedback", "feedback", c.escalationId]);
    const fire = [rows[1]!, rows[2]!].find((r) => r.decision === "correct");
    const right = [rows[1]!, rows[2]!].find((r) => r.decision === "accept");
    expect(right).toMatchObject({ decision: "accept", corrected: "water", output: "water", reviewer: expect.stringMatching(/^sdk:/) });
    expect(fire).toMatchObject({
      escalationId: null,
      labelId: labels.body.results[0]!.id,
      runId: b.runId,
      stepId: b.stepId,
      step: "classify",
      input: { kind: "water", note: 'quote "1,850",\nline two', pad: "" },
      output: "water",
      corrected: "fire",
      decision: "correct",
      reason: "from the adjuster",
    });
    // Without include=labels, only the decisions.
    expect(jsonl((await exportText(t.admin)).text).map((r) => r.escalationId)).toEqual([a.escalationId, c.escalationId]);
  });
});

describe("corrections export streaming", () => {
  let t: Team;
  const ids: string[] = [];
  beforeAll(async () => {
    t = await team();
    clock = Date.UTC(2026, 3, 1, 12);
    // Several decisions share a decision time, so pages must break ties by id.
    for (let i = 0; i < 24; i++) {
      if (i % 3 === 0) clock += 1_000;
      const s = await escalate(t, { pad: 2_000 });
      await decide(t, s.escalationId, { decision: "correct", output: { amount: i }, reason: "fix" });
      ids.push(s.escalationId);
    }
  });

  it("pages the store by (decision time, id): every row once, in order, whatever the page size", async () => {
    const read = async (pageSize: number) => {
      const out: string[] = [];
      for await (const r of streamCorrections(ctx.store.client, t.projectId, { include: ["corrections"] }, pageSize)) out.push(r.escalationId!);
      return out;
    };
    const expected = (await read(1_000)).slice();
    expect(new Set(expected).size).toBe(24);
    expect(expected.slice().sort()).toEqual(ids.slice().sort());
    for (const size of [1, 2, 5, 23, 24]) expect(await read(size)).toEqual(expected);
  });

  it("sends the first rows before the last are read: the body is a stream of whole-line chunks", async () => {
    const res = await ctx.app.request("/v1/exports/corrections", { headers: { authorization: `Bearer ${t.key}` } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    const text = new TextDecoder().decode(first.value);
    expect(text.endsWith("\n")).toBe(true);
    const firstRows = jsonl(text);
    // 24 rows of ~2 KB do not fit one chunk: the rest is still to come.
    expect(firstRows.length).toBeGreaterThan(0);
    expect(firstRows.length).toBeLessThan(24);
    let rest = "";
    for (let next = await reader.read(); !next.done; next = await reader.read()) rest += new TextDecoder().decode(next.value);
    expect([...firstRows, ...jsonl(rest)].map((r) => r.escalationId)).toHaveLength(24);
  });
});
