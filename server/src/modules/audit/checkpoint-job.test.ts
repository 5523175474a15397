import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CheckpointWatcher } from "./checkpoint-job.js";
import { SYSTEM_CHAIN } from "./system-anchor.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { completedRun, postEvents } from "../../../test-support/events-fixtures.js";

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext({ SEAMTRACE_AUDIT_CHECKPOINT_EVERY: "5" });
});
afterEach(() => ctx.close());

async function anchors(): Promise<number> {
  const rs = await ctx.store.client.execute({ sql: "SELECT count(*) FROM audit_checkpoints WHERE project_id = ?", args: [SYSTEM_CHAIN] });
  return Number(rs.rows[0]![0]);
}

describe("CheckpointWatcher", () => {
  it("anchors a new project at once, and otherwise at most every 5 minutes, however often it polls", async () => {
    let now = Date.now();
    const errors: unknown[] = [];
    const watcher = new CheckpointWatcher({ store: ctx.store, now: () => now, config: ctx.config, signer: ctx.deps.auditSigner }, (err) => errors.push(err));
    const { key } = await ctx.newProject();
    await watcher.tick();
    expect(await anchors()).toBe(1);
    // Heads move and checkpoints are signed every 5 entries, but the next anchor waits.
    for (let i = 0; i < 3; i++) {
      await postEvents(ctx, key, { events: completedRun().events });
      now += 2_000;
      await watcher.tick();
    }
    expect(await anchors()).toBe(1);
    // A project appears: anchored on the next poll.
    await ctx.newProject();
    now += 2_000;
    await watcher.tick();
    expect(await anchors()).toBe(2);
    await postEvents(ctx, key, { events: completedRun().events });
    now += 5 * 60_000;
    await watcher.tick();
    expect(await anchors()).toBe(3);
    expect(errors).toEqual([]);
  });
});
