import { createClient, type Client, type Transaction } from "@libsql/client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runStarted } from "../../../test-support/events-fixtures.js";
import { Projector } from "./projector.js";
import { commitIngestBatches } from "../ingest/store.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";

// Each call of projectPending may run a hook first and one after it (the real one in between),
// so a test can make a pass long and have another process take the write lock right after it.
const hooks = vi.hoisted(() => ({ queue: [] as Array<{ before?: () => Promise<void>; after?: () => Promise<void> }> }));
vi.mock("./projection-store.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("./projection-store.js")>();
  return {
    ...real,
    projectPending: async (...args: Parameters<typeof real.projectPending>) => {
      const hook = hooks.queue.shift();
      await hook?.before?.();
      const result = await real.projectPending(...args);
      await hook?.after?.();
      return result;
    },
  };
});

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  hooks.queue.length = 0;
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(busyTimeoutMs: number): Promise<{ ctx: TestContext; projector: Projector; other: Client }> {
  const ctx = await createTestContext({ SEAMTRACE_BUSY_TIMEOUT_MS: String(busyTimeoutMs) });
  cleanups.push(() => ctx.close());
  const { projectId, keyId } = await ctx.newProject();
  await commitIngestBatches(ctx.store.client, [{ projectId, keyId, receivedAt: Date.now(), events: [runStarted()] }]);
  const projector = new Projector(ctx.store);
  cleanups.push(() => projector.close());
  // Another connection's lock is, to the store's client, exactly another process's.
  const other = createClient({ url: ctx.config.databaseUrl });
  cleanups.push(() => other.close());
  return { ctx, projector, other };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe("Projector.sync while another process holds the write lock", () => {
  it("gives a reader queued behind a successful pass that outlasted the busy timeout a wait of its own", async () => {
    const budget = 1_000;
    const { projector, other } = await setup(budget);
    let held: Transaction | undefined;
    hooks.queue.push({
      // The pass under way takes longer than the whole busy timeout, and succeeds.
      before: () => sleep(budget + 200),
      // Right after it, another process takes the lock, and lets it go well within the timeout.
      after: async () => {
        held = await other.transaction("write");
        setTimeout(() => void held!.rollback(), 100);
      },
    });
    const pass = projector.sync();
    const reader = projector.sync(); // queued behind the pass
    await expect(pass).resolves.toBeUndefined();
    await expect(reader).resolves.toBeUndefined();
    expect(held).toBeDefined();
  });

  it("fails a reader queued behind a pass that failed for a busy store, instead of waiting anew", async () => {
    const budget = 400;
    const { projector, other } = await setup(budget);
    const held = await other.transaction("write");
    cleanups.push(() => held.close());
    const pass = projector.sync().then(
      () => "projected",
      (e: unknown) => e,
    );
    const reader = projector.sync().then(
      () => "projected",
      (e: unknown) => e,
    );
    expect(await pass).toMatchObject({ code: "SQLITE_BUSY" });
    expect(await reader).toMatchObject({ code: "SQLITE_BUSY" });
  });
});
