import { uuidv7, type SeamtraceEvent } from "@seamtrace/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { commitIngestBatches } from "../ingest/store.js";
import { projectPending } from "./projection-store.js";

// The projection folds the log in batches whose size depends on load (an ingest commit's events,
// a pass's chunk): whatever the batches, the runs and hourly counts must come out the same. With
// one event per batch nothing is merged within a batch, so it is the reference.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let seed = 12_345;
const rnd = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)]!;
const T0 = Date.UTC(2025, 0, 15, 9, 58);
const iso = (ms: number) => new Date(ms).toISOString();

/** A run's events in a random shape: maybe a start, some steps (clocks up to ±10 min apart), maybe an end; sometimes golden. */
function randomRun(): SeamtraceEvent[] {
  const golden = rnd() < 0.2 ? { set: "s", case: "c", result: uuidv7(), outcome: "pass" as const } : undefined;
  const base = { runId: uuidv7(), workflow: pick(["claims", "refunds"]), version: pick(["1", "2"]), ...(golden ? { golden } : {}) };
  const t = () => T0 + Math.floor((rnd() - 0.5) * 20 * 60_000);
  const out: SeamtraceEvent[] = [];
  if (rnd() < 0.8) out.push({ id: uuidv7(), type: "run.started", time: iso(t()), ...(rnd() < 0.5 ? { key: "k" } : {}), input: { a: 1 }, ...base });
  for (let i = Math.floor(rnd() * 4); i > 0; i--) {
    const s = t();
    out.push({
      id: uuidv7(),
      type: pick(["step.completed", "step.failed"] as const),
      time: iso(s + 50),
      startedAt: iso(s),
      stepId: uuidv7(),
      step: `s${i}`,
      parents: [],
      confidence: rnd(),
      cumulative: rnd(),
      source: "inferred",
      stale: false,
      attempt: 1,
      durationMs: 50,
      ...base,
    } as SeamtraceEvent);
  }
  if (rnd() < 0.6)
    out.push({ id: uuidv7(), type: pick(["run.completed", "run.failed"] as const), time: iso(t()), durationMs: Math.floor(rnd() * 600_000), ...base });
  return out;
}

async function projected(requests: ReadonlyArray<{ events: SeamtraceEvent[]; at: number }>, chunk: number) {
  const ctx: TestContext = await createTestContext();
  cleanups.push(() => ctx.close());
  const { projectId, keyId } = await ctx.newProject();
  for (const r of requests) await commitIngestBatches(ctx.store.client, [{ projectId, keyId, receivedAt: r.at, events: r.events }]);
  while ((await projectPending(ctx.store.client, chunk, 5)).projected > 0);
  const runs = await ctx.store.client.execute({
    sql: `SELECT r.id, w.name, r.workflow, r.version, r.key, r.status, r.status_at, r.input, r.output, r.started_at, r.ended_at, r.duration_ms,
                 r.step_count, r.min_cumulative, r.golden_result FROM runs r JOIN workflows w ON w.id = r.workflow_id WHERE r.project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) ORDER BY r.id`,
    args: [projectId],
  });
  const hours = await ctx.store.client.execute({
    sql: "SELECT w.name, h.version, h.hour, h.runs, h.last_run_at FROM run_hours h JOIN workflows w ON w.id = h.workflow_id WHERE h.project_id = ? ORDER BY 1, 2, 3",
    args: [projectId],
  });
  return { runs: runs.rows.map((r) => Array.from(r)), hours: hours.rows.map((r) => Array.from(r)) };
}

describe("folding in batches of any size", () => {
  it("stores the same runs and hourly counts as folding one event at a time", async () => {
    for (let round = 0; round < 4; round++) {
      const events = Array.from({ length: 40 }, randomRun).flat();
      for (let i = events.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [events[i], events[j]] = [events[j]!, events[i]!];
      }
      const requests: Array<{ events: SeamtraceEvent[]; at: number }> = [];
      for (let i = 0, at = 1_000_000; i < events.length; at += 1 + Math.floor(rnd() * 1_000)) {
        const n = 1 + Math.floor(rnd() * 8);
        requests.push({ events: events.slice(i, i + n), at });
        i += n;
      }
      const reference = await projected(requests, 1);
      expect(reference.runs.length).toBeGreaterThan(30);
      for (const chunk of [3, 17, 10_000]) expect(await projected(requests, chunk)).toEqual(reference);
    }
  });
});
