import { gunzipSync } from "node:zlib";
import { Seamtrace, type IngestRequest, type RequestFn, type SeamtraceEvent, type StepEvent } from "@seamtrace/sdk";
import { describe, expect, it } from "vitest";
import { defaultModelParams } from "./default-params.js";
import type { ClaimCase } from "./domain.js";
import { generateClaims } from "./generator.js";
import { predictClaim } from "./pipeline.js";
import { createPolicyDb } from "./policy-db.js";
import { claimsWorkflow } from "./workflow.js";

/** An in-process collector: decodes each batch and accepts every event. */
function fakeCollector() {
  const events: SeamtraceEvent[] = [];
  const encodings: string[] = [];
  const request: RequestFn = async (url, init) => {
    if (init.method === "GET") {
      // The SDK's policy refresh (no server-side policies here) and its look-up of a run to
      // replay by key (none: every run is new).
      if (url.endsWith("/v1/policies")) return { status: 200, headers: { get: () => null }, text: async () => '{"policies":[]}' };
      return { status: 404, headers: { get: () => null }, text: async () => '{"error":{"code":"not_found","message":"run not found"}}' };
    }
    expect(url).toBe("http://collector.test/v1/events");
    const headers = Object.fromEntries(Object.entries(init.headers).map(([k, v]) => [k.toLowerCase(), v]));
    encodings.push(headers["content-encoding"] ?? "identity");
    const sentBody = init.body ?? "";
    const raw =
      typeof sentBody === "string"
        ? sentBody
        : headers["content-encoding"] === "gzip"
          ? gunzipSync(sentBody).toString("utf8")
          : new TextDecoder().decode(sentBody);
    const batch = (JSON.parse(raw) as IngestRequest).events;
    events.push(...batch);
    const body = JSON.stringify({ results: batch.map((e) => ({ id: e.id, status: "accepted" })) });
    return { status: 200, headers: { get: (name: string) => (name.toLowerCase() === "content-type" ? "application/json" : null) }, text: async () => body };
  };
  return { events, encodings, request };
}

// These tests check what the workflow records; gates have their own tests in the SDK, so by
// default the policy here never stops a run.
const NO_STOP = { minConfidence: 0, minCumulative: 0, onLow: "flag" } as const;

async function runCases(cases: readonly ClaimCase[], overrides: Parameters<typeof claimsWorkflow>[1] = {}) {
  const options = { policy: NO_STOP, ...overrides };
  const collector = fakeCollector();
  const st = new Seamtrace({ endpoint: "http://collector.test", apiKey: "st_test", request: collector.request });
  const claims = claimsWorkflow(st, options);
  const results = [];
  for (const c of cases) results.push(await claims.process(c.email));
  const shutdown = await st.shutdown({ timeoutMs: 10_000 });
  return { ...collector, results, shutdown, stats: st.stats(), claims };
}

const policies = createPolicyDb();
const cases = generateClaims({ seed: 11, count: 50, policies });
const steps = (events: SeamtraceEvent[], runId: string): Record<string, StepEvent> =>
  Object.fromEntries(events.filter((e): e is StepEvent => e.type === "step.completed" && e.runId === runId).map((e) => [e.step, e]));

describe("claimsWorkflow", async () => {
  const { events, encodings, results, shutdown, stats } = await runCases(cases, { policies });

  it("completes every run with the route the models compute", () => {
    expect(results).toHaveLength(50);
    results.forEach((r, i) => {
      expect(r.status).toBe("completed");
      expect(r.output).toBe(predictClaim(cases[i]!.email, { params: defaultModelParams, policies }).route.value);
    });
  });

  it("delivers every event, gzip-compressed", () => {
    expect(shutdown.undelivered).toBe(0);
    expect(stats.sent).toBe(events.length);
    expect(stats.droppedTotal).toBe(0);
    expect(events).toHaveLength(50 * 7);
    expect(encodings).toContain("gzip");
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it("records each run as run.started, five steps and run.completed, keyed by message id", () => {
    results.forEach((r, i) => {
      const mine = events.filter((e) => "runId" in e && e.runId === r.runId);
      expect(mine.map((e) => e.type).sort()).toEqual(["run.completed", "run.started", ...Array(5).fill("step.completed")].sort());
      const started = mine.find((e) => e.type === "run.started");
      expect(started).toMatchObject({ workflow: "claims", version: "1", key: cases[i]!.email.messageId });
      expect(mine.find((e) => e.type === "run.completed")).toMatchObject({ output: r.output });
      expect(Object.keys(steps(events, r.runId)).sort()).toEqual(["classify", "extract", "match-policy", "reserve", "route"]);
    });
  });

  it("links the steps as a diamond: extract → classify ∥ match-policy → reserve → route", () => {
    for (const r of results) {
      const s = steps(events, r.runId);
      expect(s.extract!.parents).toEqual([]);
      expect(s.classify!.parents).toEqual([s.extract!.stepId]);
      expect(s["match-policy"]!.parents).toEqual([s.extract!.stepId]);
      expect([...s.reserve!.parents].sort()).toEqual([s.classify!.stepId, s["match-policy"]!.stepId].sort());
      expect(s.route!.parents).toEqual([s.reserve!.stepId]);
    }
  });

  it("counts extract once in the cumulative confidence of reserve and route", () => {
    for (const r of results) {
      const s = steps(events, r.runId);
      const c = (name: string): number => s[name]!.confidence!;
      expect(s.reserve!.cumulative).toBeCloseTo(c("reserve") * c("classify") * c("match-policy") * c("extract"), 10);
      expect(s.route!.cumulative).toBeCloseTo(c("route") * c("reserve") * c("classify") * c("match-policy") * c("extract"), 10);
      expect(s.classify!.cumulative).toBeCloseTo(c("classify") * c("extract"), 10);
    }
  });

  it("says where each step's confidence comes from, so calibration can be read per source", () => {
    for (const r of results) {
      const s = steps(events, r.runId);
      expect(Object.fromEntries(Object.entries(s).map(([name, e]) => [name, e.confidenceSource]))).toEqual({
        extract: "rule",
        classify: "logprob",
        "match-policy": "rule",
        reserve: "rule",
        route: "rule",
      });
    }
  });

  it("sends each model's own confidence, reasoning and drift features", () => {
    results.forEach((r, i) => {
      const s = steps(events, r.runId);
      const p = predictClaim(cases[i]!.email, { params: defaultModelParams, policies });
      for (const name of ["extract", "classify", "match-policy", "reserve", "route"] as const) {
        expect(s[name]!.confidence).toBe(p[name].confidence);
        expect(s[name]!.reasoning).toBe(p[name].reasoning);
      }
      expect(s.extract!.input).toEqual(cases[i]!.email);
      expect(s.extract!.features).toMatchObject({ bodyLength: cases[i]!.email.body.length });
      expect(s.classify!.features).toMatchObject({ claimType: p.classify.value });
      expect(s.route!.output).toBe(r.output);
    });
  });

  it("marks match-policy as a direct, fresh lookup and the models as inferred", () => {
    for (const r of results) {
      const s = steps(events, r.runId);
      expect(s["match-policy"]).toMatchObject({
        source: "direct",
        observedAt: new Date(policies.observedAt).toISOString(),
        maxAgeMs: 24 * 60 * 60 * 1000,
        stale: false,
      });
      for (const name of ["extract", "classify", "reserve", "route"]) expect(s[name]!.source).toBe("inferred");
    }
  });
});

describe("claimsWorkflow options", () => {
  it("marks the policy lookup stale when the book snapshot is older than allowed", async () => {
    const old = createPolicyDb({ observedAt: Date.now() - 3 * 24 * 60 * 60 * 1000 });
    const { events } = await runCases(cases.slice(0, 2), { policies: old });
    const lookups = events.filter((e): e is StepEvent => e.type === "step.completed" && e.step === "match-policy");
    expect(lookups).toHaveLength(2);
    for (const e of lookups) expect(e.stale).toBe(true);
  });

  it("records a retrained model as a new workflow version", async () => {
    const v2 = structuredClone(defaultModelParams);
    v2.version = "2";
    const { events, claims } = await runCases(cases.slice(0, 1), { policies, params: v2 });
    expect(claims.workflow.version).toBe("2");
    const runEvents = events.filter((e) => "runId" in e);
    expect(runEvents).toHaveLength(7);
    for (const e of runEvents) expect(e).toMatchObject({ workflow: "claims", version: "2" });
  });
});
