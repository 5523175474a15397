import { uuidv7, type ErrorBody } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LabelsResponse } from "./contract.js";
import { listStepLabels } from "./labels-store.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { completedRun } from "../../../test-support/events-fixtures.js";
import { call, postBatches } from "../../../test-support/review-fixtures.js";

let ctx: TestContext;
let a: { projectId: string; key: string; keyId: string };
let b: { projectId: string; key: string; keyId: string };
/** A completed run of project A: extract, classify, match-policy. */
let run: ReturnType<typeof completedRun>;
/** A run of project B. */
let other: ReturnType<typeof completedRun>;

beforeAll(async () => {
  ctx = await createTestContext();
  a = await ctx.newProject();
  b = await ctx.newProject();
  run = completedRun();
  other = completedRun();
  await postBatches(ctx, a.key, [run.events]);
  await postBatches(ctx, b.key, [other.events]);
});
afterAll(() => ctx.close());

const post = (body: unknown, key: string | null = a.key) => call<LabelsResponse & ErrorBody>(ctx, "POST", "/v1/labels", key ? { key } : {}, body);

describe("POST /v1/labels", () => {
  it("stores late feedback labels with the step's workflow, confidence and the key as actor", async () => {
    const [extract, classify] = run.stepIds as [string, string, string];
    const res = await post({
      labels: [
        { runId: run.runId, stepId: extract, correct: false, value: { policyNo: "P-1243", amount: 1200 }, reason: "customer called" },
        { runId: run.runId, stepId: classify, correct: true },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([
      { id: expect.any(String), status: "accepted" },
      { id: expect.any(String), status: "accepted" },
    ]);
    const [label] = await listStepLabels(ctx.store.db, a.projectId, extract);
    expect(label).toEqual({
      id: res.body.results[0]!.id,
      runId: run.runId,
      stepId: extract,
      workflow: "claims",
      version: "3",
      step: "extract",
      source: "feedback",
      correct: false,
      value: { policyNo: "P-1243", amount: 1200 },
      confidence: 0.92,
      samplingRate: null,
      escalationId: null,
      actor: `sdk:${a.keyId}`,
      reason: "customer called",
      createdAt: expect.any(String),
    });
    expect((await listStepLabels(ctx.store.db, a.projectId, classify))[0]).toMatchObject({ correct: true, value: null, step: "classify" });
  });

  it("answers each item on its own: 207, with the bad ones rejected and the good ones stored", async () => {
    const [, , match] = run.stepIds as [string, string, string];
    const before = (await listStepLabels(ctx.store.db, a.projectId, match)).length;
    const res = await post({
      labels: [
        { runId: run.runId, stepId: uuidv7(), correct: true },
        { runId: run.runId, stepId: match, value: { holder: "B. Smith" } },
        { runId: run.runId, stepId: match },
        { runId: uuidv7(), stepId: match, correct: true },
        { runId: run.runId, stepId: match, correct: "yes" },
        "not an object",
      ],
    });
    expect(res.status).toBe(207);
    expect(res.body.results.map((r) => [r.status, r.code ?? null])).toEqual([
      ["rejected", "unknown_step"],
      ["accepted", null],
      ["rejected", "invalid_label"],
      ["rejected", "unknown_step"],
      ["rejected", "invalid_label"],
      ["rejected", "invalid_label"],
    ]);
    expect(res.body.results[1]!.id).toEqual(expect.any(String));
    expect(res.body.results.filter((r) => r.status === "rejected").every((r) => r.id === null && typeof r.message === "string")).toBe(true);
    const after = await listStepLabels(ctx.store.db, a.projectId, match);
    expect(after).toHaveLength(before + 1);
    expect(after[after.length - 1]).toMatchObject({ correct: null, value: { holder: "B. Smith" } });
  });

  it("rejects a step of another project as unknown, exactly like one that does not exist, and stores nothing there", async () => {
    const res = await post({ labels: [{ runId: other.runId, stepId: other.stepIds[0], correct: false }] });
    expect(res.status).toBe(207);
    expect(res.body.results).toEqual([{ id: null, status: "rejected", code: "unknown_step", message: "no step with this id in this run" }]);
    expect(await listStepLabels(ctx.store.db, b.projectId, other.stepIds[0]!)).toEqual([]);
    expect(await listStepLabels(ctx.store.db, a.projectId, other.stepIds[0]!)).toEqual([]);
  });

  it("rejects an item past the string length or depth limits", async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    const res = await post({ labels: [{ runId: run.runId, stepId: run.stepIds[0], value: deep }] });
    expect(res.status).toBe(207);
    expect(res.body.results[0]).toMatchObject({ status: "rejected", code: "too_deep" });
  });

  it("answers 413 for more than 1,000 labels and 400 for a malformed envelope", async () => {
    const many = Array.from({ length: 1_001 }, () => ({ runId: run.runId, stepId: run.stepIds[0], correct: true }));
    const tooMany = await post({ labels: many });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error.code).toBe("too_many_labels");
    expect((await post({ labels: "x" })).status).toBe(400);
    expect((await post("{not json")).body.error.code).toBe("invalid_json");
  });

  it("takes an API key only", async () => {
    expect((await post({ labels: [] }, null)).status).toBe(401);
    const admin = await ctx.newUser(a.projectId, "admin");
    expect((await call(ctx, "POST", "/v1/labels", { cookie: admin.cookie }, { labels: [] })).status).toBe(401);
    expect((await post({ labels: [] })).status).toBe(200);
  });
});
