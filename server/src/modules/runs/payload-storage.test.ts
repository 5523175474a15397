import { uuidv7, type StepEvent } from "@seamtrace/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { completedRun, postEvents } from "../../../test-support/events-fixtures.js";
import { call, escalatedRun, postBatches } from "../../../test-support/review-fixtures.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { fromStoredText } from "../../platform/db/stored-text.js";
import { verifyAudit } from "../audit/verify.js";
import { storedId } from "../../platform/db/stored-id.js";

let ctx: TestContext;
let key: string;
let projectId: string;

beforeEach(async () => {
  ctx = await createTestContext();
  ({ key, projectId } = await ctx.newProject());
});
afterEach(() => ctx.close());

/** Every text or BLOB cell of every table (BLOBs inflated where they are compressed text), with where it is. */
async function allCells(): Promise<Array<{ table: string; column: string; text: string }>> {
  const tables = await ctx.store.client.execute(
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%'",
  );
  const cells: Array<{ table: string; column: string; text: string }> = [];
  for (const t of tables.rows) {
    const table = String(t[0]);
    const rs = await ctx.store.client.execute(`SELECT * FROM "${table}"`);
    for (const row of rs.rows) {
      for (const column of rs.columns) {
        const v = row[column];
        if (typeof v === "string") cells.push({ table, column, text: v });
        else if (v instanceof ArrayBuffer) cells.push({ table, column, text: safeText(v) });
      }
    }
  }
  return cells;
}

function safeText(v: ArrayBuffer): string {
  try {
    return fromStoredText(v);
  } catch {
    return "";
  }
}

/** A payload value of about `bytes` bytes of JSON, that compresses like prose does. */
function large(tag: string, bytes = 3 * 1024): { tag: string; text: string } {
  const words = ["water", "damage", "kitchen", "policy", "adjuster", "claim", "overnight", "pipe", "burst", "covered"];
  let text = "";
  for (let i = 0; text.length < bytes; i++) text += `${words[(i * 7) % words.length]} `;
  return { tag, text };
}

async function eventRow(eventId: string): Promise<{ storage: string; bytes: number; text: string }> {
  const rs = await ctx.store.client.execute({
    sql: "SELECT typeof(body), length(body), body FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND id = ?",
    args: [projectId, storedId(eventId)],
  });
  const r = rs.rows[0]!;
  return { storage: String(r[0]), bytes: Number(r[1]), text: fromStoredText(r[2]) };
}

describe("step payloads in the store", () => {
  it("are stored once, in the step's event, not again in the projected step row", async () => {
    const run = completedRun();
    const extract = run.events[1] as StepEvent;
    const mark = uuidv7();
    extract.input = { note: `input-${mark}` };
    extract.output = { note: `output-${mark}` };
    extract.reasoning = `reasoning-${mark}`;
    extract.alternatives = [`alternative-${mark}`];
    extract.features = { note: `features-${mark}` };
    extract.attemptErrors = [{ name: "Error", message: `attempt-${mark}` }];
    expect((await postEvents(ctx, key, { events: run.events })).status).toBe(200);
    await ctx.deps.projector.sync();

    const holding = (await allCells()).filter((c) => c.text.includes(mark)).map((c) => `${c.table}.${c.column}`);
    expect(holding).toEqual(["events.body"]);
    // And the run detail still serves every one of them, read from that body.
    const detail = await call<{ steps: Array<Record<string, unknown>> }>(ctx, "GET", `/v1/runs/${run.runId}`, { key });
    expect(detail.body.steps.find((s) => s.id === extract.stepId)).toMatchObject({
      input: extract.input,
      output: extract.output,
      reasoning: extract.reasoning,
      alternatives: extract.alternatives,
      features: extract.features,
      attemptErrors: extract.attemptErrors,
      parents: [],
    });
  });

  it("keeps a body over the threshold compressed, and serves it back identical through run detail, run state, review packet and export", async () => {
    const admin = await ctx.newUser(projectId, "admin");
    const r = escalatedRun();
    r.extract.input = large("extract-input");
    r.extract.output = large("extract-output");
    r.classify.output = large("classify-output");
    r.classify.reasoning = large("classify-reasoning").text;
    await postBatches(ctx, key, r.batches);

    const stored = await eventRow(r.extract.id);
    expect(stored.storage).toBe("blob");
    expect(stored.bytes).toBeLessThan(Buffer.byteLength(stored.text) / 2);
    expect(JSON.parse(stored.text)).toEqual(r.extract);
    // A small body is compressed too (the wire format's keys are the dictionary), and reads back as sent.
    const small = await eventRow(r.match.id);
    expect(small.storage).toBe("blob");
    expect(small.bytes).toBeLessThan(Buffer.byteLength(small.text) * 0.7);
    expect(JSON.parse(small.text)).toEqual(r.match);

    const detail = await call<{ steps: Array<Record<string, unknown>> }>(ctx, "GET", `/v1/runs/${r.runId}`, { key });
    const byId = new Map(detail.body.steps.map((s) => [s.id, s]));
    expect(byId.get(r.extract.stepId)).toMatchObject({ input: r.extract.input, output: r.extract.output });
    expect(byId.get(r.classify.stepId)).toMatchObject({ output: r.classify.output, reasoning: r.classify.reasoning, parents: [r.extract.stepId] });

    const state = await call<{ steps: Array<{ stepId: string; output: unknown; parents: string[] }> }>(ctx, "GET", `/v1/runs/${r.runId}/state`, { key });
    expect(state.status).toBe(200);
    expect(state.body.steps.find((s) => s.stepId === r.classify.stepId)).toMatchObject({ output: r.classify.output, parents: [r.extract.stepId] });

    // The review packet reads the earlier steps (stored in the first batch) from their events.
    const item = await call<{
      packet: { runSoFar: { steps: Array<{ stepId: string; output: unknown }> }; lineage: { parents: Array<{ stepId: string; output?: unknown }> } };
    }>(ctx, "GET", `/v1/escalations/${r.escalationId}`, admin);
    expect(item.status).toBe(200);
    expect(item.body.packet.runSoFar.steps.find((s) => s.stepId === r.extract.stepId)?.output).toEqual(r.extract.output);
    expect(item.body.packet.lineage.parents.find((p) => p.stepId === r.classify.stepId)?.output).toEqual(r.classify.output);

    // Training data: a label on the extract step exports with its recorded input and output.
    const labelled = await call(ctx, "POST", "/v1/labels", { key }, { labels: [{ runId: r.runId, stepId: r.extract.stepId, correct: true }] });
    expect(labelled.status).toBe(200);
    const exported = await ctx.app.request("/v1/exports/corrections?include=labels", { headers: { cookie: admin.cookie } });
    expect(exported.status).toBe(200);
    const rows = (await exported.text())
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { stepId: string; input: unknown; output: unknown; corrected: unknown });
    expect(rows.find((x) => x.stepId === r.extract.stepId)).toMatchObject({ input: r.extract.input, output: r.extract.output, corrected: r.extract.output });

    // The audit entry's payload hash is of the JSON text, whatever form it is stored in.
    const report = await verifyAudit(ctx.store.db, projectId, ctx.deps.auditSigner.publicKey);
    expect(report.ok).toBe(true);
    expect(report.payloads.checked).toBeGreaterThanOrEqual(r.batches.flat().length);
  });
});

describe("a run's input and output in the store", () => {
  it("are stored once, in the events that carried them, and served from there", async () => {
    const admin = await ctx.newUser(projectId, "admin");
    const mark = uuidv7();
    const r = escalatedRun();
    r.start.input = { note: `input-${mark}` };
    const ended = completedRun();
    (ended.events[0] as { input?: unknown }).input = { note: `input-${mark}-2` };
    (ended.events.at(-1) as { output?: unknown }).output = { note: `output-${mark}` };
    await postBatches(ctx, key, r.batches);
    await postEvents(ctx, key, { events: ended.events });
    await ctx.deps.projector.sync();

    // The events hold them; the run rows only the seqs of those events. The review packet keeps
    // its own copy of the run's input (what the reviewer was shown).
    const holding = (await allCells()).filter((c) => c.text.includes(mark)).map((c) => `${c.table}.${c.column}`);
    expect(holding.sort()).toEqual(["escalations.packet", "events.body", "events.body", "events.body"]);

    const detail = await call<{ run: { input: unknown; output: unknown } }>(ctx, "GET", `/v1/runs/${ended.runId}`, { key });
    expect(detail.body.run).toMatchObject({ input: { note: `input-${mark}-2` }, output: { note: `output-${mark}` } });
    const state = await call<{ run: { input: unknown } }>(ctx, "GET", `/v1/runs/${r.runId}/state`, { key });
    expect(state.body.run.input).toEqual(r.start.input);
    const item = await call<{ packet: { run: { input: unknown } } }>(ctx, "GET", `/v1/escalations/${r.escalationId}`, admin);
    expect(item.body.packet.run.input).toEqual(r.start.input);
  });

  it("reads a row projected before, which holds them as text, as before, until newer events replace them", async () => {
    const run = completedRun();
    const [start, ...rest] = run.events;
    await postEvents(ctx, key, { events: [start] });
    await ctx.deps.projector.sync();
    // As rows projected before the seqs were kept: the JSON text, no seq.
    const legacy = async (set: string, ...args: unknown[]) =>
      ctx.store.client.execute({
        sql: `UPDATE runs SET ${set} WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND id = ?`,
        args: [...(args as string[]), projectId, run.runId],
      });
    await legacy("input = ?, input_seq = NULL, output = ?, output_seq = NULL", JSON.stringify({ legacy: "input" }), JSON.stringify({ legacy: "output" }));
    const detail = async () => (await call<{ run: { input: unknown; output: unknown } }>(ctx, "GET", `/v1/runs/${run.runId}`, { key })).body.run;
    expect(await detail()).toMatchObject({ input: { legacy: "input" }, output: { legacy: "output" } });
    expect((await call<{ run: { input: unknown } }>(ctx, "GET", `/v1/runs/${run.runId}/state`, { key })).body.run.input).toEqual({ legacy: "input" });

    // The run's end sets its output from its event; the input stays the row's.
    await postEvents(ctx, key, { events: rest });
    await ctx.deps.projector.sync();
    expect(await detail()).toMatchObject({ input: { legacy: "input" }, output: { route: "auto" } });
    // A later run.started without an input keeps the one the run has; one with an input replaces it.
    const again = { ...start!, id: uuidv7() } as typeof start & { input?: unknown };
    delete again.input;
    await postEvents(ctx, key, { events: [again] });
    expect((await detail()).input).toEqual({ legacy: "input" });
    await postEvents(ctx, key, { events: [{ ...start!, id: uuidv7(), input: { newer: true } }] });
    expect((await detail()).input).toEqual({ newer: true });
  });
});
