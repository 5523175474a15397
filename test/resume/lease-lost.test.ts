import type { Run } from "@seamtrace/sdk";
import { describe, expect, it, vi } from "vitest";
import { harness } from "./harness.js";

// The server's clock is a fake one, so a claim lapses when the test says so; the SDK renews on
// its own real-time timer (every third of the lease).
const LEASE_MS = 15_000;

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** extract → classify (unsure: escalates) → enrich → pay (held until `pay.release`) → notify. */
function pipeline(worker: string, calls: string[], pay: { entered: () => void; release: Promise<void> }) {
  return async (run: Run) => {
    const fields = await run.step("extract", async () => (calls.push("extract"), { value: { amount: 900 }, confidence: 0.95 }));
    const kind = await run.step("classify", { from: [fields] }, async () => (calls.push("classify"), { value: "storm", confidence: 0.4 }));
    const enriched = await run.step("enrich", { from: [kind] }, async () => (calls.push("enrich"), { value: `${kind.value}+photos`, confidence: 0.9 }));
    const paid = await run.step("pay", { from: [enriched] }, async () => {
      calls.push("pay");
      pay.entered();
      await pay.release;
      return { value: `paid-by-${worker}`, confidence: 1 };
    });
    await run.step("notify", { from: [paid] }, async () => (calls.push("notify"), { value: `sent by ${worker}`, confidence: 1 }));
    return paid.value;
  };
}

describe("a resume claim is a lease the resuming worker renews", () => {
  it("keeps other workers out while renewed; once it lapses another worker takes over, and the first stops before its next step and records nothing more", async () => {
    const h = await harness({ SEAMTRACE_RESUME_LEASE_MS: String(LEASE_MS) });
    const S0 = Date.now();
    let serverNow = S0;
    h.ctx.deps.now = () => serverNow;
    const errorsA: unknown[] = [];
    const stA = h.client({ onError: (e: unknown) => errorsA.push(e) });
    const stB = h.client();
    const policy = { minConfidence: 0.6, onLow: "escalate" as const };
    const wfA = stA.workflow("lease", { policy });
    const wfB = stB.workflow("lease", { policy });
    const callsA: string[] = [];
    const callsB: string[] = [];
    const payA = deferred();
    const enteredA = deferred();
    const pipeA = pipeline("A", callsA, { entered: enteredA.resolve, release: payA.promise });
    const pipeB = pipeline("B", callsB, { entered: () => {}, release: Promise.resolve() });

    const first = await wfA.run({ key: "claim-7" }, pipeA);
    expect(first.status).toBe("escalated");
    await stA.flush();
    await h.resolve(first.escalation!.id, "correct", "flood");
    const runId = first.runId;
    const leaseRow = async () =>
      Number((await h.ctx.store.client.execute({ sql: "SELECT lease_expires_at FROM escalations WHERE id = ?", args: [first.escalation!.id] })).rows[0]![0]);
    const api = async <T>(path: string) => (await (await h.ctx.app.request(path, { headers: { authorization: `Bearer ${h.key}` } })).json()) as T;

    // A resumes and is held inside "pay"; what it did so far is delivered.
    const resumingA = wfA.resume(runId, pipeA);
    await enteredA.promise;
    await stA.flush();
    expect(await leaseRow()).toBe(S0 + LEASE_MS);

    // A renews: once server time has moved, a renewal moves the lease with it.
    serverNow = S0 + LEASE_MS / 2;
    await vi.waitFor(async () => expect(await leaseRow()).toBe(serverNow + LEASE_MS), { timeout: 4 * LEASE_MS, interval: 100 });
    serverNow = S0 + LEASE_MS + 1; // past the first lease, within the renewed one
    expect((await wfB.resume(runId, pipeB)).status).toBe("duplicate");
    expect((await api<{ items: unknown[] }>("/v1/resumable")).items).toEqual([]);
    expect(callsB).toEqual([]);

    // A's claim lapses (A is alive but, say, cut off); the run is offered again and shown so.
    serverNow += 10 * LEASE_MS;
    expect((await api<{ items: Array<{ runId: string }> }>("/v1/resumable")).items.map((i) => i.runId)).toEqual([runId]);
    expect((await api<{ run: { resumerLost: boolean } }>(`/v1/runs/${runId}`)).run.resumerLost).toBe(true);

    // B takes over: it replays what A recorded (extract, the reviewer's classify, enrich) and runs the rest.
    const rB = await wfB.resume(runId, pipeB);
    expect(rB).toMatchObject({ status: "completed", output: "paid-by-B" });
    expect(callsB).toEqual(["pay", "notify"]);
    await stB.flush();

    // A's next renewal is refused: it is told, and stops. Its "pay" then finishes, but nothing
    // of it is recorded and "notify" never runs.
    await vi.waitFor(() => expect(errorsA.map(String).join("\n")).toMatch(/stopped resuming run .*: its claim was lost/), {
      timeout: 4 * LEASE_MS,
      interval: 100,
    });
    payA.resolve();
    const rA = await resumingA;
    await stA.flush();
    console.log("A:", rA.status, callsA, "| B:", rB.status, callsB);
    expect(rA).toEqual({ status: "lease_lost", runId });
    expect(callsA).toEqual(["extract", "classify", "enrich", "pay"]); // no "notify"

    const state = await h.state(runId);
    expect(state.run.status).toBe("completed");
    const outputs = state.steps.map((s: { name: string; output: unknown }) => `${s.name}=${JSON.stringify(s.output)}`);
    expect(outputs).toEqual(['extract={"amount":900}', 'classify="flood"', 'enrich="flood+photos"', 'pay="paid-by-B"', 'notify="sent by B"']);
    expect((await api<{ run: { resumerLost: boolean } }>(`/v1/runs/${runId}`)).run.resumerLost).toBe(false);
    await Promise.all([stA.shutdown(), stB.shutdown()]);
  }, 180_000);
});
