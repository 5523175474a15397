import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Seamtrace, type Run } from "@seamtrace/sdk";
import { cliPath } from "./server.js";

const exec = promisify(execFile);

export const SEED_PASSWORD = "a long dashboard password";
export const SEED_USERS = { admin: "admin@example.test", reviewer: "rev@example.test", analyst: "ana@example.test" } as const;

/** Strings that would run script if any page rendered them as HTML (the stored-XSS check). */
export const XSS = {
  script: `<script>window.__xss=1</script>`,
  img: `<img src=x onerror="window.__xss=1">`,
  svg: `<svg onload="window.__xss=1"></svg>`,
  iframe: `<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>`,
  link: `javascript:window.__xss=1`,
};

async function cli(dataDir: string, args: string[], env: Record<string, string> = {}) {
  return exec(process.execPath, [cliPath, ...args], { env: { PATH: process.env.PATH ?? "", SEAMTRACE_DATA_DIR: dataDir, ...env } });
}

/** Classify's confidence on confident runs, by `i % 3`. */
export const CLASSIFY_CONFIDENCE = [0.72, 0.83, 0.94] as const;

export function claimsWorkflow(st: Seamtrace) {
  return st.workflow("roof-claims", { version: "1", policy: { minConfidence: 0.6, onLow: "escalate" } });
}

/** Run `i` of the demo: every fourth classify is unsure (0.41) and escalates. */
export function claimsPipeline(i: number) {
  const unsure = i % 4 === 3;
  return async (run: Run) => {
    const fields = await run.step("extract", { input: `claim ${i}` }, async () => ({
      value: { amount: 1000 + i * 100 },
      confidence: 0.9 + (i % 10) / 100,
      features: { amount: 1000 + i * 100 },
    }));
    const kind = await run.step("classify", { from: [fields] }, async () => ({
      value: "storm",
      // Three calibration bins (of 0.05): 0.70–0.75, 0.80–0.85, 0.90–0.95.
      confidence: unsure ? 0.41 : CLASSIFY_CONFIDENCE[i % 3]!,
      reasoning: "shingles missing, wind reported",
      alternatives: ["flood", "fire"],
    }));
    const reserve = await run.step("reserve", { from: [fields, kind] }, async () => ({
      value: `${kind.value}:${fields.value.amount * 1.1}`,
      confidence: 0.88,
    }));
    return reserve.value;
  };
}

export interface Seeded {
  /** Runs sent, by outcome. */
  completed: string[];
  escalated: Array<{ runId: string; escalationId: string; index: number }>;
  xssRunId: string;
  /** A golden result whose names and messages hold the payloads. */
  xssGoldenId: string;
}

/** The drifting workflow: one step whose confidence and features shift between two windows. */
export const DRIFT = {
  workflow: "fraud-screen",
  step: "score",
  perSide: 40,
  daysBack: 9,
  policy: { minConfidence: 0.5, targetAccuracy: 0.95, tightenMax: 0.8 },
} as const;

/** Server settings the seed relies on: the drift job's baseline reaches back to DRIFT.daysBack. */
export const SEED_SERVER_ENV = { SEAMTRACE_DRIFT_BASELINE_HOURS: String(24 * 15) };

/** Two golden runs of the claims workflow: v1 (the baseline) and v2, whose classify regressed. */
export const GOLDEN = {
  set: "claims-golden",
  results: [
    { version: "1", accuracy: { extract: 0.98, classify: 0.9, reserve: 0.95 }, endToEnd: 0.86, regressions: [] as string[] },
    { version: "2", accuracy: { extract: 0.98, classify: 0.72, reserve: 0.94 }, endToEnd: 0.7, regressions: ["classify", "end-to-end"] },
  ],
} as const;

async function seedGolden(server: { url: string; apiKey: string }): Promise<string> {
  const cases = 50;
  const setVersion = "a".repeat(64);
  const [base] = GOLDEN.results;
  let at = Date.now() - 3 * 3_600_000;
  // First (so never the newest): a result whose workflow, step and message carry the payloads.
  const hostileStep = `name ${XSS.svg}`;
  const hostile = await fetch(`${server.url}/v1/golden/results`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({
      set: "hostile-set",
      setVersion,
      workflow: `hostile ${XSS.img}`,
      version: "1",
      startedAt: new Date(at).toISOString(),
      finishedAt: new Date(at + 1000).toISOString(),
      summary: {
        cases: 1,
        runs: { completed: 1 },
        escalationRate: 0,
        endToEndAccuracy: 0,
        completed: 1,
        steps: [
          {
            step: hostileStep,
            expected: 1,
            reached: 1,
            correct: 0,
            failed: 0,
            accuracy: 0,
            escalated: 0,
            calibration: { n: 0, brier: null, ece: null, overconfidence: null },
          },
        ],
      },
      regressions: [{ what: hostileStep, baseline: 1, current: 0, message: XSS.script }],
    }),
  });
  if (hostile.status !== 201) throw new Error(`golden result: ${hostile.status} ${await hostile.text()}`);
  const { id: hostileId } = (await hostile.json()) as { id: string };
  at += 3_600_000;
  for (const r of GOLDEN.results) {
    const steps = Object.entries(r.accuracy).map(([step, accuracy]) => ({
      step,
      expected: cases,
      reached: cases,
      correct: Math.round(accuracy * cases),
      failed: 0,
      accuracy,
      escalated: step === "classify" ? 5 : 0,
      calibration: { n: cases, brier: 0.1, ece: 0.05, overconfidence: 0.02 },
    }));
    const regressions = r.regressions.map((what) => {
      const baseline = what === "end-to-end" ? base.endToEnd : base.accuracy[what as keyof typeof base.accuracy];
      const current = what === "end-to-end" ? r.endToEnd : r.accuracy[what as keyof typeof r.accuracy];
      return { what, baseline, current, message: `${what}: ${current} against ${baseline}` };
    });
    const body = {
      set: GOLDEN.set,
      setVersion,
      workflow: "roof-claims",
      version: r.version,
      startedAt: new Date(at).toISOString(),
      finishedAt: new Date(at + 60_000).toISOString(),
      summary: { cases, runs: { completed: cases - 5, escalated: 5 }, escalationRate: 0.1, endToEndAccuracy: r.endToEnd, completed: cases - 5, steps },
      regressions,
      baselineVersion: r.version === "1" ? null : "1",
    };
    const res = await fetch(`${server.url}/v1/golden/results`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`golden result: ${res.status} ${await res.text()}`);
    at += 3_600_000;
  }
  return hostileId;
}

/** A signed-in admin's cookie, for the session-only admin routes the seed calls. */
async function adminCookie(url: string): Promise<string> {
  const res = await fetch(`${url}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: SEED_USERS.admin, password: SEED_PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

/**
 * DRIFT.perSide runs of a one-step workflow DRIFT.daysBack days ago (the SDK's clock shifted
 * back, so its events carry those times) and as many 90 minutes ago (jobs read whole hours up
 * to the current one, so "now" would be invisible to them), with lower confidences, larger
 * amounts and another channel mix: the drift job sees an alert-level shift on both sides of its
 * windows, and the dashboard's default windows (last 7 days against the 7 before) do too.
 */
async function seedDrift(server: { url: string; apiKey: string }): Promise<void> {
  const realNow = Date.now;
  const send = async (current: boolean, _backMs: number) => {
    const st = new Seamtrace({ endpoint: server.url, apiKey: server.apiKey });
    const wf = st.workflow(DRIFT.workflow, { version: "1", policy: { minConfidence: 0.3 } });
    for (let i = 0; i < DRIFT.perSide; i++) {
      await wf.run({ input: { txn: `t-${current ? "c" : "b"}-${i}` }, key: `${DRIFT.workflow}-${current ? "c" : "b"}-${i}` }, async (run) => {
        const s = await run.step(DRIFT.step, { input: { txn: i } }, async () => ({
          value: current && i % 3 === 0 ? "review" : "ok",
          confidence: current ? 0.55 + (i % 20) / 100 : 0.8 + (i % 20) / 100,
          features: { amount: current ? 300 + i * 5 : 100 + i * 2, channel: current ? (i % 4 === 0 ? "web" : "phone") : i % 2 === 0 ? "web" : "app" },
        }));
        return s.value;
      });
    }
    await st.shutdown();
  };
  const shifted = async (current: boolean, backMs: number) => {
    Date.now = () => realNow() - backMs;
    try {
      await send(current, backMs);
    } finally {
      Date.now = realNow;
    }
  };
  await shifted(false, DRIFT.daysBack * 86_400_000);
  await shifted(true, 90 * 60_000);
}

/**
 * Demo data for the dashboard: three users (one per role), a claims-like three-step workflow
 * with a mix of confident and unsure runs (the unsure ones escalate), one run whose inputs,
 * outputs, reasoning, step name and feature keys hold HTML/JS payloads, then the analytics jobs.
 */
export async function seedDashboard(server: { url: string; apiKey: string; dataDir: string }, opts: { runs?: number } = {}): Promise<Seeded> {
  for (const [role, email] of Object.entries(SEED_USERS)) {
    await cli(server.dataDir, ["users", "create", "--email", email, "--role", role, "--project", "default", "--password-env", "PW"], { PW: SEED_PASSWORD });
  }
  const st = new Seamtrace({ endpoint: server.url, apiKey: server.apiKey });
  const wf = claimsWorkflow(st);
  const out: Seeded = { completed: [], escalated: [], xssRunId: "", xssGoldenId: "" };
  const n = opts.runs ?? 24;
  const completedIndex: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await wf.run({ input: { claim: `claim ${i}`, text: "storm tore the roof" }, key: `claim-${i}` }, claimsPipeline(i));
    if (r.status === "escalated") out.escalated.push({ runId: r.runId, escalationId: r.escalation!.id, index: i });
    else {
      out.completed.push(r.runId);
      completedIndex.push(i);
    }
  }

  // Late feedback on classify for every completed run (every fifth wrong), so calibration has
  // labelled bins to draw. The SDK batches events: flush so the collector has every step.
  await st.flush();
  const auth = { authorization: `Bearer ${server.apiKey}` };
  const labels = [];
  for (const [k, runId] of out.completed.entries()) {
    const res = await fetch(`${server.url}/v1/runs/${runId}`, { headers: auth });
    if (res.status !== 200) throw new Error(`GET /v1/runs/${runId}: ${res.status} ${await res.text()}`);
    const detail = (await res.json()) as { steps: Array<{ id: string; name: string }> };
    const classify = detail.steps.find((s) => s.name === "classify")!;
    labels.push({ runId, stepId: classify.id, correct: completedIndex[k]! % 5 !== 0 });
  }
  const sent = await fetch(`${server.url}/v1/labels`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ labels }),
  });
  if (sent.status !== 200) throw new Error(`labels: ${sent.status} ${await sent.text()}`);

  const hostile = st.workflow(`hostile ${XSS.img}`, { version: "1" });
  const h = await hostile.run({ input: XSS.script }, async (run) => {
    const a = await run.step(`name ${XSS.svg}`, { input: { html: XSS.iframe, link: XSS.link } }, async () => ({
      value: { out: XSS.script, href: XSS.link },
      confidence: 0.99,
      reasoning: XSS.img,
      features: { [`k ${XSS.svg}`]: 1 },
    }));
    return a.value;
  });
  out.xssRunId = h.runId;
  await st.shutdown();

  await seedDrift(server);
  out.xssGoldenId = await seedGolden(server);
  // A step policy with a target the drifting step misses: once the drift alert fires,
  // auto-tighten raises its minConfidence (to the ceiling, with too few labels to choose).
  const cookie = await adminCookie(server.url);
  const put = await fetch(`${server.url}/v1/policies/${DRIFT.workflow}/steps/${DRIFT.step}`, {
    method: "PUT",
    headers: { cookie, origin: server.url, "content-type": "application/json" },
    body: JSON.stringify({ ...DRIFT.policy, reason: "seed: fraud screening target" }),
  });
  if (put.status !== 201) throw new Error(`policy: ${put.status} ${await put.text()}`);

  for (const job of ["rollup", "calibration", "escalation", "drift", "alerts", "auto-tighten"])
    await cli(server.dataDir, ["jobs", "run", job], SEED_SERVER_ENV);
  return out;
}

/** Review by two people: a lead who adjudicates, a second reviewer, a group, and a step whose policy asks for both. */
export const TEAM = {
  lead: "lead@example.test",
  reviewer2: "rev2@example.test",
  group: "adjusters",
  workflow: "team-claims",
  step: "classify",
  policy: { reviewers: 2, consensus: "unanimous", reviewBy: 3_600_000, onExpiry: "reject", reviewGroup: "adjusters" },
} as const;

/**
 * Seeds team review (not part of seedDashboard, so the other pages' counts stay as they are):
 * the lead and second reviewer, the group with both reviewers in it, the step policy, then one
 * run that escalates there. Returns the escalation the two reviewers will disagree on.
 */
export async function seedTeamReview(server: { url: string; apiKey: string; dataDir: string }): Promise<{ runId: string; escalationId: string }> {
  await cli(server.dataDir, ["users", "create", "--email", TEAM.lead, "--role", "lead", "--project", "default", "--password-env", "PW"], { PW: SEED_PASSWORD });
  await cli(server.dataDir, ["users", "create", "--email", TEAM.reviewer2, "--role", "reviewer", "--project", "default", "--password-env", "PW"], {
    PW: SEED_PASSWORD,
  });
  const cookie = await adminCookie(server.url);
  const headers = { cookie, origin: server.url, "content-type": "application/json" };
  const people = await fetch(`${server.url}/v1/review/assignees`, { headers });
  if (people.status !== 200) throw new Error(`assignees: ${people.status} ${await people.text()}`);
  const users = ((await people.json()) as { items: Array<{ userId: string; email: string }> }).items;
  const members = users.filter((u) => u.email === SEED_USERS.reviewer || u.email === TEAM.reviewer2).map((u) => u.userId);
  const group = await fetch(`${server.url}/v1/review/groups/${TEAM.group}`, { method: "PUT", headers, body: JSON.stringify({ members }) });
  if (group.status !== 201) throw new Error(`group: ${group.status} ${await group.text()}`);
  const policy = await fetch(`${server.url}/v1/policies/${TEAM.workflow}/steps/${TEAM.step}`, {
    method: "PUT",
    headers,
    body: JSON.stringify({ ...TEAM.policy, reason: "seed: two adjusters decide every unsure classification" }),
  });
  if (policy.status !== 201) throw new Error(`policy: ${policy.status} ${await policy.text()}`);

  const st = new Seamtrace({ endpoint: server.url, apiKey: server.apiKey });
  const wf = st.workflow(TEAM.workflow, { version: "1", policy: { minConfidence: 0.6, onLow: "escalate" } });
  const r = await wf.run({ input: { claim: "hail on the conservatory" }, key: "team-claim-1" }, async (run) => {
    const kind = await run.step(TEAM.step, { input: "hail on the conservatory" }, async () => ({
      value: "storm",
      confidence: 0.41,
      alternatives: ["hail", "impact"],
    }));
    return kind.value;
  });
  await st.shutdown();
  if (r.status !== "escalated") throw new Error(`team run: ${r.status}`);
  return { runId: r.runId, escalationId: r.escalation!.id };
}
