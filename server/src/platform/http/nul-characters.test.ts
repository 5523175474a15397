import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkJsonLimits } from "./json-limits.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { completedRun, postEvents } from "../../../test-support/events-fixtures.js";
import { call, escalatedRun, postBatches } from "../../../test-support/review-fixtures.js";
import { storedId } from "../../platform/db/stored-id.js";

/**
 * The NUL character: SQLite stores it, but the driver (and SQLite's own text functions) read a
 * text value only up to it, so "w\u0000x" came back as "w". Every JSON a client sends is refused
 * with `nul_character` instead: per item where a request holds items, whole otherwise.
 */

const limits = { maxStringLength: 100, maxDepth: 10 };

describe("checkJsonLimits and NUL characters", () => {
  it("refuses a NUL in a value or a key, at any depth, and nothing else", () => {
    expect(checkJsonLimits({ a: ["w\u0000x"] }, limits)?.code).toBe("nul_character");
    expect(checkJsonLimits({ deep: { ["k\u0000"]: 1 } }, limits)?.code).toBe("nul_character");
    expect(checkJsonLimits("\u0000", limits)?.code).toBe("nul_character");
    // Other control characters survive the store intact; only NUL cuts text short.
    expect(checkJsonLimits({ a: "\u0001\u001f\u007f\\u0000 written out" }, limits)).toBeNull();
    expect(checkJsonLimits({ a: "w\u0000x" }, { ...limits, allowNul: true })).toBeNull();
  });
});

describe("NUL characters at the edge", () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it("rejects the one event holding a NUL, with nul_character, and stores its neighbours intact", async () => {
    const { key } = await ctx.newProject();
    const run = completedRun();
    const [start, first, ...rest] = run.events;
    const bad = { ...first!, reasoning: "w\u0000x" };
    const res = await postEvents(ctx, key, { events: [start!, bad, ...rest] });
    expect(res.status).toBe(207);
    expect(res.body.results[1]).toMatchObject({ id: bad.id, status: "rejected", code: "nul_character", message: expect.stringMatching(/NUL/) });
    expect(res.body.results.filter((r) => r.status === "accepted")).toHaveLength(run.events.length - 1);
    const stored = await ctx.store.client.execute({ sql: "SELECT count(*) FROM events WHERE id = ?", args: [storedId(bad.id)] });
    expect(Number(stored.rows[0]![0])).toBe(0);
  });

  it("answers 400 nul_character for a JSON body holding one, and changes nothing", async () => {
    const { projectId, key } = await ctx.newProject();
    const run = escalatedRun();
    await postBatches(ctx, key, run.batches);
    const reviewer = await ctx.newUser(projectId, "reviewer");
    expect((await call(ctx, "POST", `/v1/escalations/${run.escalationId}/claim`, reviewer)).status).toBe(200);
    const res = await call<{ error: { code: string } }>(ctx, "POST", `/v1/escalations/${run.escalationId}/decision`, reviewer, {
      decision: "reject",
      reason: "w\u0000x",
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("nul_character");
    const open = await call<{ status: string }>(ctx, "GET", `/v1/escalations/${run.escalationId}`, reviewer);
    expect(open.body.status).not.toBe("resolved");
  });

  it("rejects a late-feedback label holding a NUL on its own, beside a good one", async () => {
    const { key } = await ctx.newProject();
    const run = completedRun();
    await postEvents(ctx, key, { events: run.events });
    const label = { runId: run.runId, stepId: run.stepIds[0], correct: true };
    const res = await call<{ results: Array<{ status: string; code?: string }> }>(
      ctx,
      "POST",
      "/v1/labels",
      { key },
      {
        labels: [
          { ...label, reason: "fine" },
          { ...label, reason: "w\u0000x" },
        ],
      },
    );
    expect(res.body.results.map((r) => r.code ?? r.status)).toEqual(["accepted", "nul_character"]);
  });
});
