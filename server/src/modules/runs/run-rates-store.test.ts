import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { uuidv7 } from "@seamtrace/sdk";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { DAY, FIXTURE_NOW, seedRun } from "../../../test-support/runs-fixtures.js";
import { escalations } from "../review/schema.js";
import { runEscalationCounts } from "./run-rates-store.js";

let ctx: TestContext;
let projectId: string;
beforeEach(async () => {
  ctx = await createTestContext();
  projectId = (await ctx.newProject()).projectId;
});
afterEach(async () => ctx.close());

async function escalate(runId: string, at: number): Promise<void> {
  await ctx.store.db.insert(escalations).values({
    projectId,
    id: uuidv7(),
    runId,
    stepId: uuidv7(),
    workflow: "claims",
    version: "3",
    step: "classify",
    kind: "escalate",
    gateKinds: '["confidence"]',
    blocking: true,
    confidence: 0.4,
    cumulative: 0.4,
    packet: "{}",
    status: "open",
    createdAt: at,
  });
}

describe("runs and escalated runs per window", () => {
  it("puts every run of a day in that day's one bucket, numbered from the window's start", async () => {
    const from = FIXTURE_NOW - 3 * DAY;
    // Day 0: three runs at different hours, one escalated; day 2: two runs, both escalated.
    const day0 = [1, 7, 23].map((h) => from + h * 3_600_000);
    const day2 = [2, 13].map((h) => from + 2 * DAY + h * 3_600_000);
    const ids: string[] = [];
    for (const startedAt of [...day0, ...day2]) ids.push(await seedRun(ctx.store.db, { projectId, startedAt }));
    await escalate(ids[1]!, day0[1]! + 1_000);
    await escalate(ids[3]!, day2[0]! + 1_000);
    await escalate(ids[4]!, day2[1]! + 1_000);

    const counts = await runEscalationCounts(ctx.store.client, { projectId, from, to: from + 3 * DAY, width: DAY });
    expect(counts.map(({ bucket, runs, escalated }) => ({ bucket, runs, escalated })).sort((a, b) => a.bucket - b.bucket)).toEqual([
      { bucket: 0, runs: 3, escalated: 1 },
      { bucket: 2, runs: 2, escalated: 2 },
    ]);
  });
});
