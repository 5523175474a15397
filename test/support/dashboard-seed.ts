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
    const fields = await run.step("extract", { input: `claim ${i}` }, async () => ({ value: { amount: 1000 + i * 100 }, confidence: 0.9 + (i % 10) / 100, features: { amount: 1000 + i * 100 } }));
    const kind = await run.step("classify", { from: [fields] }, async () => ({
      value: "storm",
      // Three calibration bins (of 0.05): 0.70–0.75, 0.80–0.85, 0.90–0.95.
      confidence: unsure ? 0.41 : CLASSIFY_CONFIDENCE[i % 3]!,
      reasoning: "shingles missing, wind reported",
      alternatives: ["flood", "fire"],
    }));
    const reserve = await run.step("reserve", { from: [fields, kind] }, async () => ({ value: `${kind.value}:${fields.value.amount * 1.1}`, confidence: 0.88 }));
    return reserve.value;
  };
}

export interface Seeded {
  /** Runs sent, by outcome. */
  completed: string[];
  escalated: Array<{ runId: string; escalationId: string; index: number }>;
  xssRunId: string;
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
  const out: Seeded = { completed: [], escalated: [], xssRunId: "" };
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
  const sent = await fetch(`${server.url}/v1/labels`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ labels }) });
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

  for (const job of ["rollup", "calibration", "escalation", "alerts"]) await cli(server.dataDir, ["jobs", "run", job]);
  return out;
}
