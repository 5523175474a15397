import { describe, expect, it } from "vitest";
import { harness } from "./harness.js";

/**
 * Running a finished run again (same key) replays it: no step calls user code. The run's
 * recorded start, end and duration are what its execution took, so the replay must leave them
 * as they were. The SDK's clock is a fake one, so the times are exact whatever the machine.
 */
describe("a replay of a finished run", () => {
  it("leaves the run's start, end and duration as recorded, and records no new run events", async () => {
    const h = await harness();
    let clock = Date.parse("2026-03-02T10:38:00.000Z");
    const st = h.client({ now: () => clock });
    const wf = st.workflow("replay-times");
    let calls = 0;
    const pipeline = async (run: any) => {
      const a = await run.step("a", async () => {
        calls++;
        clock += 17; // the step takes 17 ms of the fake clock
        return { value: "done", confidence: 0.9 };
      });
      return a.value;
    };
    const first = await wf.run({ key: "msg-1" }, pipeline);
    expect(first.status).toBe("completed");
    await st.flush();
    await h.ctx.deps.projector.sync();
    const detail = async () => {
      const res = await h.ctx.app.request(`/v1/runs/${first.runId}`, { headers: { authorization: `Bearer ${h.key}` } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { run: { status: string; startedAt: string; endedAt: string; durationMs: number } }).run;
    };
    const recorded = await detail();
    expect(recorded).toMatchObject({ status: "completed", startedAt: "2026-03-02T10:38:00.000Z", endedAt: "2026-03-02T10:38:00.017Z", durationMs: 17 });
    const events = async () =>
      Number(
        (
          await h.ctx.store.client.execute({
            sql: "SELECT count(*) FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?)",
            args: [h.projectId],
          })
        ).rows[0]![0],
      );
    const eventsBefore = await events();

    // Sixteen seconds later the message is redelivered: the same key replays the run.
    clock += 16_000;
    const again = await wf.run({ key: "msg-1" }, pipeline);
    expect(again).toMatchObject({ status: "completed", runId: first.runId, output: "done" });
    expect(calls).toBe(1);
    await st.flush();
    await h.ctx.deps.projector.sync();
    expect(await detail()).toMatchObject({ status: "completed", startedAt: recorded.startedAt, endedAt: recorded.endedAt, durationMs: 17 });
    // Nothing ran, so nothing new is in the event log (or the audit trail) either.
    expect(await events()).toBe(eventsBefore);
    await st.shutdown();
    h.ctx.close();
  });

  it("records a new execution when something does run: a failed run whose step now succeeds", async () => {
    const h = await harness();
    let clock = Date.parse("2026-03-02T11:00:00.000Z");
    const st = h.client({ now: () => clock });
    const wf = st.workflow("replay-retry");
    let fail = true;
    const pipeline = async (run: any) => {
      const a = await run.step("a", async () => {
        clock += 5;
        if (fail) throw new Error("upstream down");
        return { value: "ok", confidence: 0.9 };
      });
      return a.value;
    };
    const first = await wf.run({ key: "msg-2" }, pipeline);
    expect(first.status).toBe("failed");
    await st.flush();
    clock += 60_000;
    fail = false;
    const again = await wf.run({ key: "msg-2" }, pipeline);
    expect(again).toMatchObject({ status: "completed", runId: first.runId, output: "ok" });
    await st.flush();
    await h.ctx.deps.projector.sync();
    const res = await h.ctx.app.request(`/v1/runs/${first.runId}`, { headers: { authorization: `Bearer ${h.key}` } });
    const { run } = (await res.json()) as { run: { status: string; startedAt: string; endedAt: string; durationMs: number } };
    expect(run).toMatchObject({ status: "completed", startedAt: "2026-03-02T11:00:00.000Z", endedAt: "2026-03-02T11:01:00.010Z", durationMs: 5 });
    // The retry's run.started was sent, before its step.
    const types = (
      await h.ctx.store.client.execute({
        sql: "SELECT type FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) ORDER BY seq",
        args: [h.projectId],
      })
    ).rows.map((r) => r[0]);
    expect(types).toEqual(["run.started", "step.failed", "run.failed", "run.started", "step.completed", "run.completed"]);
    await st.shutdown();
    h.ctx.close();
  });
});
