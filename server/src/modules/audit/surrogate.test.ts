import { afterEach, describe, expect, it } from "vitest";
import { completedRun, postEvents } from "../../../test-support/events-fixtures.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { appendAudit } from "./store.js";
import { verifyAudit } from "./verify.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";

let ctx: TestContext;
afterEach(() => ctx.close());

describe("audit text that is not well-formed UTF-16", () => {
  it("hashes what the store keeps: an entry whose subject, run id or payload holds a lone surrogate still verifies", async () => {
    ctx = await createTestContext();
    const { key, projectId } = await ctx.newProject();
    const run = completedRun("run-\ud800-lone");
    const res = await postEvents(ctx, key, { events: run.events });
    expect(res.status).toBeLessThan(500);
    await withWriteLock(ctx.store.client, async (tx) => ({
      commit: true,
      value: await appendAudit(tx, projectId, [
        { time: 1, actor: "system:test", action: "test.lone", subject: "thing:\udc00", runId: "\ud83d", payload: { s: "\ud800" } },
      ]),
    }));
    expect(await verifyAudit(ctx.store.db, projectId, ctx.deps.auditSigner.publicKey)).toMatchObject({ ok: true });
  });
});
