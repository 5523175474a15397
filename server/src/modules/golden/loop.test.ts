import { goldenRun, type GoldenWorkflowModule } from "@seamtrace/golden";
import { Seamtrace, type RequestFn } from "@seamtrace/sdk";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { QueueResponse } from "../review/contract.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { call } from "../../../test-support/review-fixtures.js";

/**
 * The chain "review → golden case → set file → golden run": runs a workflow records through the
 * SDK escalate, reviewers correct them, the corrected runs become a golden set downloaded from
 * the API, and `golden run` on that file fails the version that was wrong and passes the fixed one.
 */

let ctx: TestContext;
let dir: string;
beforeAll(async () => {
  ctx = await createTestContext();
  dir = mkdtempSync(join(tmpdir(), "seamtrace-golden-loop-"));
});
afterAll(() => {
  ctx.close();
  rmSync(dir, { recursive: true, force: true });
});

const truth = (n: number) => ((n * 2) % 4 === 0 ? "four" : "two");

/** Version 1 is unsure, and wrong, on multiples of 3; version 2 is fixed. */
function toy(version: string): GoldenWorkflowModule {
  const fixed = version !== "1";
  return {
    createGoldenWorkflow(st: Seamtrace) {
      const wf = st.workflow("toy", { version, policy: { minConfidence: 0.8, onLow: "escalate" } });
      return {
        run: (input: unknown) =>
          wf.run({ input }, async (run) => {
            const n = input as number;
            const d = await run.step("double", { input: n }, () => ({ value: n * 2, confidence: 0.99 }));
            const l = await run.step("label", { from: [d] }, () =>
              !fixed && n % 3 === 0 ? { value: "odd", confidence: 0.5 } : { value: truth(n), confidence: 0.95 },
            );
            return l.value;
          }),
      };
    },
  };
}

describe("golden cases from reviews, run by golden run", () => {
  it("turns corrected escalations into a set that fails the wrong version and passes the fixed one", async () => {
    const p = await ctx.newProject();
    const reviewer = { cookie: (await ctx.newUser(p.projectId, "reviewer")).cookie };
    const request: RequestFn = async (url, init) => ctx.app.request(url, init as RequestInit);
    const st = new Seamtrace({ endpoint: "http://collector.test", apiKey: p.key, request });
    const target = await toy("1").createGoldenWorkflow(st);
    const statuses = [];
    for (let n = 1; n <= 6; n++) statuses.push((await target.run(n)).status);
    expect(statuses).toEqual(["completed", "completed", "escalated", "completed", "completed", "escalated"]);
    await st.shutdown({ timeoutMs: 5_000 });
    await ctx.deps.projector.sync();

    const queue = await call<QueueResponse>(ctx, "GET", "/v1/escalations?workflow=toy", reviewer);
    expect(queue.body.items).toHaveLength(2);
    for (const e of queue.body.items) {
      const detail = await call<{ packet: { run: { input: number } } }>(ctx, "GET", `/v1/escalations/${e.id}`, reviewer);
      const n = detail.body.packet.run.input;
      expect((await call(ctx, "POST", `/v1/escalations/${e.id}/decision`, reviewer, { decision: "correct", output: truth(n), reason: "counted" })).status).toBe(
        200,
      );
      expect((await call(ctx, "POST", "/v1/golden/cases", reviewer, { escalationId: e.id, set: "toy-reviewed" })).status).toBe(201);
    }

    const res = await ctx.app.request("/v1/golden/sets/toy-reviewed/cases", { headers: { authorization: `Bearer ${p.key}` } });
    expect(res.status).toBe(200);
    const file = join(dir, "toy-reviewed.jsonl");
    writeFileSync(file, await res.text());

    const before = await goldenRun({ set: file, workflow: toy("1"), baseline: join(dir, "none.json") });
    expect(before.summary.cases).toBe(2);
    expect(before.summary.steps.find((s) => s.step === "label")).toMatchObject({ reached: 2, correct: 0 });
    expect(before.summary.steps.find((s) => s.step === "double")).toMatchObject({ correct: 2 });

    const after = await goldenRun({ set: file, workflow: toy("2"), baseline: join(dir, "none.json") });
    expect(after.summary.steps.map((s) => [s.step, s.accuracy])).toEqual([
      ["double", 1],
      ["label", 1],
    ]);
    expect(after.summary.escalationRate).toBe(0);
  });
});
