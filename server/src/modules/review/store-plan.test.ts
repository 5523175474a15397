import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { escalationListQuery, queueCountQuery } from "./store.js";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

async function plan(query: { toSQL(): { sql: string; params: unknown[] } }): Promise<string> {
  const { sql, params } = query.toSQL();
  const res = await ctx.store.client.execute({ sql: `EXPLAIN QUERY PLAN ${sql}`, args: params as never });
  return res.rows.map((r) => String(r["detail"])).join("\n");
}

const base = { status: "open" as const, kind: undefined, blocking: undefined, workflow: undefined, version: undefined, step: undefined, limit: 100 };

describe("review queue query plans", () => {
  it.each([
    ["oldest first", "escalations_queue_idx", { order: "oldest" as const, cursor: undefined }],
    ["riskiest first", "escalations_risk_order_idx", { order: "riskiest" as const, cursor: undefined }],
    [
      "riskiest first, after a cursor",
      "escalations_risk_order_idx",
      { order: "riskiest" as const, cursor: { order: "riskiest" as const, risk: 0.4, createdAt: 5, id: "x" } },
    ],
  ])("reads a page %s through %s in its order, never sorting the whole queue", async (_name, index, q) => {
    const text = await plan(escalationListQuery(ctx.store.db, "p", { ...base, ...q }));
    expect(text).toContain(`USING INDEX ${index} (project_id=? AND status=?`);
    expect(text).not.toContain("TEMP B-TREE FOR ORDER BY");
  });

  it("counts a workflow's waiting items per day from an index alone, reading no row", async () => {
    const text = await plan(
      queueCountQuery(ctx.store.db, "p", { status: "active", kind: undefined, blocking: undefined, workflow: "claims", version: undefined, step: undefined }),
    );
    expect(text).toContain("USING COVERING INDEX escalations_workflow_queue_idx (project_id=? AND workflow=? AND status=? AND judge_pending=?)");
  });
});
