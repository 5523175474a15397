/**
 * A real Seamtrace server for the framework adapters' tests: the collector and review API over
 * HTTP on 127.0.0.1 (an ephemeral port), a fresh libSQL file, a project key for the SDK and a
 * signed-in reviewer who decides escalations through the review API, as a person would.
 */
import { serve, type ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { Seamtrace, type RunState, type SeamtraceOptions, type StepEvent } from "@seamtrace/sdk";
import { createTestContext, type TestContext } from "../../../server/test-support/testing.js";

export interface ReviewServer {
  url: string;
  apiKey: string;
  ctx: TestContext;
  /** A client of the project; its errors are collected in `errors`. */
  client(extra?: SeamtraceOptions): Seamtrace;
  errors: unknown[];
  /** The step events the clients sent, as they went over the wire (the run's API does not echo every field). */
  sentSteps(runId: string): StepEvent[];
  /** Claims and decides an escalation as the reviewer (the client's events must be flushed). */
  decide(escalationId: string, decision: "accept" | "correct" | "reject", output?: unknown, reason?: string): Promise<void>;
  /** The escalation's review packet as the queue shows it. */
  escalation(id: string): Promise<Record<string, unknown>>;
  /** The run's recorded state (`GET /v1/runs/:id/state`). */
  state(runId: string): Promise<RunState>;
  /** The run with its DAG (`GET /v1/runs/:id`). */
  runDetail(runId: string): Promise<{ run: Record<string, unknown>; steps: Array<Record<string, unknown>>; edges?: unknown }>;
  close(): Promise<void>;
}

export async function startReviewServer(): Promise<ReviewServer> {
  const ctx = await createTestContext();
  const { key, projectId } = await ctx.newProject();
  const reviewer = await ctx.newUser(projectId, "reviewer");
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: ctx.app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const errors: unknown[] = [];
  const clients: Seamtrace[] = [];
  const sent: StepEvent[] = [];
  /** `fetch`, keeping a copy of every event batch the SDK posts. */
  const recording: NonNullable<SeamtraceOptions["request"]> = (target, init) => {
    if (target.endsWith("/v1/events") && init.body !== undefined) {
      const raw =
        typeof init.body === "string"
          ? init.body
          : init.headers["Content-Encoding"] === "gzip"
            ? gunzipSync(init.body).toString()
            : Buffer.from(init.body).toString();
      const batch = JSON.parse(raw) as { events?: Array<{ type: string }> } | Array<{ type: string }>;
      for (const e of Array.isArray(batch) ? batch : (batch.events ?? [])) if (e.type.startsWith("step.")) sent.push(e as StepEvent);
    }
    return fetch(target, init as RequestInit);
  };

  async function api(path: string, init: { method?: string; body?: unknown; as?: "reviewer" | "sdk" } = {}) {
    const headers: Record<string, string> = init.as === "sdk" ? { authorization: `Bearer ${key}` } : { cookie: reviewer.cookie };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${url}${path}`, { method: init.method ?? "GET", headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    const body = (await res.json().catch(() => null)) as unknown;
    if (res.status >= 300) throw new Error(`${init.method ?? "GET"} ${path} answered ${res.status}: ${JSON.stringify(body)}`);
    return body;
  }

  return {
    url,
    apiKey: key,
    ctx,
    errors,
    sentSteps: (runId) => sent.filter((e) => e.runId === runId),
    client(extra = {}) {
      const st = new Seamtrace({ endpoint: url, apiKey: key, onError: (e) => errors.push(e), request: recording, ...extra });
      clients.push(st);
      return st;
    },
    async decide(escalationId, decision, output, reason = "checked by a reviewer") {
      await api(`/v1/escalations/${escalationId}/claim`, { method: "POST", body: {} });
      await api(`/v1/escalations/${escalationId}/decision`, { method: "POST", body: { decision, reason, ...(decision === "correct" ? { output } : {}) } });
    },
    escalation: (id) => api(`/v1/escalations/${id}`) as Promise<Record<string, unknown>>,
    state: (runId) => api(`/v1/runs/${runId}/state`, { as: "sdk" }) as Promise<RunState>,
    runDetail: (runId) => api(`/v1/runs/${runId}`, { as: "sdk" }) as Promise<{ run: Record<string, unknown>; steps: Array<Record<string, unknown>> }>,
    async close() {
      await Promise.all(clients.map((c) => c.shutdown({ timeoutMs: 2_000 })));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      ctx.close();
    },
  };
}
