/**
 * The claims workflow instrumented with Seamtrace, step for step as in the README: extract →
 * (classify ∥ match-policy) → reserve → route. The models are the pure functions of this package;
 * this file only wires them to `run.step()` with their lineage.
 */
import type { Policy, Run, RunResult, Seamtrace, Workflow } from "@seamtrace/sdk";
import { classifyClaim } from "./classify.js";
import { OUTPUT_CONTRACTS as C } from "./contracts.js";
import { defaultModelParams } from "./default-params.js";
import type { ClaimEmail, Route } from "./domain.js";
import { extractClaim } from "./extract.js";
import { matchPolicy } from "./match-policy.js";
import type { ModelParams } from "./params.js";
import { createPolicyDb, type PolicyDb } from "./policy-db.js";
import { estimateReserve } from "./reserve.js";
import { routeClaim } from "./route.js";

/**
 * The policy in code, used when the server has none: gate on each step's own confidence and on
 * the chain's, and stop for review rather than pay the wrong amount.
 */
export const DEFAULT_CLAIMS_POLICY: Policy = { minConfidence: 0.8, minCumulative: 0.6, onLow: "escalate", spotCheckRate: 0.02 };

/** A policy-book snapshot older than a day is stale at the match-policy seam. */
export const DEFAULT_POLICY_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * Each step's attempt fails after this long. The heuristic models answer in microseconds; a
 * deployed model call must not hang a run either (`seamtrace chaos` injects hangs to check).
 */
export const DEFAULT_STEP_TIMEOUT_MS = 1_000;

/** How to instrument the workflow; every option has a default. */
export interface ClaimsWorkflowOptions {
  /** Workflow name. Default "claims". */
  name?: string;
  /** Workflow version. Default `params.version`: retrained models are a new version, so their calibration is tracked apart. */
  version?: string;
  /** Model parameters. Default `defaultModelParams`. */
  params?: ModelParams;
  /** The policy in code. Default `DEFAULT_CLAIMS_POLICY`. */
  policy?: Policy;
  /** The policy book match-policy reads. Default: the shared book, snapshot taken now. */
  policies?: PolicyDb;
  /** Freshness bound of the policy book. Default `DEFAULT_POLICY_MAX_AGE_MS`. */
  maxPolicyAgeMs?: number;
  /** Per-attempt time limit of every step. Default `DEFAULT_STEP_TIMEOUT_MS`. */
  stepTimeoutMs?: number;
}

/** The instrumented workflow. */
export interface ClaimsWorkflow {
  readonly workflow: Workflow;
  readonly params: ModelParams;
  readonly policies: PolicyDb;
  /**
   * Runs one email through the five steps; resolves with the approval route (or why the run
   * stopped). The email's message id is the run key, so a redelivered email is the same run.
   */
  process(email: ClaimEmail, options?: { runId?: string }): Promise<RunResult<Route>>;
  /** Continues a run that was escalated, once its review has arrived (replaying earlier steps). */
  resume(runId: string): Promise<RunResult<Route>>;
}

/**
 * Instruments the claims workflow on a Seamtrace client.
 * @example
 * const st = new Seamtrace({ endpoint: "http://localhost:7077", apiKey: process.env.SEAMTRACE_API_KEY });
 * const claims = claimsWorkflow(st);
 * for (const c of generateClaims({ seed: 1, count: 100 })) await claims.process(c.email);
 * await st.shutdown();
 */
export function claimsWorkflow(st: Seamtrace, options: ClaimsWorkflowOptions = {}): ClaimsWorkflow {
  const params = options.params ?? defaultModelParams;
  const policies = options.policies ?? createPolicyDb();
  const maxAgeMs = options.maxPolicyAgeMs ?? DEFAULT_POLICY_MAX_AGE_MS;
  const timeoutMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  const workflow = st.workflow(options.name ?? "claims", {
    version: options.version ?? params.version,
    policy: options.policy ?? DEFAULT_CLAIMS_POLICY,
  });

  // The email comes from the run, so a worker can resume a run by id alone. Each step says where
  // its confidence comes from, so calibration is reported per source: classify's is its
  // softmax's probability (a model's own, like an LLM's token log-probabilities); the others
  // are evidence tables and rules.
  const pipeline = async (run: Run): Promise<Route> => {
    const email = run.input as ClaimEmail;
    const fields = await run.step("extract", { input: email, confidenceSource: "rule", schema: C.extract, timeoutMs }, () =>
      extractClaim(email, params.extract),
    );
    const [kind, policy] = await Promise.all([
      run.step(
        "classify",
        { from: [fields], input: { description: fields.value.description }, confidenceSource: "logprob", schema: C.classify, timeoutMs },
        () => classifyClaim(fields.value, params.classify),
      ),
      run.step(
        "match-policy",
        {
          from: [fields],
          input: { policyNo: fields.value.policyNo, claimant: fields.value.claimant },
          source: "direct",
          confidenceSource: "rule",
          observedAt: policies.observedAt,
          maxAgeMs,
          schema: C["match-policy"],
          timeoutMs,
        },
        () => matchPolicy(fields.value, policies, params.matchPolicy),
      ),
    ]);
    // Reserve reads the amount and date from the extracted fields too; extract is already an
    // ancestor through both parents, so it counts once in the cumulative confidence.
    const reserve = await run.step(
      "reserve",
      {
        from: [kind, policy],
        input: { type: kind.value, policyNo: policy.value?.policyNo ?? null, amount: fields.value.amount, incidentDate: fields.value.incidentDate },
        confidenceSource: "rule",
        schema: C.reserve,
        timeoutMs,
      },
      () => estimateReserve({ fields: fields.value, type: kind.value, policy: policy.value }, params.reserve),
    );
    const route = await run.step("route", { from: [reserve], input: { reserve: reserve.value }, confidenceSource: "rule", schema: C.route, timeoutMs }, () =>
      routeClaim(reserve.value, params.route),
    );
    return route.value;
  };
  const process = (email: ClaimEmail, runOptions: { runId?: string } = {}): Promise<RunResult<Route>> =>
    workflow.run({ input: email, key: email.messageId, ...runOptions }, pipeline);
  const resume = (runId: string): Promise<RunResult<Route>> => workflow.resume(runId, pipeline);

  return { workflow, params, policies, process, resume };
}
