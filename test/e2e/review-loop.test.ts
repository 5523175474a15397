import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { RunState } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reviewClient, reviewPipeline } from "../support/review-loop.js";
import { cliPath, repoRoot, spawnServer, type SpawnedServer } from "../support/server.js";

const exec = promisify(execFile);
const PASSWORD = "a long reviewer password";

/** The whole loop: escalate → review → resume, against a real server process. */
describe("review loop end to end", () => {
  let server: SpawnedServer;
  let cookie: string;

  async function api(path: string, init: { method?: string; body?: unknown; key?: boolean } = {}) {
    const headers: Record<string, string> = init.key ? { authorization: `Bearer ${server.apiKey}` } : { cookie };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${server.url}${path}`, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> };
  }

  /** A reviewer claims the escalation and corrects classify to "flood". */
  async function correct(escalationId: string, output: unknown = "flood") {
    expect((await api(`/v1/escalations/${escalationId}/claim`, { method: "POST", body: {} })).status).toBe(200);
    const decided = await api(`/v1/escalations/${escalationId}/decision`, {
      method: "POST",
      body: { decision: "correct", output, reason: "photos show standing water" },
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
  }

  async function restart() {
    await server.stop();
    const again = await spawnServer({ dataDir: server.dataDir });
    server = Object.assign(again, { apiKey: server.apiKey });
  }

  beforeAll(async () => {
    server = await spawnServer();
    await exec(
      process.execPath,
      [cliPath, "users", "create", "--email", "rev@example.test", "--role", "reviewer", "--project", "default", "--password-env", "PW"],
      {
        env: { PATH: process.env.PATH ?? "", SEAMTRACE_DATA_DIR: server.dataDir, PW: PASSWORD },
      },
    );
    const login = await fetch(`${server.url}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "rev@example.test", password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("stops at the unsure step, and resumes with the reviewer's correction without re-running earlier steps", async () => {
    const calls: Record<string, number> = {};
    const { st, wf } = reviewClient(server.url, server.apiKey);
    const first = await wf.run({ input: "roof", key: "claim-1" }, reviewPipeline(calls));
    expect(first.status).toBe("escalated");
    expect(first.escalation?.kinds).toEqual(["confidence"]);
    expect(calls).toEqual({ extract: 1, classify: 1 }); // reserve never ran
    await st.flush();

    const queue = await api("/v1/escalations?status=open");
    const item = (queue.body.items as Array<{ id: string; runId: string; blocking: boolean }>).find((i) => i.id === first.escalation!.id);
    expect(item).toMatchObject({ runId: first.runId, blocking: true });
    const paused = await api(`/v1/runs/${first.runId}`, { key: true });
    expect((paused.body.run as { status: string }).status).toBe("paused");

    await correct(first.escalation!.id);
    const resumed = await wf.resume(first.runId, reviewPipeline(calls));
    expect(resumed).toMatchObject({ status: "completed", runId: first.runId, output: "flood:4400" });
    expect(calls).toEqual({ extract: 1, classify: 1, reserve: 1 });
    await st.shutdown();

    const state = (await api(`/v1/runs/${first.runId}/state`, { key: true })).body as unknown as RunState;
    expect(state.run.status).toBe("completed");
    expect(state.steps.find((s) => s.name === "classify")).toMatchObject({ output: "flood", source: "human", confidence: 1, cumulative: 1 });
    // Resuming again is refused: the run resumed once.
    const twice = await wf.resume(first.runId, reviewPipeline(calls));
    expect(twice.status).not.toBe("escalated");
    expect(calls.reserve).toBe(1);
  });

  it("lets exactly one of two racing workers resume a reviewed run", async () => {
    const calls: Record<string, number> = {};
    const a = reviewClient(server.url, server.apiKey);
    const b = reviewClient(server.url, server.apiKey);
    const first = await a.wf.run({ input: "roof", key: "claim-race" }, reviewPipeline(calls));
    await a.st.flush();
    await correct(first.escalation!.id);
    const [r1, r2] = await Promise.all([a.wf.resume(first.runId, reviewPipeline(calls)), b.wf.resume(first.runId, reviewPipeline(calls))]);
    expect([r1.status, r2.status].sort()).toEqual(["completed", "duplicate"]);
    expect(calls.reserve).toBe(1);
    await Promise.all([a.st.shutdown(), b.st.shutdown()]);
  });

  it("resumes after the server restarts, through onResolved in a worker", async () => {
    const calls: Record<string, number> = {};
    const { st, wf } = reviewClient(server.url, server.apiKey);
    const first = await wf.run({ input: "roof", key: "claim-restart" }, reviewPipeline(calls));
    await st.shutdown();
    await restart();
    await correct(first.escalation!.id);

    const worker = reviewClient(server.url, server.apiKey);
    const done = new Promise<string>((resolve) => {
      worker.st.onResolved(
        async (review) => {
          if (review.runId !== first.runId) return;
          const r = await worker.wf.resume(review.runId, reviewPipeline(calls));
          resolve(r.status);
        },
        { pollMs: 100 },
      );
    });
    expect(await done).toBe("completed");
    await worker.st.shutdown();
    expect(calls).toEqual({ extract: 1, classify: 1, reserve: 1 });
  });

  it("resumes from a fresh SDK process, by running again with the same key", async () => {
    const child = (mode: string) =>
      exec(process.execPath, ["--import", "tsx", join(repoRoot, "test/support/review-child.ts"), mode, server.url, server.apiKey, "claim-child"], {
        cwd: repoRoot,
        timeout: 120_000,
      }).then(
        (r) =>
          JSON.parse(r.stdout.trim().split("\n").pop()!) as {
            result: { status: string; runId: string; escalation?: { id: string }; output?: string };
            calls: Record<string, number>;
          },
      );
    const first = await child("escalate");
    expect(first.result.status).toBe("escalated");
    // Before the review, running again only reports the escalation: no user code runs.
    const early = await child("resume");
    expect(early.result.status).toBe("escalated");
    expect(early.calls).toEqual({});
    await correct(first.result.escalation!.id);
    const second = await child("resume");
    expect(second.result).toMatchObject({ status: "completed", runId: first.result.runId, output: "flood:4400" });
    expect(second.calls).toEqual({ reserve: 1 });
  });

  it("holds run() with wait until the review arrives, then finishes in place", async () => {
    const calls: Record<string, number> = {};
    const { st, wf } = reviewClient(server.url, server.apiKey);
    const running = wf.run({ input: "roof", key: "claim-wait", wait: { timeoutMs: 15_000 } }, reviewPipeline(calls));
    let escalationId: string | undefined;
    for (let i = 0; i < 100 && !escalationId; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const q = await api("/v1/escalations?status=open&workflow=roof-claims");
      escalationId = (q.body.items as Array<{ id: string; runId: string }>)[0]?.id;
    }
    expect(escalationId).toBeDefined();
    await correct(escalationId!);
    const result = await running;
    expect(result).toMatchObject({ status: "completed", output: "flood:4400" });
    expect(calls).toEqual({ extract: 1, classify: 1, reserve: 1 });
    await st.shutdown();
  });
});
