import { gunzipSync } from "node:zlib";
import type { RunDetailResponse as RunDetail, RunSummary } from "../../server/src/modules/runs/contract.js";
import {
  claimsWorkflow,
  createPolicyDb,
  generateClaims,
  STEP_NAMES,
  stepCorrect,
  type ClaimCase,
  type ClaimTruth,
  type PolicyDb,
  type Route,
  type StepName,
} from "@seamtrace/example-claims";
import {
  Seamtrace,
  type IngestRequest,
  type IngestResponse,
  type RequestFn,
  type RunResult,
  type SeamtraceEvent,
  type ShutdownResult,
  type StepEvent,
  type TransportStats,
} from "@seamtrace/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnServer, type SpawnedServer } from "../support/server.js";

/**
 * The claims example as a user runs it: the real SDK, a real `seamtrace serve` process on
 * 127.0.0.1 with its own libSQL file, and the query API read back over HTTP. Everything the
 * server answers is compared with what the SDK computed and put on the wire.
 */

const SEED = 20_251;
const COUNT = 60;
/** Cases whose policy lookup is made to throw: their runs must be stored as failed. */
const BROKEN = new Set([7, 31, 52]);
/** Cases that read a policy-book snapshot two days old: match-policy must be stored as stale. */
const STALE = new Set([3, 4, 40]);
const TWO_DAYS_MS = 2 * 86_400_000;
/** Small pages, so listing 60 runs takes several cursors. */
const PAGE = 7;

/**
 * A policy book whose snapshot time and availability the test switches per case; otherwise
 * the shared book the generator writes claims against.
 */
function switchableBook(book: PolicyDb) {
  const state = { stale: false, broken: false };
  const unavailable = () => {
    if (state.broken) throw new Error("policy system unavailable");
  };
  const policies: PolicyDb = {
    seed: book.seed,
    get observedAt() {
      return state.stale ? book.observedAt - TWO_DAYS_MS : book.observedAt;
    },
    get policies() {
      unavailable();
      return book.policies;
    },
    get(policyNo) {
      unavailable();
      return book.get(policyNo);
    },
    byHolder(name) {
      unavailable();
      return book.byHolder(name);
    },
  };
  return { policies, state };
}

/** Wraps the real `fetch`: decodes every batch the SDK sends and keeps the collector's answers. */
function recordingFetch() {
  const sent: SeamtraceEvent[] = [];
  const encodings: string[] = [];
  const httpStatuses: number[] = [];
  const itemStatus = new Map<string, string>();
  const request: RequestFn = async (url, init) => {
    // Policy refreshes (GET /v1/policies) go straight through; only event batches are recorded.
    if (init.method !== "POST" || init.body === undefined) {
      const res = await fetch(url, init);
      const text = await res.text();
      return { status: res.status, headers: res.headers, text: async () => text };
    }
    const body = init.body;
    const headers = Object.fromEntries(Object.entries(init.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const encoding = headers["content-encoding"] ?? "identity";
    encodings.push(encoding);
    const raw = typeof body === "string" ? body : encoding === "gzip" ? gunzipSync(body).toString("utf8") : Buffer.from(body).toString("utf8");
    sent.push(...(JSON.parse(raw) as IngestRequest).events);
    const res = await fetch(url, init);
    const text = await res.text();
    httpStatuses.push(res.status);
    if (res.status === 200 || res.status === 207) {
      for (const r of (JSON.parse(text) as IngestResponse).results) if (r.id) itemStatus.set(r.id, r.status);
    }
    return { status: res.status, headers: res.headers, text: async () => text };
  };
  return { request, sent, encodings, httpStatuses, itemStatus };
}

interface Outcome {
  cases: ClaimCase[];
  results: Array<RunResult<Route>>;
  decoy: RunResult<string>;
  version: string;
  /** The fresh policy book's snapshot time, epoch ms. */
  observedAt: number;
  shutdown: ShutdownResult;
  stats: TransportStats;
  recorder: ReturnType<typeof recordingFetch>;
  /** Each event id once (a retried batch would resend the same ids). */
  events: SeamtraceEvent[];
}

async function runClaims(server: SpawnedServer): Promise<Outcome> {
  const book = createPolicyDb();
  const cases = generateClaims({ seed: SEED, count: COUNT, policies: book });
  const { policies, state } = switchableBook(book);
  const recorder = recordingFetch();
  // Batches of 100: the runs arrive across several requests, as they would under load.
  const st = new Seamtrace({ endpoint: server.url, apiKey: server.apiKey, request: recorder.request, transport: { maxBatchEvents: 100 } });
  // This suite checks lineage and round-tripping, not gates: a policy that never stops a run
  // (stale lookups are flagged and go on). The review loop has its own end-to-end test.
  const claims = claimsWorkflow(st, { policies, policy: { minConfidence: 0, minCumulative: 0, onLow: "flag" } });
  const results: Array<RunResult<Route>> = [];
  for (const [i, c] of cases.entries()) {
    state.stale = STALE.has(i);
    state.broken = BROKEN.has(i);
    results.push(await claims.process(c.email));
  }
  state.stale = state.broken = false;
  // Another workflow in the same project: the `workflow` filter has to leave it out.
  const decoy = await st
    .workflow("claims-decoy")
    .run({ input: "x" }, async (run) => (await run.step("only", async () => ({ value: "y", confidence: 0.5 }))).value);
  await st.flush();
  const shutdown = await st.shutdown({ timeoutMs: 10_000 });
  const events = [...new Map(recorder.sent.map((e) => [e.id, e])).values()];
  return { cases, results, decoy, version: claims.workflow.version, observedAt: book.observedAt, shutdown, stats: st.stats(), recorder, events };
}

const isStep = (e: SeamtraceEvent): e is StepEvent => e.type === "step.completed" || e.type === "step.failed";

describe("claims example end to end: SDK → seamtrace serve (libSQL file) → query API", () => {
  let server: SpawnedServer;
  let out: Outcome;
  let listed: RunSummary[];
  let pages: number;
  const details = new Map<string, RunDetail>();
  /** Per run id, per step name: the step event the SDK sent. */
  const sentSteps = new Map<string, Record<string, StepEvent>>();

  async function get<T>(path: string): Promise<T> {
    const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.apiKey}` } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET ${path} → ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  beforeAll(async () => {
    server = await spawnServer();
    out = await runClaims(server);
    for (const e of out.events) {
      if (!isStep(e)) continue;
      const byName = sentSteps.get(e.runId) ?? {};
      byName[e.step] = e;
      sentSteps.set(e.runId, byName);
    }
    listed = [];
    pages = 0;
    let cursor: string | null = null;
    do {
      const qs: string = `workflow=claims&limit=${PAGE}` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : "");
      const page: { items: RunSummary[]; nextCursor: string | null } = await get(`/v1/runs?${qs}`);
      listed.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 100);
    for (const r of out.results) details.set(r.runId, await get<RunDetail>(`/v1/runs/${r.runId}`));
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("delivers every event the SDK sent, gzip-compressed, with nothing dropped or rejected", () => {
    const { stats, shutdown, recorder, events } = out;
    expect(stats).toMatchObject({ buffered: 0, rejected: 0, droppedTotal: 0, duplicates: 0 });
    expect(shutdown).toMatchObject({ undelivered: 0, timedOut: false });
    expect(recorder.httpStatuses.length).toBeGreaterThan(1);
    expect(recorder.httpStatuses.every((s) => s === 200)).toBe(true);
    expect(recorder.encodings.every((e) => e === "gzip")).toBe(true);
    // 7 events per completed run; a failed run stops after extract, classify and the failed lookup.
    const expected = (COUNT - BROKEN.size) * 7 + BROKEN.size * 5 + 3;
    expect(events).toHaveLength(expected);
    expect(stats.sent).toBe(expected);
    for (const e of events) expect(recorder.itemStatus.get(e.id), e.id).toBe("accepted");
  });

  it("fails exactly the runs whose policy lookup threw, and completes the others", () => {
    out.results.forEach((r, i) => {
      if (BROKEN.has(i)) {
        expect(r.status, `case ${i}`).toBe("failed");
        expect(r.failure).toMatchObject({ step: "match-policy", attempts: 1, error: { message: "policy system unavailable" } });
      } else {
        expect(r.status, `case ${i}`).toBe("completed");
      }
    });
  });

  it("lists every run the SDK reported, once, newest first, paging by cursor and filtering by workflow", () => {
    expect(pages).toBe(Math.ceil(COUNT / PAGE));
    const ids = listed.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice().sort()).toEqual(out.results.map((r) => r.runId).sort());
    expect(ids).not.toContain(out.decoy.runId);
    const starts = listed.map((r) => Date.parse(r.startedAt));
    for (let i = 1; i < starts.length; i++) expect(starts[i]!).toBeLessThanOrEqual(starts[i - 1]!);
    const byId = new Map(listed.map((r) => [r.id, r]));
    out.results.forEach((r, i) => {
      const summary = byId.get(r.runId)!;
      const mine = Object.values(sentSteps.get(r.runId)!);
      expect(summary, `case ${i}`).toMatchObject({
        workflow: "claims",
        version: out.version,
        key: out.cases[i]!.email.messageId,
        status: r.status,
        stepCount: BROKEN.has(i) ? 3 : 5,
      });
      const cumulatives = mine.flatMap((s) => (s.cumulative === undefined ? [] : [s.cumulative]));
      expect(summary.minCumulative!).toBeCloseTo(Math.min(...cumulatives), 12);
    });
  });

  it("reads each run back with its status, input and output, and the step a failed run stopped at", () => {
    out.results.forEach((r, i) => {
      const { run, truncated } = details.get(r.runId)!;
      expect(truncated).toBe(false);
      expect(run.status, `case ${i}`).toBe(r.status);
      expect(run.input).toEqual(out.cases[i]!.email);
      if (r.status === "completed") {
        expect(run.output).toBe(r.output);
        expect(run.stopStepId).toBeNull();
      } else {
        expect(run.stopStepId).toBe(r.failure!.stepId);
        expect(run.error).toMatchObject({ message: "policy system unavailable" });
        expect(run.output).toBeNull();
      }
    });
  });

  it("stores the five steps of a completed run, and of a failed run those up to the failed one", () => {
    out.results.forEach((r, i) => {
      const { steps } = details.get(r.runId)!;
      const status = Object.fromEntries(steps.map((s) => [s.name, s.status]));
      if (BROKEN.has(i)) {
        expect(status, `case ${i}`).toEqual({ extract: "completed", classify: "completed", "match-policy": "failed" });
        const failed = steps.find((s) => s.name === "match-policy")!;
        expect(failed.error).toMatchObject({ name: "Error", message: "policy system unavailable" });
        expect(failed.id).toBe(r.failure!.stepId);
      } else {
        expect(status, `case ${i}`).toEqual(Object.fromEntries(STEP_NAMES.map((n) => [n, "completed"])));
      }
      // The ids are the SDK's, one row per step it reported.
      expect(steps.map((s) => s.id).sort()).toEqual(
        Object.values(sentSteps.get(r.runId)!)
          .map((e) => e.stepId)
          .sort(),
      );
    });
  });

  it("links the steps as a diamond extract → classify ∥ match-policy → reserve → route, with edges matching parents", () => {
    for (const r of out.results) {
      const { steps, edges } = details.get(r.runId)!;
      const s = Object.fromEntries(steps.map((x) => [x.name, x]));
      expect(s.extract!.parents).toEqual([]);
      expect(s.classify!.parents).toEqual([s.extract!.id]);
      expect(s["match-policy"]!.parents).toEqual([s.extract!.id]);
      if (s.reserve) {
        expect(s.reserve.parents.slice().sort()).toEqual([s.classify!.id, s["match-policy"]!.id].sort());
        expect(s.route!.parents).toEqual([s.reserve.id]);
      }
      const fromParents = steps.flatMap((x) => x.parents.map((p) => `${p}→${x.id}`)).sort();
      expect(edges.map((e) => `${e.from}→${e.to}`).sort()).toEqual(fromParents);
      expect(edges).toHaveLength(r.status === "completed" ? 5 : 2);
    }
  });

  it("reads back every step's own and cumulative confidence exactly as the SDK computed and sent them", () => {
    let compared = 0;
    for (const r of out.results) {
      const sent = sentSteps.get(r.runId)!;
      for (const step of details.get(r.runId)!.steps) {
        const e = sent[step.name]!;
        expect(step.id).toBe(e.stepId);
        if (e.type === "step.failed") {
          expect(step.confidence).toBeNull();
          expect(step.cumulative).toBeNull();
          continue;
        }
        expect(e.confidence).toBeTypeOf("number");
        expect(step.confidence!).toBeCloseTo(e.confidence!, 12);
        expect(step.cumulative!).toBeCloseTo(e.cumulative!, 12);
        compared++;
      }
    }
    expect(compared).toBe((COUNT - BROKEN.size) * 5 + BROKEN.size * 2);
  });

  it("counts extract once in the cumulative confidence of reserve and route (the diamond)", () => {
    let extractBelowOne = 0;
    for (const r of out.results) {
      if (r.status !== "completed") continue;
      const s = Object.fromEntries(details.get(r.runId)!.steps.map((x) => [x.name, x]));
      const own = (n: StepName) => s[n]!.confidence!;
      if (own("extract") < 1) extractBelowOne++;
      expect(s.extract!.cumulative!).toBeCloseTo(own("extract"), 12);
      expect(s.classify!.cumulative!).toBeCloseTo(own("classify") * own("extract"), 12);
      expect(s["match-policy"]!.cumulative!).toBeCloseTo(own("match-policy") * own("extract"), 12);
      expect(s.reserve!.cumulative!).toBeCloseTo(own("reserve") * own("classify") * own("match-policy") * own("extract"), 12);
      expect(s.route!.cumulative!).toBeCloseTo(own("route") * s.reserve!.cumulative!, 12);
    }
    // Counting extract twice changes nothing when its confidence is 1: the check above only
    // bites if most runs have an uncertain extraction.
    expect(extractBelowOne).toBeGreaterThan(COUNT / 2);
  });

  it("keeps each step's source, staleness, observation time, features, reasoning, input and output", () => {
    out.results.forEach((r, i) => {
      const sent = sentSteps.get(r.runId)!;
      for (const step of details.get(r.runId)!.steps) {
        const e = sent[step.name]!;
        const where = `case ${i} ${step.name}`;
        expect(step.source, where).toBe(step.name === "match-policy" ? "direct" : "inferred");
        expect(step.source, where).toBe(e.source);
        expect(step.stale, where).toBe(e.stale);
        // Flag mode: a stale lookup is flagged, and so is every step built on it.
        expect(step.flagged, where).toBe(e.flagged === true);
        if (e.stale) expect(step.flagged, `${where}: a stale lookup must be flagged`).toBe(true);
        expect(step.input, where).toEqual(e.input);
        expect(step.attempts, where).toBe(1);
        if (e.type === "step.failed") continue;
        expect(step.output, where).toEqual(e.output);
        expect(step.features, where).toEqual(e.features);
        expect(step.reasoning, where).toBe(e.reasoning);
        expect(step.alternatives ?? undefined, where).toEqual(e.alternatives);
        expect(Object.keys(step.features as object).length, where).toBeGreaterThan(0);
      }
      const match = details.get(r.runId)!.steps.find((s) => s.name === "match-policy")!;
      expect(match.stale, `case ${i}`).toBe(STALE.has(i));
      expect(match.maxAgeMs, `case ${i}`).toBe(sent["match-policy"]!.maxAgeMs ?? null);
      expect(match.observedAt, `case ${i}`).toBe(sent["match-policy"]!.observedAt ?? null);
      // A failed lookup produced no output, so the SDK reports no freshness for it.
      if (r.status === "completed") {
        expect(match.maxAgeMs, `case ${i}`).toBe(86_400_000);
        expect(Date.parse(match.observedAt!), `case ${i}`).toBe(out.observedAt - (STALE.has(i) ? TWO_DAYS_MS : 0));
      }
    });
  });

  it("hands each step the output of the step before it, and reports the models' accuracy against the generator's truth", async ({ annotate }) => {
    const tally = () => ({ extract: 0, classify: 0, "match-policy": 0, reserve: 0, route: 0 }) satisfies Record<StepName, number>;
    const correct = tally();
    const confident = tally();
    const confidentCorrect = tally();
    let scored = 0;
    for (const [i, r] of out.results.entries()) {
      if (r.status !== "completed") continue;
      const s = Object.fromEntries(details.get(r.runId)!.steps.map((x) => [x.name, x]));
      // The seams as stored: what a step received is what its parent produced.
      expect(s.classify!.input).toEqual({ description: (s.extract!.output as { description: string }).description });
      expect(s.reserve!.input).toMatchObject({ type: s.classify!.output });
      expect(s.route!.input).toEqual({ reserve: s.reserve!.output });
      expect(s.route!.output).toBe(r.output);
      scored++;
      const truth = out.cases[i]!.truth;
      for (const name of STEP_NAMES) {
        const ok = stepCorrect(name, s[name]!.output as ClaimTruth[typeof name], truth[name]);
        if (ok) correct[name]++;
        if (s[name]!.confidence! >= 0.9) {
          confident[name]++;
          if (ok) confidentCorrect[name]++;
        }
      }
    }
    // Model accuracy is the example's own tests' business; here it is only reported.
    const pct = (n: number, d: number) => (d === 0 ? "n/a" : `${((100 * n) / d).toFixed(0)}%`);
    const report = STEP_NAMES.map((n) => `${n} ${pct(correct[n], scored)} (${pct(confidentCorrect[n], confident[n])} of ${confident[n]} at confidence ≥ 0.9)`);
    await annotate(`accuracy against the generator's truth over ${scored} completed runs: ${report.join(", ")}`);
    expect(scored).toBe(COUNT - BROKEN.size);
  });
});
