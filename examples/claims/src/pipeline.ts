/**
 * The five models chained without the SDK: what the workflow computes, as a pure function. The
 * evaluation and the tests use it to measure the models; the workflow runs the same models
 * through `run.step()` so the same numbers reach the collector.
 */
import { classifyClaim } from "./classify.js";
import type { ClaimEmail, ClaimFields, ClaimType, PolicyMatch, Route } from "./domain.js";
import { extractClaim } from "./extract.js";
import { matchPolicy } from "./match-policy.js";
import type { ModelOutput } from "./model-output.js";
import type { ModelParams } from "./params.js";
import type { PolicyDb } from "./policy-db.js";
import { estimateReserve } from "./reserve.js";
import { routeClaim } from "./route.js";

/** Every step's output for one email. */
export interface ClaimPrediction {
  extract: ModelOutput<ClaimFields>;
  classify: ModelOutput<ClaimType>;
  "match-policy": ModelOutput<PolicyMatch>;
  reserve: ModelOutput<number>;
  route: ModelOutput<Route>;
}

/** The models' parameters and the policy book they look up. */
export interface ModelContext {
  params: ModelParams;
  policies: PolicyDb;
}

/**
 * Runs every model on an email, each on the previous models' outputs (as in production, where
 * upstream errors flow downstream).
 * @example
 * const p = predictClaim(c.email, { params: defaultModelParams, policies: createPolicyDb() });
 * p.route.value; p.reserve.confidence;
 */
export function predictClaim(email: ClaimEmail, ctx: ModelContext): ClaimPrediction {
  const extract = extractClaim(email, ctx.params.extract);
  const classify = classifyClaim(extract.value, ctx.params.classify);
  const match = matchPolicy(extract.value, ctx.policies, ctx.params.matchPolicy);
  const reserve = estimateReserve({ fields: extract.value, type: classify.value, policy: match.value }, ctx.params.reserve);
  const route = routeClaim(reserve.value, ctx.params.route);
  return { extract, classify, "match-policy": match, reserve, route };
}
