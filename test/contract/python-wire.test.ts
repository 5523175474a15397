import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { Seamtrace, type Run } from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath, repoRoot, spawnServer, type SpawnedServer } from "../support/server.js";

const exec = promisify(execFile);
// Debian's interpreter when there is one (a pyenv shim may come first on PATH).
const python = process.env.PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
const scenariosScript = join(repoRoot, "sdk-python/tests/wire_scenarios.py");
const OBSERVED = "2026-01-01T00:00:00.000Z";

class TransientError extends Error {
  override readonly name = "TransientError";
}

type Scenario = "chain" | "diamond" | "parallel" | "escalation" | "flag" | "retries" | "failure" | "invalid" | "unscored";
type Ran = Record<Scenario, { runId: string; status: string; escalationId: string | null }>;

/** The same scenarios as sdk-python/tests/wire_scenarios.py, through the TypeScript SDK. */
const pipelines: Record<Scenario, (run: Run) => Promise<unknown>> = {
  chain: async (run) => {
    const a = await run.step("extract", { input: { email: "e1" } }, () => ({
      value: { policyNo: "PX-1", amount: 1200 },
      confidence: 0.9,
      reasoning: "matched",
    }));
    const b = await run.step("classify", { from: [a], input: a.value }, () => ({ value: "water", confidence: 0.8, alternatives: ["flood"] }));
    const c = await run.step("reserve", { from: [b] }, () => ({ value: 1200, confidence: 0.7, features: { amount: 1200, kind: "water" } }));
    return c.value;
  },
  diamond: async (run) => {
    const a = await run.step("extract", () => ({ value: { n: 1 }, confidence: 0.9 }));
    const b = await run.step("classify", { from: [a] }, () => ({ value: "water", confidence: 0.8 }));
    const c = await run.step("match-policy", { from: [a], source: "direct", observedAt: OBSERVED, maxAgeMs: 1e12 }, () => ({
      value: { policyNo: "PX-1", active: true },
    }));
    const d = await run.step("reserve", { from: [b, c] }, () => ({ value: 1200, confidence: 0.6 }));
    return d.value;
  },
  parallel: async (run) => {
    const a = await run.step("extract", () => ({ value: { n: 2 }, confidence: 0.95 }));
    const [b, c] = await Promise.all([
      run.step("left", { from: [a] }, async () => ({ value: "L", confidence: 0.9 })),
      run.step("right", { from: [a] }, async () => ({ value: "R", confidence: 0.85 })),
    ]);
    const d = await run.step("join", { from: [b, c] }, () => ({ value: b.value + c.value, confidence: 0.99 }));
    return d.value;
  },
  escalation: async (run) => {
    const fields = await run.step("extract", { input: "storm tore the roof" }, () => ({ value: { amount: 4000 }, confidence: 0.95 }));
    const kind = await run.step("classify", { from: [fields] }, () => ({ value: "storm", confidence: 0.41, alternatives: ["flood", "fire"] }));
    const reserve = await run.step("reserve", { from: [kind] }, () => ({ value: `${kind.value}:${fields.value.amount * 2}`, confidence: 0.9 }));
    return reserve.value;
  },
  flag: async (run) => {
    const a = await run.step("route", () => ({ value: "fast-lane", confidence: 0.5 }));
    const b = await run.step("notify", { from: [a] }, () => ({ value: "sent", confidence: 0.9 }));
    return b.value;
  },
  retries: async (run) => {
    let tries = 0;
    const r = await run.step("fetch", { retry: { attempts: 3 } }, () => {
      tries++;
      if (tries < 3) throw new TransientError(`attempt ${tries} timed out`);
      return { value: "ok", confidence: 0.9 };
    });
    return r.value;
  },
  failure: async (run) => {
    const a = await run.step("extract", () => ({ value: 1, confidence: 0.9 }));
    await run.step("lookup", { from: [a], retry: { attempts: 2 } }, () => {
      throw new TransientError("service down");
    });
  },
  // A percentage where a probability belongs: the step fails naming the value, never clamped.
  invalid: async (run) => {
    const a = await run.step("extract", () => ({ value: { amount: 1200 }, confidence: 0.9 }));
    const b = await run.step("classify", { from: [a] }, () => ({ value: "water", confidence: 85 }));
    return b.value;
  },
  // A direct lookup gives no confidence: unscored, and escalated where the policy requires one.
  unscored: async (run) => {
    const a = await run.step("extract", () => ({ value: { policyNo: "PX-1" }, confidence: 0.9 }));
    const b = await run.step("match-policy", { from: [a], source: "direct" }, () => ({ value: { active: true } }));
    return b.value;
  },
};

function workflows(st: Seamtrace) {
  return {
    chain: st.workflow("wire-chain", { version: "3" }),
    diamond: st.workflow("wire-diamond"),
    parallel: st.workflow("wire-parallel"),
    escalation: st.workflow("wire-escalation", { policy: { minConfidence: 0.6 } }),
    flag: st.workflow("wire-flag", { policy: { minConfidence: 0.8, onLow: "flag" } }),
    retries: st.workflow("wire-retries"),
    failure: st.workflow("wire-failure"),
    invalid: st.workflow("wire-invalid"),
    unscored: st.workflow("wire-unscored", { policy: { requireConfidence: true } }),
  } satisfies Record<Scenario, unknown>;
}

const TIME_KEYS = new Set(["id", "time", "runId", "startedAt", "endedAt", "durationMs", "updatedAt", "stack"]);

/** A stored value with ids and times taken out; step ids become step names so lineage still compares. */
function normalise(value: unknown, names: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => normalise(v, names));
  if (typeof value === "string") return names.get(value) ?? value;
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (TIME_KEYS.has(k)) continue;
    out[k] = k === "escalationId" ? (v === null ? null : "<escalation>") : normalise(v, names);
  }
  // A reviewer's output is observed when the run resumes: a time, like the others.
  if (out.source === "human" && out.observedAt != null) out.observedAt = "<resumed>";
  return out;
}

const byKey = (a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);

describe("one wire format: the TypeScript and Python SDKs store the same runs", () => {
  let server: SpawnedServer;
  let cookie: string;
  const get = async (path: string) => {
    const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.apiKey}` } });
    expect(res.status).toBe(200);
    return res;
  };
  const review = async (escalationId: string, body: Record<string, unknown>) => {
    const post = (path: string, payload: unknown) =>
      fetch(`${server.url}${path}`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify(payload) });
    expect((await post(`/v1/escalations/${escalationId}/claim`, {})).status).toBe(200);
    expect((await post(`/v1/escalations/${escalationId}/decision`, body)).status).toBe(200);
  };
  /** The run as the server stores it: its detail and the events it received (from the audit trail). */
  const stored = async (runId: string) => {
    const detail = (await (await get(`/v1/runs/${runId}`)).json()) as {
      run: Record<string, unknown>;
      steps: Array<{ id: string; name: string; source: string }>;
    };
    const names = new Map<string, string>([[runId, "<run>"]]);
    for (const s of detail.steps) names.set(s.id, `${s.name}`);
    const audit = (await (await get(`/v1/audit/export?format=jsonl&runId=${runId}`)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { payload: unknown });
    const events = audit.map((e) => e.payload).filter((p): p is Record<string, unknown> => typeof p === "object" && p !== null && "type" in p);
    return {
      run: normalise(detail.run, names),
      steps: (normalise(detail.steps, names) as unknown[]).sort(byKey),
      events: (normalise(events, names) as unknown[]).sort(byKey),
    };
  };
  const runPython = async (...args: string[]) => {
    const { stdout } = await exec(python, [scenariosScript, ...args], {
      env: { PATH: process.env.PATH ?? "", SEAMTRACE_ENDPOINT: server.url, SEAMTRACE_API_KEY: server.apiKey },
      timeout: 60_000,
    });
    return JSON.parse(stdout) as unknown;
  };

  beforeAll(async () => {
    server = await spawnServer({ env: { SEAMTRACE_JOBS: "off" } });
    execFileSync(process.execPath, [cliPath, "users", "create", "--email", "reviewer@example.test", "--role", "reviewer", "--password-env", "PW"], {
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

  it("stores the same runs, steps and events for chain, diamond, parallel, escalation then resume, flag, retries, failure, an invalid confidence and an unscored step", async () => {
    const st = new Seamtrace({ endpoint: server.url, apiKey: server.apiKey });
    const wfs = workflows(st);
    const ts = {} as Ran;
    for (const name of Object.keys(pipelines) as Scenario[]) {
      const r = await wfs[name].run({ input: { scenario: name } }, pipelines[name]);
      ts[name] = { runId: r.runId, status: r.status, escalationId: r.escalation?.id ?? null };
    }
    await st.flush({ timeoutMs: 15_000 });
    const py = (await runPython("run")) as Ran;
    expect(Object.fromEntries(Object.entries(py).map(([k, v]) => [k, v.status]))).toEqual(
      Object.fromEntries(Object.entries(ts).map(([k, v]) => [k, v.status])),
    );
    // Both refuse 85 as a confidence, and both stop an unscored step the policy requires a score of.
    expect([ts.invalid.status, ts.unscored.status]).toEqual(["failed", "escalated"]);

    // The escalated run of each SDK gets the same review, then each SDK resumes its own.
    await review(ts.escalation.escalationId!, { decision: "correct", output: "flood", reason: "photos show water" });
    await review(py.escalation.escalationId!, { decision: "correct", output: "flood", reason: "photos show water" });
    const tsResumed = await wfs.escalation.resume(ts.escalation.runId, pipelines.escalation);
    await st.shutdown({ timeoutMs: 15_000 });
    const pyResumed = (await runPython("resume", py.escalation.runId)) as { status: string; output: unknown };
    expect([tsResumed.status, tsResumed.output]).toEqual(["completed", "flood:8000"]);
    expect([pyResumed.status, pyResumed.output]).toEqual(["completed", "flood:8000"]);

    for (const name of Object.keys(pipelines) as Scenario[]) {
      const [fromTs, fromPy] = await Promise.all([stored(ts[name].runId), stored(py[name].runId)]);
      expect(fromPy, `scenario ${name}`).toEqual(fromTs);
      expect(fromTs.events.length, `scenario ${name}`).toBeGreaterThan(2);
    }
  }, 120_000);
});
