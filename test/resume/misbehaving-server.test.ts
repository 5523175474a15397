import { describe, expect, it } from "vitest";
import { Seamtrace, type RequestFn } from "@seamtrace/sdk";

const json = (status: number, body: unknown) => ({ status, headers: { get: () => null }, text: async () => JSON.stringify(body) });

describe("Resumer bounded in time", () => {
  it("run() with a key resolves even when the request function ignores its abort signal", async () => {
    const request = ((url: string) => {
      if (url.includes("/run-state")) return new Promise(() => {}); // a stuck agent that ignores `signal`
      return Promise.resolve(json(200, { results: [], policies: [] }));
    }) as unknown as RequestFn;
    const st = new Seamtrace({ endpoint: "http://x.test", apiKey: "st_x", request });
    const wf = st.workflow("w");
    const outcome = await Promise.race([
      wf.run({ key: "k" }, async (run) => (await run.step("a", async () => ({ value: 1 }))).value).then((r) => r.status),
      new Promise((r) => setTimeout(() => r("still pending 12 s later (Resumer timeout is 10 s)"), 12_000)),
    ]);
    console.log("run():", outcome);
    expect(outcome).toBe("completed");
  });
});

describe("onResolved", () => {
  it("offers a review again when resuming it failed transiently (claim answered 503)", async () => {
    const runId = "run-1";
    let claims = 0;
    const state = {
      run: { id: runId, workflow: "w", version: "1", key: null, status: "paused", input: null },
      steps: [
        {
          stepId: "s1",
          name: "a",
          status: "completed",
          output: 1,
          confidence: 0.2,
          cumulative: 0.2,
          source: "inferred",
          stale: false,
          flagged: false,
          parents: [],
          escalationId: "e1",
        },
      ],
      escalation: { id: "e1", stepId: "s1", step: "a", status: "resolved", decision: "accept", output: 1, reason: null, resumedAt: null },
    };
    const request = (async (url: string, init: { method: string }) => {
      const path = new URL(url).pathname + new URL(url).search;
      if (path.startsWith("/v1/resumable")) {
        // The server lists every resolved, not yet resumed escalation after the cursor.
        return path.includes("after=")
          ? json(200, { items: [], nextCursor: null })
          : json(200, {
              items: [{ runId, escalationId: "e1", workflow: "w", version: "1", step: "a", decision: "accept", resolvedAt: new Date().toISOString() }],
              nextCursor: "c1",
            });
      }
      if (path.endsWith("/state")) return json(200, state);
      if (path.endsWith("/resume") && init.method === "POST")
        return ++claims === 1 ? json(503, { error: { code: "unavailable" } }) : json(200, { claimed: true });
      return json(200, { results: [], policies: [] });
    }) as unknown as RequestFn;
    const st = new Seamtrace({ endpoint: "http://x.test", apiKey: "st_x", request });
    const wf = st.workflow("w");
    const results: string[] = [];
    const stop = st.onResolved(
      async (r) => {
        results.push((await wf.resume(r.runId, async (run) => (await run.step("a", async () => ({ value: 1 }))).value)).status);
      },
      { pollMs: 20 },
    );
    await new Promise((r) => setTimeout(r, 500));
    stop();
    await st.shutdown({ timeoutMs: 10 });
    console.log("handler results:", results, "claims:", claims);
    expect(results).toContain("completed");
  });
});
