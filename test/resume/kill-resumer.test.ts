import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Seamtrace, type RunState } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runScript, type Script } from "../support/processes.js";
import { leasePipeline, LEASE_WORKFLOW } from "../support/resume-pipeline.js";
import { cliPath, spawnServer, type SpawnedServer } from "../support/server.js";

const exec = promisify(execFile);
const PASSWORD = "a long reviewer password";
// Short, so the suite does not idle; the suite waits for the lapse, it never assumes when.
const LEASE_MS = 3_000;

/**
 * A worker resuming a reviewed run is killed with SIGKILL in the middle of its downstream steps.
 * Its claim lapses, the run is offered again (and shown as such), and the next worker, another
 * process, replays what the dead one recorded and runs the rest.
 */
describe("a resuming worker killed with -9", () => {
  let server: SpawnedServer;
  let cookie: string;
  const children: Script[] = [];

  async function api<T>(path: string, init: { method?: string; body?: unknown; key?: boolean } = {}): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = init.key ? { authorization: `Bearer ${server.apiKey}` } : { cookie };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${server.url}${path}`, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  beforeAll(async () => {
    server = await spawnServer({ env: { SEAMTRACE_RESUME_LEASE_MS: String(LEASE_MS) } });
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
  }, 120_000);
  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    await server?.dispose();
  });

  it("strands nothing: the claim lapses, the run is resumable again, and the next worker finishes it from the dead one's record", async () => {
    // 1. The run stops at classify; a reviewer corrects it.
    const st = new Seamtrace({ endpoint: server.url, apiKey: server.apiKey });
    const wf = st.workflow(LEASE_WORKFLOW, { policy: { minConfidence: 0.6, onLow: "escalate" } });
    const first = await wf.run(
      { key: "claim-42" },
      leasePipeline("first", () => {}),
    );
    expect(first.status).toBe("escalated");
    await st.flush();
    const escalationId = first.escalation!.id;
    await vi.waitFor(async () => expect((await api(`/v1/escalations/${escalationId}/claim`, { method: "POST", body: {} })).status).toBe(200), {
      timeout: 30_000,
    });
    const decided = await api(`/v1/escalations/${escalationId}/decision`, {
      method: "POST",
      body: { decision: "correct", output: "flood", reason: "photos show standing water" },
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);

    // 2. A worker process resumes it, records enrich, and is killed with -9 inside pay.
    const dying = runScript("resume-worker.ts", [server.url, server.apiKey, "hang", first.runId]);
    children.push(dying);
    await vi.waitFor(() => expect(dying.lines).toContain("in pay"), { timeout: 120_000, interval: 50 });
    dying.proc.kill("SIGKILL");
    expect(await dying.exited).toBeNull();
    expect(dying.lines.filter((l) => l.startsWith("call "))).toEqual(["call enrich", "call pay"]);
    const recorded = (await api<RunState>(`/v1/runs/${first.runId}/state`, { key: true })).body;
    expect(recorded.run.status).toBe("running");
    expect(recorded.steps.map((s) => s.name)).toEqual(["extract", "classify", "enrich"]);

    // 3. Its claim lapses: the run is offered again, and the dashboard says its resumer went away.
    await vi.waitFor(
      async () =>
        expect((await api<{ items: Array<{ runId: string }> }>("/v1/resumable", { key: true })).body.items.map((i) => i.runId)).toEqual([first.runId]),
      { timeout: 60_000, interval: 200 },
    );
    const shown = (await api<{ run: { status: string; resumerLost: boolean } }>(`/v1/runs/${first.runId}`)).body.run;
    expect(shown).toMatchObject({ status: "running", resumerLost: true });
    const listed = (await api<{ items: Array<{ id: string; resumerLost: boolean }> }>("/v1/runs")).body.items.find((r) => r.id === first.runId);
    expect(listed?.resumerLost).toBe(true);

    // 4. Another worker process, polling with onResolved, takes it: enrich comes back from the
    //    dead worker's record; pay and notify run.
    const next = runScript("resume-worker.ts", [server.url, server.apiKey, "onResolved"]);
    children.push(next);
    expect(await next.exited, next.output()).toBe(0);
    expect(next.lines.filter((l) => l.startsWith("call "))).toEqual(["call pay", "call notify"]);
    const result = JSON.parse(next.lines.find((l) => l.startsWith("result "))!.slice("result ".length)) as { runId: string; status: string; output: string };
    expect(result).toEqual({ runId: first.runId, status: "completed", output: "paid flood+photos" });

    const done = (await api<RunState>(`/v1/runs/${first.runId}/state`, { key: true })).body;
    expect(done.run.status).toBe("completed");
    expect(done.steps.map((s) => s.name)).toEqual(["extract", "classify", "enrich", "pay", "notify"]);
    expect((await api<{ run: { resumerLost: boolean } }>(`/v1/runs/${first.runId}`)).body.run.resumerLost).toBe(false);
    expect((await api<{ items: unknown[] }>("/v1/resumable", { key: true })).body.items).toEqual([]);
    // Running the same key again now replays the finished run: nothing is called.
    const calls: string[] = [];
    expect(
      await wf.run(
        { key: "claim-42" },
        leasePipeline("again", (s) => calls.push(s)),
      ),
    ).toMatchObject({ status: "completed", output: "paid flood+photos" });
    expect(calls).toEqual([]);
    await st.shutdown();
  }, 300_000);
});
