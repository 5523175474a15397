import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { RunState } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath, repoRoot, spawnServer, type SpawnedServer } from "../support/server.js";

const exec = promisify(execFile);
const script = join(repoRoot, "examples/claims/dist/review-loop.js");

interface Line {
  runId: string;
  status: string;
  route: string | null;
  escalation?: { id: string; step: string; kinds: string[] } | null;
  decision?: string;
}

/** The README's review loop with the claims example, command by command. */
describe("claims review loop (README)", () => {
  let server: SpawnedServer;
  let cookie: string;
  const loop = async (...args: string[]) => {
    const { stdout } = await exec(process.execPath, [script, ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "", SEAMTRACE_ENDPOINT: server.url, SEAMTRACE_API_KEY: server.apiKey },
      timeout: 180_000,
    });
    return stdout
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line);
  };
  const api = async (path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { cookie, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    server = await spawnServer();
    await exec(process.execPath, [cliPath, "users", "create", "--email", "reviewer@example.test", "--role", "reviewer", "--password-env", "PW"], {
      env: { PATH: process.env.PATH ?? "", SEAMTRACE_DATA_DIR: server.dataDir, PW: "correct horse battery staple" },
    });
    const login = await fetch(`${server.url}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "reviewer@example.test", password: "correct horse battery staple" }),
    });
    cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("escalates unsure claims, takes the reviewers' decisions, and resumes each run once", async () => {
    const first = await loop("run", "20");
    expect(first).toHaveLength(20);
    const escalated = first.filter((l) => l.status === "escalated");
    expect(escalated.length).toBeGreaterThan(0);
    expect(first.filter((l) => l.status === "completed").every((l) => typeof l.route === "string")).toBe(true);

    // Running again (the same claims, same keys) reruns nothing that is waiting on a review.
    const again = await loop("run", "20");
    expect(again.map((l) => [l.runId, l.status])).toEqual(first.map((l) => [l.runId, l.status]));

    // A reviewer works the queue: the first escalation is rejected, the others accepted.
    const queue = await api("/v1/escalations?status=open&blocking=true&limit=200");
    const open = (queue.body.items as Array<{ id: string; runId: string }>).filter((i) => escalated.some((e) => e.escalation!.id === i.id));
    expect(open).toHaveLength(escalated.length);
    for (const [i, item] of open.entries()) {
      const detail = await api(`/v1/escalations/${item.id}`);
      expect(detail.body.packet).toMatchObject({ run: { id: item.runId } });
      expect((await api(`/v1/escalations/${item.id}/claim`, {})).status).toBe(200);
      const decision = i === 0 ? "reject" : "accept";
      expect((await api(`/v1/escalations/${item.id}/decision`, { decision, reason: "checked against the policy file" })).status).toBe(200);
    }

    const resumed = await loop("resume");
    expect(resumed.map((l) => l.runId).sort()).toEqual(escalated.map((e) => e.runId).sort());
    for (const line of resumed) {
      const rejected = line.runId === open[0]!.runId;
      // A run can stop at a later gate too: resumed runs complete, fail (rejected) or escalate again.
      expect(line.status).toBe(rejected ? "failed" : line.status === "escalated" ? "escalated" : "completed");
      const state = (await (
        await fetch(`${server.url}/v1/runs/${line.runId}/state`, { headers: { authorization: `Bearer ${server.apiKey}` } })
      ).json()) as RunState;
      if (!rejected) expect(state.steps.some((s) => s.source === "human" && s.confidence === 1)).toBe(true);
    }
    // Each review resumes its run once: nothing is left for a second worker.
    expect(await loop("resume")).toEqual([]);
  });
});
